// Package loadtest measures Helpline under load: an in-process stack of
// the real services (embedded NATS with fsync on every write, keyring,
// ingestion's signed webhook, triage, notification) talking to the
// Twilio-compatible fake over loopback HTTP, and benchmarks that report
// latencies as percentiles from HDR histograms.
package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/natsembed"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/notification"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// LineNumber is the stack's line; DutyPhone is paged for it.
const (
	LineNumber = "+442079460000"
	DutyPhone  = "+447700900101"
)

const stackConfig = `
lines:
  - {id: main, name: Load Line, number: "` + LineNumber + `", timezone: Europe/London, always_open: true, first_response_target: 1h}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + DutyPhone + `"}
rota:
  - {line: main, level: duty, staff: dana}
policies:
  - {id: default, levels: [duty], ack_timeout: 1h, rounds: 1}
`

// Stack is the running services.
type Stack struct {
	Fake       *twiliofake.Fake
	WebhookURL string
	token      string
	closers    []func()
}

// Start assembles the stack in dir.
func Start(ctx context.Context, dir string) (*Stack, error) {
	log := zerolog.Nop()
	s := &Stack{token: "loadtoken0123456789"}
	srv, err := natsembed.Start(natsembed.Config{DataDir: dir}, log)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, srv.Shutdown)
	nc, err := srv.Connect("loadtest")
	if err != nil {
		return nil, s.fail(err)
	}
	s.closers = append(s.closers, nc.Close)
	js, _ := jetstream.New(nc)
	store, err := events.NewStore(ctx, js, events.StoreConfig{}, log)
	if err != nil {
		return nil, s.fail(err)
	}
	if _, err := keyring.EnsureBucket(ctx, js, keyring.BucketConfig{}); err != nil {
		return nil, s.fail(err)
	}
	master := keyring.GenerateMasterKey()
	keys, err := keyring.New(ctx, js, keyring.Config{Master: master}, log)
	if err != nil {
		return nil, s.fail(err)
	}
	s.closers = append(s.closers, func() { keys.Close() })
	file, err := config.ParseFile([]byte(stackConfig))
	if err != nil {
		return nil, s.fail(err)
	}
	index, err := ingestion.NewKVIndex(ctx, js, 1)
	if err != nil {
		return nil, s.fail(err)
	}
	rcv := ingestion.NewReceiver(file, ingestion.KeyringIdentities{Keys: keys, Pseudo: keyring.NewPseudonymizer(master)}, keys, store, index, time.Now, log)
	mux := http.NewServeMux()
	web := httptest.NewServer(mux)
	s.closers = append(s.closers, web.Close)
	s.WebhookURL = web.URL + ingestion.SMSPath
	wh := ingestion.NewWebhooks(ingestion.WebhookConfig{PublicURL: web.URL}, rcv,
		func(u string, f url.Values, sig string) bool { return sms.Valid(s.token, u, f, sig) }, log)
	mux.HandleFunc("POST "+ingestion.SMSPath, wh.SMS)
	mux.HandleFunc("POST "+ingestion.StatusPath, wh.Status)

	s.Fake = twiliofake.New(twiliofake.Config{AuthToken: s.token}, log)
	fakeSrv := httptest.NewServer(s.Fake)
	s.closers = append(s.closers, fakeSrv.Close, func() { s.Fake.Close() })
	sender, err := sms.NewSender(sms.Config{AccountSID: s.Fake.AccountSID(), AuthToken: s.token, APIURL: fakeSrv.URL})
	if err != nil {
		return nil, s.fail(err)
	}
	lex, err := lexicon.Default()
	if err != nil {
		return nil, s.fail(err)
	}
	ttm, err := timers.Open(ctx, js, "lt_triage", 1, time.Now, log)
	if err != nil {
		return nil, s.fail(err)
	}
	tri, err := triage.New(file, lexicon.NewClassifier(lex), keys, store, ttm, time.Now, log)
	if err != nil {
		return nil, s.fail(err)
	}
	ntm, err := timers.Open(ctx, js, "lt_notification", 1, time.Now, log)
	if err != nil {
		return nil, s.fail(err)
	}
	rota, err := notification.NewRota(file)
	if err != nil {
		return nil, s.fail(err)
	}
	notify := notification.New(notification.Config{PublicURL: web.URL, SendRate: 10000}, file, rota, sender, keys, store, ntm, time.Now, log)
	router, err := consume.NewRouter(js, store, consume.Config{}, append(tri.Specs(), notify.Specs()...), nil, log)
	if err != nil {
		return nil, s.fail(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = router.Run(rctx); close(done) }()
	s.closers = append(s.closers, func() { cancel(); <-done })
	<-router.Running()
	return s, nil
}

func (s *Stack) fail(err error) error { s.Close(); return err }

// Close stops everything, newest first.
func (s *Stack) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// Text posts a webhook signed as Twilio signs it and returns the status.
func (s *Stack) Text(ctx context.Context, client *http.Client, sid, from, body string) (int, error) {
	form := url.Values{"MessageSid": {sid}, "AccountSid": {s.Fake.AccountSID()}, "From": {from}, "To": {LineNumber}, "Body": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebhookURL, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.SignatureHeader, sms.Sign(s.token, s.WebhookURL, form))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// SID makes a Twilio-shaped message sid from a number.
func SID(n int64) string { return fmt.Sprintf("SM%032x", n) }
