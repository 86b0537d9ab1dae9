package projectiontest

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/projections"
)

// ErrCrash is what a crashing store's transaction dies with.
var ErrCrash = errors.New("crash")

// Crasher counts a store's batch updates and makes the At-th, and every
// one after it, fail half-way: after fn has made its writes and before the
// commit, as if the process died mid-transaction.
type Crasher struct {
	At      int
	updates int
}

// crashingStore is a store whose batch updates go through c.
type crashingStore[Tx, Snap any] struct {
	projections.CheckpointedStore[Tx, Snap]
	c *Crasher
}

func (s crashingStore[Tx, Snap]) UpdateBatch(ctx context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	s.c.updates++
	if s.c.updates < s.c.At {
		return s.CheckpointedStore.UpdateBatch(ctx, name, seq, fn)
	}
	return s.CheckpointedStore.UpdateBatch(ctx, name, seq, func(tx Tx, cp uint64) error {
		if err := fn(tx, cp); err != nil {
			return err
		}
		return ErrCrash
	})
}

// Checkpointer is what the crash test reads of a store: the checkpoint a
// projection's transactions left there.
type Checkpointer interface {
	Checkpoint(ctx context.Context, name string) (uint64, error)
}

// CrashPoint is where a first runner dies: in its At-th transaction, with
// Batch events a transaction.
type CrashPoint struct {
	Batch, At int
}

// Crash describes one projection's crash-then-replay test.
type Crash[S Checkpointer, P projections.Projection] struct {
	// Name is the projection's checkpoint name.
	Name     string
	Backends []Backend[S]
	Points   []CrashPoint
	// Crashing is the projection p over its store, with c deciding when
	// its transactions die.
	Crashing func(p P, c *Crasher) projections.BatchProjection
	// New makes the projection over a store.
	New func(S) P
	// Assert checks the projection holds exactly what the whole log makes.
	Assert func(t testing.TB, p P)
}

// CrashThenReplay runs c against each backend, over log whose last
// sequence is last. At each crash point a runner applies part of the log
// and dies in the middle of a transaction; the store's checkpoint must be
// part-way; a new projection and runner over the same store replay from
// the log, and the projection must then pass Assert at checkpoint last.
// Last, a clean rebuild into an empty store must pass the same checks.
func CrashThenReplay[S Checkpointer, P projections.Projection](t *testing.T, log projections.Log, last uint64, c Crash[S, P]) {
	t.Helper()
	ctx := context.Background()
	checkpointAtLast := func(t testing.TB, p P) {
		t.Helper()
		if cp, err := p.Checkpoint(ctx); err != nil || cp != last {
			t.Fatalf("checkpoint %d, %v: want %d", cp, err, last)
		}
	}
	for _, b := range c.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			for _, pt := range c.Points {
				st := b.Make(t)
				first := projections.NewRunner(log, c.Crashing(c.New(st), &Crasher{At: pt.At}), zerolog.Nop()).WithBatch(pt.Batch)
				if _, err := first.Replay(ctx); !errors.Is(err, ErrCrash) {
					t.Fatalf("batch %d, crash at %d: first runner: %v, want the crash", pt.Batch, pt.At, err)
				}
				cp, err := st.Checkpoint(ctx, c.Name)
				if err != nil || cp == 0 || cp >= last {
					t.Fatalf("batch %d, crash at %d: checkpoint after crash %d, %v: want part-way", pt.Batch, pt.At, cp, err)
				}

				// Restart: a new projection and runner over the same store.
				p := c.New(st)
				if _, err := projections.NewRunner(log, p, zerolog.Nop()).Replay(ctx); err != nil {
					t.Fatal(err)
				}
				c.Assert(t, p)
				checkpointAtLast(t, p)
			}
			clean := c.New(b.Make(t))
			if _, err := projections.NewRunner(log, clean, zerolog.Nop()).Rebuild(ctx, nil); err != nil {
				t.Fatal(err)
			}
			c.Assert(t, clean)
			checkpointAtLast(t, clean)
		})
	}
}
