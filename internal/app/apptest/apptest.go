// Package apptest runs a whole process as the tests of several services
// need it: built by the one composition root (app.Build) on a testbed,
// its HTTP surface served at its public URL, its SMS and calls going to a
// Twilio fake; and Staff, a client of its console signed in as one member
// of staff. It is imported by tests only.
package apptest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

// Served is a process running until its test ends.
type Served struct {
	*app.Process
	// Server serves the process's HTTP surface at its public URL.
	Server *httptest.Server
	// Fake is the Twilio the process sends SMS and places calls through.
	Fake *twiliofake.Fake
}

// TwilioFake starts the Twilio-compatible fake on cfg, served over HTTP
// at the returned server's URL, both closed when the test ends.
func TwilioFake(t testing.TB, cfg twiliofake.Config) (*twiliofake.Fake, *httptest.Server) {
	fake := twiliofake.New(cfg, zerolog.Nop())
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { srv.Close(); fake.Close() })
	return fake, srv
}

// TimerTick is how often a process that Run starts checks its timers: so
// often that a timer made due by moving the bed's clock fires at once.
const TimerTick = 20 * time.Millisecond

// Run is Serve with the configuration most tests want: helpline run's,
// its timers checked every TimerTick, and no log.
func Run(t testing.TB, b *testbed.Bed, twilioToken string) *Served {
	t.Helper()
	return Serve(t, b, twilioToken, app.Config{TimerTick: TimerTick}, zerolog.Nop())
}

// Serve builds a process on b as helpline run builds one: b's environment
// (with the public URL of its own server and the Twilio fake's account,
// token and address), file, platform and clock, testbed.ConsumeConfig, and
// the rest of cfg as given. It serves the process, returns once it runs,
// and stops it when the test ends.
func Serve(t testing.TB, b *testbed.Bed, twilioToken string, cfg app.Config, log zerolog.Logger) *Served {
	t.Helper()
	// The fake keeps the bed's time too: WhatsApp's 24-hour window follows its clock.
	fake, fakeSrv := TwilioFake(t, twiliofake.Config{AuthToken: twilioToken, Now: b.Clock.Now})
	// The process's public URL is its server's, known before it is built.
	srv := httptest.NewUnstartedServer(nil)
	cfg.Env = b.Env
	cfg.Env.PublicURL = "http://" + srv.Listener.Addr().String()
	cfg.Env.TwilioAccountSID, cfg.Env.TwilioAuthToken, cfg.Env.TwilioAPIURL = fake.AccountSID(), twilioToken, fakeSrv.URL
	cfg.File, cfg.Platform, cfg.Now, cfg.Consume = b.File, b.Platform, b.Clock.Now, testbed.ConsumeConfig()
	ctx, stop := context.WithCancel(context.Background())
	p, err := app.Build(ctx, cfg, log)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, nil) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
		p.Close()
	})
	<-p.Running()
	return &Served{Process: p, Server: srv, Fake: fake}
}
