package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// cmdMigrate runs `helpline migrate`: before a rollout, the log's streams
// and shared keys bucket on the external NATS (as its setup user, the only
// one allowed to create or reconfigure them), and the SQL schema of the
// projections.
func cmdMigrate(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	env, err := envOnly(args, "usage: helpline migrate", lookup)
	if err != nil {
		return err
	}
	if env.Embedded() && env.DatabaseURL == "" {
		return fmt.Errorf("neither %s nor %s is set: 'helpline run' makes its own log, and memory projections need no migration",
			config.VarNATSURL, config.VarDatabaseURL)
	}
	if !env.Embedded() {
		log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("svc", "migrate").Logger()
		p, err := platform.Open(ctx, platform.Config{Env: env, Name: "helpline-migrate", Role: natsauth.Setup}, log)
		if err != nil {
			return err
		}
		_, err = keyring.EnsureBucket(ctx, p.JS, keyring.BucketConfig{Replicas: env.Replicas})
		p.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(io.out, "log streams and keys bucket ready (%d replicas)\n", env.Replicas)
	}
	if env.DatabaseURL != "" {
		if err := projections.Migrate(ctx, env.DatabaseURL); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fmt.Fprintln(io.out, "migrations applied")
	}
	return nil
}

// projectionPrefix starts every projection's name.
const projectionPrefix = "projection-"

// cmdProjections runs `helpline projections rebuild [name]`: replay the
// whole log into a copy of each SQL projection in memory, with progress,
// then swap the copy into the database in one transaction, and print the
// rate. Readers of the database see the old projection until the swap
// commits; killed before, the old one stays as it was.
func cmdProjections(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	names := []string{responsetimes.Name, escalations.Name, inbox.Name}
	usage := "usage: helpline projections rebuild [" + strings.Join(names, "|") + "] (the projection- prefix may be left out)"
	if len(args) == 0 || args[0] != "rebuild" || len(args) > 2 {
		return usageError{usage}
	}
	only := "" // all of them
	if len(args) == 2 {
		only = args[1]
		if !strings.HasPrefix(only, projectionPrefix) {
			only = projectionPrefix + only // "inbox" is "projection-inbox"
		}
		if !slices.Contains(names, only) {
			return usageError{fmt.Sprintf("no projection %q; %s", args[1], usage)}
		}
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	if env.DatabaseURL == "" {
		return fmt.Errorf("%s is not set: memory projections are rebuilt from the log at every start", config.VarDatabaseURL)
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("svc", "projections").Logger()
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}
	p, err := platform.Open(ctx, platform.Config{Env: env, Name: "helpline-projections", Role: natsauth.Admin}, log)
	if err != nil {
		return err
	}
	defer p.Close()
	pool, err := pgxpool.New(ctx, env.DatabaseURL)
	if err != nil {
		return fmt.Errorf("%s: %w", config.VarDatabaseURL, err)
	}
	defer pool.Close()
	last, err := p.Store.LastSequence(ctx)
	if err != nil {
		return err
	}
	for _, view := range app.SQLProjections(file, pool) {
		if only != "" && only != view.Name() {
			continue
		}
		if err := rebuild(ctx, io, projections.NewRunner(p.Store, view, log), view.Name(), last); err != nil {
			return err
		}
	}
	return nil
}

// rebuild builds one projection again from the whole log (in memory, then
// one swap transaction) with a progress bar, and reports the rate.
func rebuild(ctx context.Context, io stdio, r *projections.Runner, name string, last uint64) error {
	bar := progressbar.NewOptions64(int64(last), progressbar.OptionSetWriter(io.err), progressbar.OptionSetDescription("rebuild "+name),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	start := time.Now()
	n, err := r.Rebuild(ctx, func(seq uint64, _ int) { _ = bar.Set64(int64(seq)) })
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	took := time.Since(start)
	fmt.Fprintf(io.out, "rebuilt %s: %d events in %s (%.0f events/s), swapped in at seq %d\n", name, n, took.Round(time.Millisecond),
		float64(n)/took.Seconds(), r.Position())
	return nil
}
