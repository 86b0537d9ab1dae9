package responsetimes_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/projectiontest"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// crashingStore is a Store whose transactions die half-way when c says.
type crashingStore struct {
	responsetimes.Store
	c *projectiontest.Crasher
}

func (s crashingStore) UpdateBatch(ctx context.Context, name string, seq uint64, fn func(responsetimes.Tx, uint64) error) (bool, error) {
	return projectiontest.CrashingUpdate(ctx, s.c, s.Store.UpdateBatch, name, seq, fn)
}

// TestCrashThenReplay: a runner applies part of the log and dies in the
// middle of a transaction, of one event or of a batch; a new runner over
// the same store replays from the log (in batches); the figures equal a
// clean pass. Both stores, a real JetStream log.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	log, envs := projectiontest.LogWith(t, responsetimes.Scenario(t))
	newRT := func(s responsetimes.Store) *responsetimes.View {
		return responsetimes.NewView(s, responsetimes.ScenarioTargets)
	}
	projectiontest.CrashThenReplay(t, log, envs[len(envs)-1].Sequence, projectiontest.Crash[responsetimes.Store, *responsetimes.View]{
		Name: responsetimes.Name,
		Backends: projectiontest.Backends(
			func() responsetimes.Store { return responsetimes.NewMemoryStore() },
			func(p *pgxpool.Pool) responsetimes.Store { return responsetimes.NewSQLStore(p) }),
		Points:   []projectiontest.CrashPoint{{Batch: 1, At: len(envs) / 2}, {Batch: 4, At: 3}},
		Crashing: func(s responsetimes.Store, c *projectiontest.Crasher) responsetimes.Store { return crashingStore{s, c} },
		New:      newRT,
		Assert: func(t testing.TB, rt *responsetimes.View) {
			t.Helper()
			responsetimes.AssertReport(t, rt, responsetimes.ScenarioReport())
		},
	})
}

// TestFollowLive: the runner's consume.Spec on a real router keeps the
// projection up to date as events are appended.
func TestFollowLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, js := natstest.Connect(t, natstest.Server(t, "").ClientURL())
	store, err := events.NewStore(ctx, js, events.StoreConfig{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	rt := responsetimes.NewView(responsetimes.NewMemoryStore(), responsetimes.ScenarioTargets)
	r := projections.NewRunner(store, rt, zerolog.Nop())
	router, err := consume.NewRouter(js, store, consume.Config{NackDelay: 20 * time.Millisecond, RetryWait: time.Millisecond},
		[]consume.Spec{r.Spec()}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = router.Run(rctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-router.Running()

	envs := responsetimes.Scenario(t)
	for _, e := range envs {
		if _, err := store.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	last, err := store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 15*time.Second, func() error {
		if p := r.Position(); p < last {
			return fmt.Errorf("position %d, want %d", p, last)
		}
		return nil
	})
	responsetimes.AssertReport(t, rt, responsetimes.ScenarioReport())
}
