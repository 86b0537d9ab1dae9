package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/health"
	"github.com/helpline-org/helpline/internal/httpserver"
)

// process is what one helpline process runs, whichever services it holds:
// an HTTP surface with /healthz, /readyz and /metrics, the services'
// event handlers on one consume router, and their timer loops. `helpline
// run` puts every service in one process; `helpline serve` puts one.
type process struct {
	p       *platform
	health  *health.Health
	srv     *httpserver.Server
	specs   []consume.Spec
	loops   []func(context.Context)
	closers []func()
}

// newProcess builds the HTTP surface on p, with the log's readiness check.
func newProcess(p *platform) *process {
	h := health.New(0)
	h.Add("log", p.store.Ping)
	return &process{p: p, health: h, srv: httpserver.New(h, p.metrics, p.log)}
}

// add registers a service's handlers and timer loop (either may be nil).
func (pr *process) add(specs []consume.Spec, loop func(context.Context)) {
	pr.specs = append(pr.specs, specs...)
	if loop != nil {
		pr.loops = append(pr.loops, loop)
	}
}

// onClose runs fn when the process stops, newest first.
func (pr *process) onClose(fn func()) { pr.closers = append(pr.closers, fn) }

// close releases what the services opened (not the platform).
func (pr *process) close() {
	for i := len(pr.closers) - 1; i >= 0; i-- {
		pr.closers[i]()
	}
	pr.closers = nil
}

// serve listens on the configured address and runs until ctx ends: on the
// way down readiness fails first, then HTTP drains, the handlers finish
// and the timer loops stop. name is logged as the process's role.
func (pr *process) serve(ctx context.Context, name string) error {
	env, log := pr.p.env, pr.p.log
	var router *consume.Router
	if len(pr.specs) > 0 {
		var err error
		router, err = consume.NewRouter(pr.p.js, pr.p.store, consume.Config{}, pr.specs, pr.p.metrics, log)
		if err != nil {
			return err
		}
	}
	l, err := pr.srv.Listen(env.HTTPAddr)
	if err != nil {
		return err
	}
	log.Info().Str("svc", "main").Str("role", name).Str("addr", l.Addr().String()).Str("public_url", env.PublicURL).
		Bool("embedded_nats", env.Embedded()).Bool("sms_sandbox", env.Sandbox()).Int("handlers", len(pr.specs)).Msg("helpline running")

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		pr.health.Stopping()
		return nil
	})
	g.Go(func() error { return pr.srv.Serve(gctx, l, env.ShutdownTimeout) })
	if router != nil {
		g.Go(func() error { return router.Run(gctx) })
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
