package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/health"
	"github.com/helpline-org/helpline/internal/httpserver"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/projections"
)

// cmdRun runs every service in one process: the embedded default.
func cmdRun(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	fs := newFlags("run", io)
	addr := fs.String("http", "", "listen address (overrides "+config.VarHTTPAddr+")")
	migrate := fs.Bool("migrate", false, "apply SQL migrations at start (with "+config.VarDatabaseURL+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	if *addr != "" {
		env.HTTPAddr = *addr
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat)
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}

	p, err := openPlatform(ctx, env, log, "helpline-run")
	if err != nil {
		return err
	}
	defer p.close()

	keys, pseudo, err := openKeys(ctx, p)
	if err != nil {
		return err
	}
	defer keys.Close()

	h := health.New(0)
	h.Add("log", p.store.Ping)
	srv := httpserver.New(h, p.metrics, log)
	token := twilioToken(env)
	if err := mountIngestion(ctx, srv.Router, p, file, keys, pseudo, token); err != nil {
		return err
	}
	var sandbox *sandboxSMS
	if env.Sandbox() {
		fake, sb := mountSandbox(srv.Router, env, file, token, p)
		defer fake.Close()
		sandbox = &sb
	}
	notifySpecs, notifyTimers, err := notificationService(ctx, p, file, keys, smsConfig(env, sandbox))
	if err != nil {
		return err
	}
	triageSpecs, triageTimers, err := triageService(ctx, p, file, keys)
	if err != nil {
		return err
	}
	if *migrate && env.DatabaseURL != "" {
		if err := projections.Migrate(ctx, env.DatabaseURL); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	views, err := openProjections(ctx, p, file)
	if err != nil {
		return err
	}
	defer views.close()
	h.Add("projections", views.Ready)
	if err := mountConsole(ctx, srv.Router, p, file, keys, views); err != nil {
		return err
	}
	specs := append(append(triageSpecs, notifySpecs...), views.Specs()...)
	router, err := consume.NewRouter(p.js, p.store, consume.Config{}, specs, p.metrics, log)
	if err != nil {
		return err
	}
	l, err := srv.Listen(env.HTTPAddr)
	if err != nil {
		return err
	}
	log.Info().Str("svc", "main").Str("addr", l.Addr().String()).Str("public_url", env.PublicURL).Bool("embedded_nats", env.Embedded()).
		Bool("sms_sandbox", env.Sandbox()).Int("lines", len(file.Lines)).Msg("helpline running")

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		h.Stopping()
		return nil
	})
	g.Go(func() error { return srv.Serve(gctx, l, env.ShutdownTimeout) })
	g.Go(func() error { return router.Run(gctx) })
	g.Go(func() error { notifyTimers(gctx); return nil })
	g.Go(func() error { triageTimers(gctx); return nil })
	if err := g.Wait(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	log.Info().Str("svc", "main").Msg("helpline stopped")
	return nil
}
