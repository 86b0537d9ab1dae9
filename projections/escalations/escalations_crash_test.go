package escalations

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/projections"
)

// logWith appends envs to a fresh in-process JetStream log and returns it
// with the envelopes' log sequences.
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

// crashingStore fails the crashAt-th transaction after fn has made its writes
// and before the commit: the process "dies" mid-transaction.
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

// TestCrashThenReplay: a runner dies in the middle of an event's
// transaction; a new runner over the same store replays from the real
// JetStream log; the rows equal a clean rebuild's. Both stores.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	log, envs := logWith(t, scenario(t))
	last := envs[len(envs)-1].Sequence
	ctx := context.Background()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			st := s.make(t)
			crashing := &crashingStore{Store: st, crashAt: len(envs) / 2}
			first := projections.NewRunner(log, NewQueue(crashing), zerolog.Nop()).WithBatch(1)
			if _, err := first.Replay(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("first runner: %v, want the crash", err)
			}
			cp, err := st.Checkpoint(ctx, Name)
			if err != nil || cp == 0 || cp >= last {
				t.Fatalf("checkpoint after crash %d, %v: want part-way", cp, err)
			}

			q := NewQueue(st)
			if _, err := projections.NewRunner(log, q, zerolog.Nop()).Replay(ctx); err != nil {
				t.Fatal(err)
			}
			assertScenario(t, q)

			clean := NewQueue(s.make(t))
			if _, err := projections.NewRunner(log, clean, zerolog.Nop()).Rebuild(ctx, nil); err != nil {
				t.Fatal(err)
			}
			assertScenario(t, clean)
			for _, p := range []*Queue{q, clean} {
				if cp, _ := p.Checkpoint(ctx); cp != last {
					t.Fatalf("checkpoint %d, want %d", cp, last)
				}
			}
		})
	}
}
