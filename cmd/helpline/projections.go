package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/schollz/progressbar/v3"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// maxReadyLag is how many events a projection may have left to apply and
// still count as caught up for readiness.
const maxReadyLag = 100

// projectionSet is the read models of a process.
type projectionSet struct {
	runners []*projections.Runner
	// inbox is the worker inbox, for the console to query.
	inbox *inbox.View
	// times and queue are the managers' figures and the duty queue, for
	// the console.
	times  *responsetimes.View
	queue  *escalations.Queue
	js     jetstream.JetStream
	stream string
	close  func()
}

// openProjections builds the projections on memory (the embedded default,
// rebuilt from the log now) or on the SQL database, and catches them up.
func openProjections(ctx context.Context, p *platform, file *config.File) (*projectionSet, error) {
	targets := map[string]time.Duration{}
	for _, l := range file.Lines {
		targets[l.ID] = l.FirstResponseTarget.Duration
	}
	var (
		rtStore    responsetimes.Store
		escStore   escalations.Store
		inboxStore inbox.Store
	)
	closeFn := func() {}
	if p.env.DatabaseURL == "" {
		rtStore, escStore, inboxStore = responsetimes.NewMemoryStore(), escalations.NewMemoryStore(), inbox.NewMemoryStore()
	} else {
		pool, err := pgxpool.New(ctx, p.env.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.VarDatabaseURL, err)
		}
		rtStore, escStore, inboxStore = responsetimes.NewSQLStore(pool), escalations.NewSQLStore(pool), inbox.NewSQLStore(pool)
		closeFn = pool.Close
	}
	set := &projectionSet{js: p.js, stream: p.store.Config().Stream, close: closeFn, inbox: inbox.NewView(inboxStore),
		times: responsetimes.NewView(rtStore, targets), queue: escalations.NewQueue(escStore)}
	for _, view := range []projections.Projection{set.times, set.queue, set.inbox} {
		set.runners = append(set.runners, projections.NewRunner(p.store, view, p.log))
	}
	for _, r := range set.runners {
		start := time.Now()
		n, err := r.Replay(ctx)
		if err != nil {
			closeFn()
			return nil, fmt.Errorf("catch up projection: %w", err)
		}
		p.log.Info().Str("svc", "projections").Int("events", n).Dur("took", time.Since(start)).Msg("projection caught up")
	}
	return set, nil
}

// addProjections opens the projections, catches them up, and adds their
// handlers and readiness (caught up) to pr.
func addProjections(ctx context.Context, pr *process, file *config.File) (*projectionSet, error) {
	views, err := openProjections(ctx, pr.p, file)
	if err != nil {
		return nil, err
	}
	pr.onClose(views.close)
	pr.health.Add("projections", views.Ready)
	pr.add(views.Specs(), nil)
	return views, nil
}

// Specs are the live handlers, one durable consumer per projection.
func (s *projectionSet) Specs() []consume.Spec {
	var out []consume.Spec
	for _, r := range s.runners {
		out = append(out, r.Spec())
	}
	return out
}

// Ready reports whether every projection has caught up: its durable
// consumer has at most maxReadyLag events left.
func (s *projectionSet) Ready(ctx context.Context) error {
	for _, r := range s.runners {
		name := r.Spec().Name
		c, err := s.js.Consumer(ctx, s.stream, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			return fmt.Errorf("%s: not following the log yet", name)
		}
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if lag := info.NumPending + uint64(info.NumAckPending); lag > maxReadyLag {
			return fmt.Errorf("%s: %d events behind", name, lag)
		}
	}
	return nil
}

// cmdMigrate runs `helpline migrate`: the SQL schema of the projections.
func cmdMigrate(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	if len(args) != 0 {
		return usageError{"usage: helpline migrate"}
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	if env.DatabaseURL == "" {
		return fmt.Errorf("%s is not set: memory projections need no migration", config.VarDatabaseURL)
	}
	if err := projections.Migrate(ctx, env.DatabaseURL); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintln(io.out, "migrations applied")
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
	p, err := openPlatform(ctx, env, log, "helpline-projections")
	if err != nil {
		return err
	}
	defer p.close()
	pool, err := pgxpool.New(ctx, env.DatabaseURL)
	if err != nil {
		return fmt.Errorf("%s: %w", config.VarDatabaseURL, err)
	}
	defer pool.Close()
	targets := map[string]time.Duration{}
	for _, l := range file.Lines {
		targets[l.ID] = l.FirstResponseTarget.Duration
	}
	last, err := p.store.LastSequence(ctx)
	if err != nil {
		return err
	}
	views := []projections.Projection{responsetimes.NewView(responsetimes.NewSQLStore(pool), targets),
		escalations.NewQueue(escalations.NewSQLStore(pool)), inbox.NewView(inbox.NewSQLStore(pool))}
	for _, view := range views {
		if only != "" && only != view.Name() {
			continue
		}
		if err := rebuild(ctx, io, projections.NewRunner(p.store, view, log), view.Name(), last); err != nil {
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
