package projectiontest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
)

// LogWith appends envs to a fresh in-process JetStream log (file storage,
// fsync on every write) and returns it with the envelopes' log sequences.
func LogWith(t testing.TB, envs []events.Envelope) (*events.Store, []events.Envelope) {
	t.Helper()
	ctx := context.Background()
	_, store := natstest.Log(t)
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

// Script builds events in stream order, with sequences 1, 2, ... as a
// read filtered to one projection's subjects would see them, and envelope
// ids Prefix+"ev1", Prefix+"ev2", ... (EventID; a prefix lets several
// scripts share one log).
type Script struct {
	T      testing.TB
	Prefix string
	Envs   []events.Envelope
}

// Add appends an event of aggregateID with payload p, occurred at at.
func (s *Script) Add(aggregateID string, at time.Time, p events.Payload) events.Envelope {
	s.T.Helper()
	e, err := events.NewWithID(EventID(s.Prefix, len(s.Envs)+1), aggregateID, p, events.Meta{OccurredAt: at})
	if err != nil {
		s.T.Fatal(err)
	}
	e.Sequence = uint64(len(s.Envs) + 1)
	s.Envs = append(s.Envs, e)
	return e
}

// EventID is the id of a script's n-th event.
func EventID(prefix string, n int) string { return fmt.Sprintf("%sev%d", prefix, n) }
