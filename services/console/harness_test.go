package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/notification"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

const (
	lineNumber = "+442079460000"
	dutyPhone  = "+447700900101"
	dutyPhone2 = "+447700900102"
	password   = "correct horse battery staple"
)

const worldConfig = `
lines:
  - {id: main, name: Test Line, number: "` + lineNumber + `", timezone: Europe/London, always_open: true, first_response_target: 1h}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + dutyPhone + `", teams: [day]}
  - {id: bo, name: Bo Backup, role: duty, work_phone: "` + dutyPhone2 + `", teams: [day]}
  - {id: wes, name: Wes Worker, role: worker, teams: [day]}
  - {id: nia, name: Nia Night, role: worker, teams: [night]}
  - {id: mia, name: Mia Manager, role: manager}
  - {id: ada, name: Ada Admin, role: admin}
rota:
  - {line: main, level: duty, staff: dana}
  - {line: main, level: backup, staff: bo}
policies:
  - {id: default, levels: [duty, backup], ack_timeout: 1h, rounds: 1}
`

// accounts are the staff accounts every world has: id to role.
var accounts = map[string]string{"dana": "duty", "bo": "duty", "wes": "worker", "nia": "worker", "mia": "manager", "ada": "admin"}

var names = map[string]string{"dana": "Dana Duty", "bo": "Bo Backup", "wes": "Wes Worker", "nia": "Nia Night", "mia": "Mia Manager", "ada": "Ada Admin"}

// world is the console over the real platform: embedded NATS, the event
// store, the keyring, the real projections on memory stores, followed by
// their durable consumers.
type world struct {
	*testbed.Bed
	svc    *console.Service
	srv    *httptest.Server
	queue  *escalations.Queue
	fake   *twiliofake.Fake
	logs   syncBuffer
	inbox  *inbox.View
	extra  []consume.Spec
	router chi.Router
}

type worldOpts struct{}

const twilioToken = "consoletoken0123456789"

// services runs the real triage and notification services against the
// Twilio-compatible fake, and mounts ingestion's signed SMS webhook.
func (w *world) services(t testing.TB, r chi.Router) []consume.Spec {
	t.Helper()
	b := w.Bed
	w.fake = twiliofake.New(twiliofake.Config{AuthToken: twilioToken}, zerolog.Nop())
	fakeSrv := httptest.NewServer(w.fake)
	t.Cleanup(func() { fakeSrv.Close(); w.fake.Close() })
	sender, err := sms.NewSender(sms.Config{AccountSID: w.fake.AccountSID(), AuthToken: twilioToken, APIURL: fakeSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	lex, err := lexicon.Default()
	if err != nil {
		t.Fatal(err)
	}
	tri, err := triage.New(b.File, lexicon.NewClassifier(lex), b.Keys, b.Store, b.Timers(t, "console_triage"), b.Clock.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	rota, err := notification.NewRota(b.File)
	if err != nil {
		t.Fatal(err)
	}
	notify := notification.New(notification.Config{PublicURL: w.srv.URL, SendRate: 1000}, b.File, rota, sender, b.Keys, b.Store,
		b.Timers(t, "console_notification"), b.Clock.Now, zerolog.Nop())
	wh := ingestion.NewWebhooks(ingestion.WebhookConfig{PublicURL: w.srv.URL}, b.Receiver,
		func(u string, f url.Values, sig string) bool { return sms.Valid(twilioToken, u, f, sig) }, zerolog.Nop())
	r.Post(ingestion.SMSPath, wh.SMS)
	r.Post(ingestion.StatusPath, wh.Status)
	return append(tri.Specs(), notify.Specs()...)
}

// text posts an SMS from a client's number to the line as Twilio would,
// signed, and waits for the 200.
func (w *world) text(t testing.TB, from, body string) {
	t.Helper()
	form := url.Values{"MessageSid": {testbed.SID()}, "AccountSid": {w.fake.AccountSID()}, "From": {from}, "To": {lineNumber}, "Body": {body}}
	u := w.srv.URL + ingestion.SMSPath
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(sms.SignatureHeader, sms.Sign(twilioToken, u, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
}

func newWorld(t testing.TB, _ worldOpts) *world {
	t.Helper()
	ctx := context.Background()
	b := testbed.New(t, worldConfig, time.Now().UTC().Truncate(time.Second))
	w := &world{Bed: b, queue: escalations.NewQueue(escalations.NewMemoryStore())}
	r := chi.NewRouter()
	w.router = r
	w.srv = httptest.NewServer(r)
	t.Cleanup(w.srv.Close)
	times := responsetimes.NewView(responsetimes.NewMemoryStore(), map[string]time.Duration{"main": time.Hour})
	w.inbox = inbox.NewView(inbox.NewMemoryStore())
	var specs []consume.Spec
	for _, p := range []projections.Projection{times, w.queue, w.inbox} {
		specs = append(specs, projections.NewRunner(b.Store, p, zerolog.Nop()).Spec())
	}
	specs = append(specs, w.services(t, r)...)
	b.Run(t, specs)
	sessions, err := console.OpenSessions(ctx, b.JS, 1, 15*time.Minute, 12*time.Hour, b.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	d := console.Deps{Log: b.Store, Keys: b.Keys, Inbox: w.inbox, Queue: w.queue, Figures: times, Sessions: sessions, File: b.File,
		Now: b.Clock.Now, Logger: zerolog.New(&w.logs).Level(zerolog.DebugLevel)}
	w.svc, err = console.New(ctx, console.Config{LivePoll: 50 * time.Millisecond, SignInBurst: 1000}, d)
	if err != nil {
		t.Fatal(err)
	}
	for id, role := range accounts {
		if err := w.svc.Accounts().Register(ctx, id, names[id], role, password, "test", events.Meta{OccurredAt: b.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	w.svc.Mount(r)
	return w
}

// staff is one signed-in API client (cookie jar and CSRF token).
type staff struct {
	t    testing.TB
	w    *world
	c    *http.Client
	csrf string
}

// anonymous is a client with no session.
func (w *world) anonymous(t testing.TB) *staff {
	jar, _ := cookiejar.New(nil)
	return &staff{t: t, w: w, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs id in through the API and keeps its session.
func (w *world) signIn(t testing.TB, id string) *staff {
	t.Helper()
	s := w.anonymous(t)
	code, body := s.do("POST", "/api/session", map[string]string{"staff_id": id, "password": password})
	if code != http.StatusCreated {
		t.Fatalf("sign in %s: %d %s", id, code, body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	s.csrf = out.CSRF
	return s
}

// do sends a request (JSON body when body is not nil) with the session's
// CSRF token, and returns the status and body.
func (s *staff) do(method, path string, body any, hdr ...string) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.w.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// auditReads returns the content_read audit records, oldest first.
func (w *world) auditReads(t testing.TB) []events.ContentRead {
	t.Helper()
	var out []events.ContentRead
	if _, err := w.Store.ReadAudit(context.Background(), 0, func(e events.Envelope) error {
		p, err := e.Decode()
		if err != nil {
			return err
		}
		if cr, ok := p.(events.ContentRead); ok {
			out = append(out, cr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// send is do with a body that may be a form ("form:a=b&c=d", sent with
// the CSRF token as a field).
func (s *staff) send(method, path string, body any) (int, []byte) {
	s.t.Helper()
	f, ok := body.(string)
	if !ok || !strings.HasPrefix(f, "form:") {
		return s.do(method, path, body)
	}
	form, _ := url.ParseQuery(strings.TrimPrefix(f, "form:"))
	if s.csrf != "" {
		form.Set("csrf", s.csrf)
	}
	req, _ := http.NewRequest(method, s.w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// syncBuffer collects the console's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
