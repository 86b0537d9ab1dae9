package projectiontest

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
)

// LogWith appends envs to a fresh in-process JetStream log (file storage,
// fsync on every write) and returns it with the envelopes' log sequences.
func LogWith(t testing.TB, envs []events.Envelope) (*events.Store, []events.Envelope) {
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

// SliceLog is a projections.Log over a slice: what events.Store.Read does,
// without a server, for unit tests and benchmarks.
type SliceLog []events.Envelope

// Read calls fn for each envelope after from, in order, and returns the
// last sequence read.
func (l SliceLog) Read(_ context.Context, _ string, from uint64, fn func(events.Envelope) error) (uint64, error) {
	last := from
	for _, e := range l {
		if e.Sequence <= from {
			continue
		}
		if err := fn(e); err != nil {
			return last, err
		}
		last = e.Sequence
	}
	return last, nil
}
