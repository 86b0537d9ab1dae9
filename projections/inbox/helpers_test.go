package inbox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// stores are the backends the suites run over.
var stores = projectiontest.Backends(
	func() Store { return NewMemoryStore() },
	func(p *pgxpool.Pool) Store { return NewSQLStore(p) })

// script builds events in stream order, with sequences 1, 2, ... and
// envelope ids ev1, ev2, ... (prefixed, so several scripts can share one
// log).
type script struct {
	t      testing.TB
	prefix string
	envs   []events.Envelope
}

func (s *script) add(aggregateID string, at time.Time, p events.Payload) events.Envelope {
	s.t.Helper()
	e, err := events.NewWithID(s.eventID(len(s.envs)+1), aggregateID, p, events.Meta{OccurredAt: at})
	if err != nil {
		s.t.Fatal(err)
	}
	e.Sequence = uint64(len(s.envs) + 1)
	s.envs = append(s.envs, e)
	return e
}

func (s *script) eventID(n int) string { return fmt.Sprintf("%sev%d", s.prefix, n) }

// sliceLog is a projections.Log over a slice.
type sliceLog = projectiontest.SliceLog

func at(hour, minute, second int) time.Time {
	return time.Date(2026, 3, 2, hour, minute, second, 0, time.UTC)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func applyAll(t testing.TB, v *View, envs []events.Envelope) {
	t.Helper()
	projectiontest.ApplyAll(t, v, envs, relevant)
}

func mustList(t testing.TB, v *View, q Query) []Conversation {
	t.Helper()
	got, err := v.List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ids(cs []Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
