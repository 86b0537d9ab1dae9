package escalations

import (
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

// script builds events in stream order, with sequences 1, 2, ...
type script struct {
	t    testing.TB
	envs []events.Envelope
}

func (s *script) add(conv string, at time.Time, p events.Payload) {
	s.t.Helper()
	e, err := events.New(conv, p, events.Meta{OccurredAt: at})
	if err != nil {
		s.t.Fatal(err)
	}
	e.Sequence = uint64(len(s.envs) + 1)
	s.envs = append(s.envs, e)
}

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

func applyAll(t testing.TB, q *Queue, envs []events.Envelope) {
	t.Helper()
	projectiontest.ApplyAll(t, q, envs, relevant)
}
