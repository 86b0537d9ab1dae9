package main

import (
	"context"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/internal/memlimit"
)

// cmdRun runs every service in one process: the embedded default.
func cmdRun(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	fs := newFlags("run", io)
	migrate := fs.Bool("migrate", false, "apply SQL migrations at start (with "+config.VarDatabaseURL+")")
	env, err := processEnv(fs, args, lookup)
	if err != nil {
		return err
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat)
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}
	// The whole service in one process keeps under a soft memory limit
	// (issue 17), raised while the live heap needs more (memlimit.Keep),
	// unless the operator set the runtime's own (GOMEMLIMIT) or none.
	if v, _ := lookup("GOMEMLIMIT"); v == "" && env.MemoryLimit > 0 {
		go memlimit.Keep(ctx, env.MemoryLimit, log)
	}
	return app.Run(ctx, app.Config{Env: env, File: file, Name: "run", Migrate: *migrate,
		Retention: env.Embedded()}, log)
}
