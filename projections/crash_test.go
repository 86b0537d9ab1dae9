package projections

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

// logWith appends envs to a fresh in-process JetStream log (file storage,
// fsync on every write) and returns the store. Sequences are the log's.
func logWith(t testing.TB, envs []events.Envelope) (*events.Store, []events.Envelope) {
	t.Helper()
	ctx := context.Background()
	_, js := natstest.Connect(t, natstest.Server(t, "").ClientURL())
	store, err := events.NewStore(ctx, js, events.StoreConfig{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]events.Envelope, len(envs))
	for i, e := range envs {
		a, err := store.Append(ctx, events.ExpectAny, e)
		if err != nil {
			t.Fatal(err)
		}
		e.Sequence = a[0].Seq
		out[i] = e
	}
	return store, out
}

var errCrash = errors.New("crash")

// crashingStore fails the crashAt-th transaction half-way, after fn has made
// its writes and before the commit: the process "dies" mid-transaction.
type crashingStore struct {
	Store
	crashAt int
	updates int
}

func (c *crashingStore) UpdateBatch(ctx context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	c.updates++
	if c.updates < c.crashAt {
		return c.Store.UpdateBatch(ctx, name, seq, fn)
	}
	return c.Store.UpdateBatch(ctx, name, seq, func(tx Tx, cp uint64) error {
		if err := fn(tx, cp); err != nil {
			return err
		}
		return errCrash
	})
}

// TestCrashThenReplay: a runner applies part of the log and dies in the
// middle of a transaction, of one event or of a batch; a new runner over
// the same store replays from the log (in batches); the figures equal a
// clean pass. Both stores, a real JetStream log.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	store, envs := logWith(t, scenario(t))
	last := envs[len(envs)-1].Sequence
	ctx := context.Background()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct{ batch, crashAt int }{{1, len(envs) / 2}, {4, 3}} {
				st := s.make(t)
				crashing := &crashingStore{Store: st, crashAt: c.crashAt}
				first := NewRunner(store, NewResponseTimes(crashing, scenarioTargets), zerolog.Nop()).WithBatch(c.batch)
				if _, err := first.Replay(ctx); !errors.Is(err, errCrash) {
					t.Fatalf("batch %d: first runner: %v, want the crash", c.batch, err)
				}
				cp, err := st.Checkpoint(ctx, ResponseTimesName)
				if err != nil || cp == 0 || cp >= last {
					t.Fatalf("batch %d: checkpoint after crash %d, %v: want part-way", c.batch, cp, err)
				}

				// Restart: a new projection and runner over the same store.
				rt := NewResponseTimes(st, scenarioTargets)
				if _, err := NewRunner(store, rt, zerolog.Nop()).Replay(ctx); err != nil {
					t.Fatal(err)
				}
				assertReport(t, rt, scenarioReport())
				if cp, _ := rt.Checkpoint(ctx); cp != last {
					t.Fatalf("checkpoint %d, want %d", cp, last)
				}
			}
			clean := NewResponseTimes(s.make(t), scenarioTargets)
			if _, err := NewRunner(store, clean, zerolog.Nop()).Rebuild(ctx, nil); err != nil {
				t.Fatal(err)
			}
			assertReport(t, clean, scenarioReport())
			if cp, _ := clean.Checkpoint(ctx); cp != last {
				t.Fatalf("checkpoint %d, want %d", cp, last)
			}
		})
	}
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
	rt := NewResponseTimes(NewMemoryStore(), scenarioTargets)
	r := NewRunner(store, rt, zerolog.Nop())
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

	envs := scenario(t)
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
	assertReport(t, rt, scenarioReport())
}
