// Package loadtest measures Helpline under load: a process-shaped cluster
// (rig.go, cluster/) for the load sweep and the fault drills, and an
// in-process Stack for benchmarks: the shipped composition (internal/app,
// what `helpline run` builds, projections and console included) on the
// embedded NATS with fsync on every write, talking to the
// Twilio-compatible fake over loopback HTTP. Latencies are reported as
// percentiles from HDR histograms.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/ingestion"
)

// LineNumber is the stack's line; DutyPhone is paged for it.
const (
	LineNumber = "+442079460000"
	DutyPhone  = "+447700900101"
)

// stackConfig is the stack's line. Its send_rate lets the duty phone be
// paged as fast as crisis texts come (the cluster's line says the same),
// so the benchmarks measure the pipeline, not the per-number limit.
const stackConfig = `
lines:
  - {id: main, name: Load Line, number: "` + LineNumber + `", timezone: Europe/London, always_open: true, first_response_target: 1h, send_rate: 1000}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + DutyPhone + `"}
rota:
  - {line: main, level: duty, staff: dana}
policies:
  - {id: default, levels: [duty], ack_timeout: 1h, rounds: 1}
`

// Stack is a running helpline process.
type Stack struct {
	Fake       *twiliofake.Fake
	WebhookURL string
	// BaseURL is the process's HTTP surface (console, web chat).
	BaseURL string
	// Console is the process's console (to register staff accounts).
	Console *console.Service
	// JS is the process's JetStream (to count what the log stores).
	JS      jetstream.JetStream
	closers []func() error
}

// Options change the stack from what `helpline run` builds by default.
type Options struct {
	// Env adds environment variables (config.Var...).
	Env map[string]string
	// Console is the console's configuration.
	Console console.Config
	// Chat is the web chat's configuration.
	Chat ingestion.ChatHTTPConfig
}

// Start builds and runs the process in dir, as `helpline run` does with
// Twilio credentials that point at the fake. It runs until Close.
func Start(ctx context.Context, dir string) (*Stack, error) { return StartWith(ctx, dir, Options{}) }

// StartWith is Start with options.
func StartWith(ctx context.Context, dir string, o Options) (*Stack, error) {
	const token = "loadtoken0123456789"
	s := &Stack{}
	s.Fake = twiliofake.New(twiliofake.Config{AuthToken: token, HTTPClient: &http.Client{Timeout: 30 * time.Second}}, zerolog.Nop())
	fakeSrv := httptest.NewServer(s.Fake)
	s.closers = append(s.closers, func() error { fakeSrv.Close(); return s.Fake.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, s.fail(err)
	}
	s.WebhookURL = "http://" + l.Addr().String() + ingestion.SMSPath
	s.BaseURL = "http://" + l.Addr().String()
	vars := map[string]string{config.VarDataDir: dir, config.VarHTTPAddr: l.Addr().String(),
		config.VarTwilioSID: s.Fake.AccountSID(), config.VarTwilioToken: token, config.VarTwilioAPIURL: fakeSrv.URL}
	maps.Copy(vars, o.Env)
	env, err := config.LoadEnv(config.MapLookup(vars))
	if err != nil {
		l.Close()
		return nil, s.fail(err)
	}
	file, err := config.ParseFile([]byte(stackConfig))
	if err != nil {
		l.Close()
		return nil, s.fail(err)
	}
	pctx, cancel := context.WithCancel(ctx)
	p, err := app.Build(pctx, app.Config{Env: env, File: file, Listener: l, Console: o.Console, Chat: o.Chat}, zerolog.Nop())
	if err != nil {
		cancel()
		l.Close()
		return nil, s.fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	select {
	case <-p.Running():
	case err := <-done:
		cancel()
		p.Close()
		return nil, s.fail(err)
	}
	s.closers = append(s.closers, func() error { cancel(); err := <-done; p.Close(); return err })
	s.Console, s.JS = p.Console, p.Platform.JS
	return s, nil
}

func (s *Stack) fail(err error) error { return errors.Join(err, s.Close()) }

// Close stops everything, newest first, and returns what went wrong.
func (s *Stack) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Text posts an inbound SMS webhook as Twilio does (signed, through the
// fake) and returns the status.
func (s *Stack) Text(ctx context.Context, sid, from, body string) (int, error) {
	resp, err := s.Fake.DeliverInboundWithSid(ctx, s.WebhookURL, sid, from, LineNumber, body)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// SID makes a Twilio-shaped message sid from a number.
func SID(n int64) string { return fmt.Sprintf("SM%032x", n) }
