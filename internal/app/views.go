package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// maxReadyLag is how many events a projection may have left to apply and
// still count as caught up for readiness.
const maxReadyLag = 100

// Views are a process's read models and the runners that follow the log
// into them.
type Views struct {
	// Inbox is the worker inbox.
	Inbox *inbox.View
	// Queue is the duty workers' escalation queue.
	Queue *escalations.Queue
	// Times are the managers' response-time figures.
	Times *responsetimes.View
	// Accounts are the staff accounts the console signs staff in against,
	// on the SQL database; nil on memory, where the console keeps its own
	// copy and catches it up from the log when it needs it (every replica
	// reads the whole log for it; no consumer shared with other processes
	// could feed it half the events).
	Accounts *accounts.View

	runners []*projections.Runner
	// pages are the runners of the projections the console's pages read
	// after a command (the inbox and the queue), which Await waits on.
	pages []*projections.Runner
	specs []consume.Local
	// lag reports a handler's lag once the process follows the log; nil
	// before.
	lag atomic.Pointer[lagFunc]
}

// lagFunc is how many events the handler of that name has left.
type lagFunc func(ctx context.Context, name string) (uint64, error)

// ResponseTargets are the lines' response targets, as the figures read
// them.
func ResponseTargets(file *config.File) map[string]responsetimes.Targets {
	targets := map[string]responsetimes.Targets{}
	for _, l := range file.Lines {
		targets[l.ID] = responsetimes.Targets{FirstResponse: l.FirstResponseTarget.Duration, NextResponse: l.NextResponseTarget.Duration,
			AbandonedAfter: l.AbandonedAfter.Duration}
	}
	return targets
}

// readModels builds the read models over SQL stores on pool, or memory
// stores when pool is nil.
func readModels(file *config.File, pool *pgxpool.Pool) *Views {
	targets := ResponseTargets(file)
	if pool == nil {
		return &Views{Inbox: inbox.NewView(inbox.NewMemoryStore()), Queue: escalations.NewQueue(escalations.NewMemoryStore()),
			Times: responsetimes.NewView(responsetimes.NewMemoryStore(), targets)}
	}
	return &Views{Inbox: inbox.NewView(inbox.NewSQLStore(pool)), Queue: escalations.NewQueue(escalations.NewSQLStore(pool)),
		Times: responsetimes.NewView(responsetimes.NewSQLStore(pool), targets), Accounts: accounts.NewView(accounts.NewSQLStore(pool))}
}

// projections lists the read models.
func (v *Views) projections() []projections.Projection {
	out := []projections.Projection{v.Times, v.Queue, v.Inbox}
	if v.Accounts != nil {
		out = append(out, v.Accounts)
	}
	return out
}

// SQLProjections are the read models over the SQL database at pool, for
// `helpline projections rebuild`.
func SQLProjections(file *config.File, pool *pgxpool.Pool) []projections.Projection {
	return readModels(file, pool).projections()
}

// addProjections builds the projections on memory (the embedded default,
// rebuilt from the log now) or on the SQL database, catches them up, and
// adds their handlers and their readiness (caught up).
func (pr *Process) addProjections(ctx context.Context) error {
	p := pr.Platform
	var pool *pgxpool.Pool
	if url := pr.cfg.Env.DatabaseURL; url != "" {
		var err error
		if pool, err = pgxpool.New(ctx, url); err != nil {
			return fmt.Errorf("%s: %w", config.VarDatabaseURL, err)
		}
		pr.onClose(pool.Close)
	}
	v := readModels(pr.cfg.File, pool)
	for _, view := range v.projections() {
		r := projections.NewRunner(p.Store, view, pr.log)
		v.runners = append(v.runners, r)
		if view == projections.Projection(v.Inbox) || view == projections.Projection(v.Queue) {
			v.pages = append(v.pages, r)
		}
	}
	for _, r := range v.runners {
		start := time.Now()
		n, err := r.Replay(ctx)
		if err != nil {
			return fmt.Errorf("catch up projection: %w", err)
		}
		pr.log.Info().Str("svc", "projections").Int("events", n).Dur("took", time.Since(start)).Msg("projection caught up")
		// Each process follows the log on its own, from where the
		// projection is (memory: rebuilt at every start; SQL: the
		// checkpoint), with nothing acknowledged on the server. SQL
		// replicas (projector, console) each apply every event; the
		// checkpoint read and written in each event's transaction makes
		// all but the first a no-op. A durable consumer shared by them
		// cost the log about four replicated, fsynced writes per event
		// (one event in flight: pull request added and removed,
		// delivered, acked), one event at a time, so the projections fell
		// minutes behind the log at 100 texts/s in the process cluster
		// while those writes took a large share of the NATS nodes' CPU
		// (loadtest/README.md, issue 17).
		spec := r.LocalSpec()
		v.specs = append(v.specs, spec)
		pr.add([]consume.Spec{spec}, nil)
	}
	pr.health.Add("projections", v.Ready)
	pr.Views = v
	return nil
}

// Await returns once the inbox and the escalation queue have applied the
// log up to seq (projections.Runner.Await), or ctx's error: the console
// waits so before it shows a person the page their command changed.
func (v *Views) Await(ctx context.Context, seq uint64) error {
	for _, r := range v.pages {
		if err := r.Await(ctx, seq); err != nil {
			return err
		}
	}
	return nil
}

// Ready reports whether every projection has caught up: at most
// maxReadyLag events left to apply.
func (v *Views) Ready(ctx context.Context) error {
	lagOf := v.lag.Load()
	if lagOf == nil {
		return errors.New("projections: not following the log yet")
	}
	for _, s := range v.specs {
		lag, err := (*lagOf)(ctx, s.Name)
		if err != nil {
			return err
		}
		if lag > maxReadyLag {
			return fmt.Errorf("%s: %d events behind", s.Name, lag)
		}
	}
	return nil
}
