package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/health"
	"github.com/helpline-org/helpline/internal/httpserver"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/ingestion"
)

// Process is one built helpline process, whichever services it holds: an
// HTTP surface with /healthz, /readyz and /metrics, the services' event
// handlers on one consume router, and their timer loops.
type Process struct {
	// Platform is what the process stands on.
	Platform *platform.Platform
	// Views are the projections, when the process holds the projector or
	// the console.
	Views *Views
	// Console is the console, when the process holds it.
	Console *console.Service
	// Receiver is ingestion's receiver of SMS, when the process holds it.
	Receiver *ingestion.Receiver
	// Sandbox is the local SMS sandbox's fake Twilio, when no Twilio
	// credentials are set.
	Sandbox *twiliofake.Fake

	cfg     Config
	log     zerolog.Logger
	health  *health.Health
	srv     *httpserver.Server
	specs   []consume.Spec
	loops   []func(context.Context)
	closers []func()
	running chan struct{}
}

// Run builds the process, serves until ctx ends, and closes it: all that
// `helpline run` and `helpline serve` do once their configuration is read.
func Run(ctx context.Context, cfg Config, log zerolog.Logger) error {
	p, err := Build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Run(ctx)
}

// Build builds the process: the platform (unless cfg.Platform is given),
// the keyring, and each service with its handlers, timers and routes.
// Projections are caught up with the log before Build returns. ctx bounds
// the building and ends the web chat's and the console's event streams.
func Build(ctx context.Context, cfg Config, log zerolog.Logger) (*Process, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pr := &Process{cfg: cfg, log: log, Platform: cfg.Platform, running: make(chan struct{})}
	if pr.Platform == nil {
		// One service connects as its own NATS user; several in one
		// process (helpline run) as the union of theirs.
		role := natsauth.Run
		if len(cfg.Services) == 1 {
			role = natsauth.Role(cfg.Services[0])
		}
		p, err := platform.Open(ctx, platform.Config{Env: cfg.Env, Name: "helpline-" + cfg.Name, Role: role}, log)
		if err != nil {
			return nil, err
		}
		pr.Platform = p
		pr.onClose(p.Close)
	}
	pr.health = health.New(0)
	pr.health.Add("log", pr.Platform.Store.Ping)
	pr.srv = httpserver.New(pr.health, pr.Platform.Metrics, log, pr.Platform.Env.MetricsToken)
	if err := pr.build(ctx); err != nil {
		pr.Close()
		return nil, err
	}
	return pr, nil
}

// build adds the services in the order of All: ingestion (and the sandbox)
// before notification, which sends through it; projections before the
// console, which reads them.
func (pr *Process) build(ctx context.Context) error {
	cfg := pr.cfg
	smsCfg := sms.Config{AccountSID: cfg.Env.TwilioAccountSID, AuthToken: cfg.Env.TwilioAuthToken, APIURL: cfg.Env.TwilioAPIURL}
	if cfg.Env.Sandbox() && cfg.has(Ingestion) {
		// Webhooks are signed with a random token shared with the fake.
		smsCfg = pr.mountSandbox("sandbox" + rand.Text())
	}
	if cfg.has(Ingestion) {
		if err := pr.mountIngestion(ctx, smsCfg.AuthToken); err != nil {
			return err
		}
	}
	if cfg.has(Notification) {
		if err := pr.addNotification(ctx, smsCfg); err != nil {
			return err
		}
	}
	if cfg.has(Triage) {
		if err := pr.addTriage(ctx); err != nil {
			return err
		}
	}
	if cfg.has(Ingestion) || cfg.has(Notification) || cfg.has(Triage) {
		// One follower of the log keeps the conversations these services
		// share current: they decide on a conversation, and read the one
		// of the event they handle, without reading the log.
		pr.add([]consume.Spec{consume.FollowConversations(pr.Platform.Conversations())}, nil)
	}
	if cfg.Migrate && cfg.Env.DatabaseURL != "" {
		if err := projections.Migrate(ctx, cfg.Env.DatabaseURL); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if cfg.has(Projector) || cfg.has(Console) {
		if err := pr.addProjections(ctx); err != nil {
			return err
		}
	}
	if cfg.has(Console) {
		if err := pr.mountConsole(ctx); err != nil {
			return fmt.Errorf("console: %w", err)
		}
	}
	if cfg.Retention {
		if err := pr.addRetention(ctx); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
	}
	return nil
}

// add registers a service's handlers and timer loop (either may be nil).
func (pr *Process) add(specs []consume.Spec, loop func(context.Context)) {
	pr.specs = append(pr.specs, specs...)
	if loop != nil {
		pr.loops = append(pr.loops, loop)
	}
}

// onClose runs fn when the process closes, newest first.
func (pr *Process) onClose(fn func()) { pr.closers = append(pr.closers, fn) }

// Close releases what the process opened, the platform too unless it was
// given.
func (pr *Process) Close() {
	for i := len(pr.closers) - 1; i >= 0; i-- {
		pr.closers[i]()
	}
	pr.closers = nil
}

// Handler is the HTTP surface, for a caller that serves it itself.
func (pr *Process) Handler() http.Handler { return pr.srv.Router }

// Running is closed once the event handlers are consuming.
func (pr *Process) Running() <-chan struct{} { return pr.running }

// Run listens on cfg.Listener or Env.HTTPAddr and serves until ctx ends.
func (pr *Process) Run(ctx context.Context) error {
	l := pr.cfg.Listener
	if l == nil {
		var err error
		if l, err = pr.srv.Listen(pr.cfg.Env.HTTPAddr); err != nil {
			return err
		}
	}
	return pr.Serve(ctx, l)
}

// Serve serves HTTP on l (none when l is nil: the caller serves Handler),
// runs the event handlers and the timer loops until ctx ends. On the way
// down readiness fails first, then HTTP drains, the handlers finish and
// the timer loops stop.
func (pr *Process) Serve(ctx context.Context, l net.Listener) error {
	env, log, name := pr.cfg.Env, pr.log, pr.cfg.Name
	var router *consume.Router
	if len(pr.specs) > 0 {
		var err error
		router, err = consume.NewRouter(pr.Platform.JS, pr.Platform.Store, pr.cfg.Consume, pr.specs, pr.Platform.Metrics, log)
		if err != nil {
			if l != nil {
				l.Close()
			}
			return err
		}
		if pr.Views != nil {
			js, stream := pr.Platform.JS, pr.Platform.Store.Config().Stream
			lag := lagFunc(func(ctx context.Context, name string) (uint64, error) { return router.Lag(ctx, js, stream, name) })
			pr.Views.lag.Store(&lag)
		}
	}
	ev := log.Info().Str("svc", "main").Str("role", name).Str("public_url", env.PublicURL).Bool("embedded_nats", env.Embedded()).
		Bool("sms_sandbox", pr.Sandbox != nil).Int("handlers", len(pr.specs))
	if l != nil {
		ev = ev.Str("addr", l.Addr().String())
	}
	ev.Msg("helpline running")

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		pr.health.Stopping()
		return nil
	})
	if l != nil {
		g.Go(func() error { return pr.srv.Serve(gctx, l, env.ShutdownTimeout) })
	}
	if router != nil {
		g.Go(func() error { return router.Run(gctx) })
		go func() {
			select {
			case <-router.Running():
				close(pr.running)
			case <-gctx.Done():
			}
		}()
	} else {
		close(pr.running)
	}
	for _, loop := range pr.loops {
		g.Go(func() error { loop(gctx); return nil })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	log.Info().Str("svc", "main").Str("role", name).Msg("helpline stopped")
	return nil
}
