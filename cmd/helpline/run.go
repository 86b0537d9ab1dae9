package main

import (
	"context"
	"fmt"

	"github.com/helpline-org/helpline/internal/config"
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

	pr := newProcess(p)
	defer pr.close()
	token := twilioToken(env)
	if err := mountIngestion(ctx, pr.srv.Router, p, file, keys, pseudo, token); err != nil {
		return err
	}
	var sandbox *sandboxSMS
	if env.Sandbox() {
		fake, sb := mountSandbox(pr.srv.Router, env, file, token, p)
		pr.onClose(func() { fake.Close() })
		sandbox = &sb
	}
	if err := addNotification(ctx, pr, file, keys, smsConfig(env, sandbox)); err != nil {
		return err
	}
	if err := addTriage(ctx, pr, file, keys); err != nil {
		return err
	}
	if *migrate && env.DatabaseURL != "" {
		if err := projections.Migrate(ctx, env.DatabaseURL); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	views, err := addProjections(ctx, pr, file)
	if err != nil {
		return err
	}
	if err := mountConsole(ctx, pr.srv.Router, p, file, keys, views); err != nil {
		return err
	}
	return pr.serve(ctx, "run")
}
