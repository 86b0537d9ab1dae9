package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/services/ingestion"
)

const (
	lineNumber = "+442079460000"
	dutyPhone  = "+447700900101"
	token      = "apptoken0123456789"
)

// appConfig is this package's world: one line, always open, and Dana on
// duty alone. line and dana are added to the line's and Dana's settings.
func appConfig(line, dana string) string {
	return `
lines:
  - {id: main, name: App Line, number: "` + lineNumber + `", timezone: Europe/London, always_open: true, ` + line + `}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + dutyPhone + `"` + dana + `}
rota:
  - {line: main, level: duty, staff: dana}
policies:
  - {id: default, levels: [duty], ack_timeout: 1h, rounds: 1}
`
}

var yamlConfig = appConfig("first_response_target: 1h", "")

func TestConfigValidateNamesWhatCannotRun(t *testing.T) {
	t.Parallel()
	file, err := config.ParseFile([]byte(yamlConfig))
	if err != nil {
		t.Fatal(err)
	}
	sandbox, err := config.LoadEnv(config.MapLookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	twilio := sandbox
	twilio.TwilioAccountSID, twilio.TwilioAuthToken = "AC1", "token"
	tests := []struct {
		name string
		cfg  app.Config
		want string // "" is valid
	}{
		{"everything, sandbox", app.Config{Env: sandbox, File: file}, ""},
		{"no file", app.Config{Env: sandbox}, "no configuration file"},
		{"unknown service", app.Config{Env: twilio, File: file, Services: []app.Service{"pager"}}, `no service "pager"`},
		{"sandbox without notification", app.Config{Env: sandbox, File: file, Services: []app.Service{app.Ingestion}}, config.VarTwilioSID},
		{"sandbox without ingestion", app.Config{Env: sandbox, File: file, Services: []app.Service{app.Notification}}, config.VarTwilioSID},
		{"notification alone with Twilio", app.Config{Env: twilio, File: file, Services: []app.Service{app.Notification}}, ""},
		{"projector alone in the sandbox", app.Config{Env: sandbox, File: file, Services: []app.Service{app.Projector}}, ""},
	}
	for _, tt := range tests {
		tt.cfg.SetDefaults()
		err := tt.cfg.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestRunPagesDutyForACrisisText runs a whole process as `helpline run`
// builds it, against the Twilio-compatible fake: a signed crisis webhook
// is answered 200 and pages the duty worker; readiness counts the log and
// the projections; the process stops when its context ends.
func TestRunPagesDutyForACrisisText(t *testing.T) {
	t.Parallel()
	fake, fakeSrv := apptest.TwilioFake(t, twiliofake.Config{AuthToken: token})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	env, err := config.LoadEnv(config.MapLookup(map[string]string{config.VarDataDir: t.TempDir(), config.VarHTTPAddr: l.Addr().String(),
		config.VarTwilioSID: fake.AccountSID(), config.VarTwilioToken: token, config.VarTwilioAPIURL: fakeSrv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	file, err := config.ParseFile([]byte(yamlConfig))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	p, err := app.Build(ctx, app.Config{Env: env, File: file, Listener: l}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		p.Close()
	})

	poll.Until(t, 30*time.Second, func() error {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %d", resp.StatusCode)
		}
		return nil
	})
	resp, err := fake.DeliverInboundWithSid(ctx, base+ingestion.SMSPath, "SM0123456789abcdef0123456789abcdef", "+447700900201", lineNumber,
		"i took 30 paracetamol and i want to die")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := fake.WaitFor(wctx, func(m twiliofake.SentMessage) bool { return m.To == dutyPhone }); err != nil {
		t.Fatalf("no page reached the duty phone: %v", err)
	}

	// A second console on the same log holds its own memory projections:
	// it sees every event (a durable consumer shared with the first would
	// hand each of them part), and so does the first.
	second := &platform.Platform{Env: p.Platform.Env, JS: p.Platform.JS, Store: p.Platform.Store, Metrics: prometheus.NewRegistry(), Log: zerolog.Nop()}
	p2, err := app.Build(ctx, app.Config{Env: env, File: file, Name: "console", Services: []app.Service{app.Console}, Platform: second}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	done2 := make(chan error, 1)
	go func() { done2 <- p2.Serve(ctx, nil) }()
	t.Cleanup(func() { stop(); <-done2; p2.Close() })
	<-p2.Running()
	for i := range 3 {
		resp, err := fake.DeliverInboundWithSid(ctx, base+ingestion.SMSPath, fmt.Sprintf("SM0123456789abcdef0123456789abcd%02d", i),
			fmt.Sprintf("+4477009003%02d", i), lineNumber, "i took 30 paracetamol and i want to die")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook %d: %v %v", i, resp, err)
		}
	}
	for name, v := range map[string]*app.Views{"run": p.Views, "console": p2.Views} {
		poll.Until(t, 30*time.Second, func() error {
			open, err := v.Queue.Open(ctx, []string{"main"}, 10, escalations.Cursor{})
			if err != nil || len(open) != 4 {
				return fmt.Errorf("%s's queue: %d open escalations (%v), want 4", name, len(open), err)
			}
			return nil
		})
	}

	// Only what must survive a restart is a durable consumer, each
	// acknowledgement of which the log writes to disk: triage's and
	// notification's positions (its pager's and its bridge's). The memory
	// projections save nothing.
	st, err := p.Platform.JS.Stream(ctx, p.Platform.Store.Config().Stream)
	if err != nil {
		t.Fatal(err)
	}
	var durable []string
	list := st.ListConsumers(ctx)
	for info := range list.Info() {
		if info.Config.Durable != "" {
			durable = append(durable, info.Config.Durable)
		}
	}
	if list.Err() != nil {
		t.Fatal(list.Err())
	}
	sort.Strings(durable)
	if got, want := strings.Join(durable, ","), "notification,notification-pages,triage"; got != want {
		t.Errorf("durable consumers %s, want %s", got, want)
	}
}

func TestBuildFailsWithoutTheLog(t *testing.T) {
	t.Parallel()
	env, err := config.LoadEnv(config.MapLookup(map[string]string{config.VarNATSURL: "nats://127.0.0.1:1", config.VarTwilioSID: "AC1",
		config.VarTwilioToken: "token", config.VarMasterKeyFile: "/nonexistent"}))
	if err != nil {
		t.Fatal(err)
	}
	file, _ := config.ParseFile([]byte(yamlConfig))
	_, err = app.Build(context.Background(), app.Config{Env: env, File: file, Name: "triage", Services: []app.Service{app.Triage}}, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "connect nats") {
		t.Fatalf("Build against no NATS: %v, want a connect error", err)
	}
}
