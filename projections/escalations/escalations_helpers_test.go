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

func at(hour, minute, second int) time.Time {
	return time.Date(2026, 3, 2, hour, minute, second, 0, time.UTC)
}

func applyAll(t testing.TB, q *Queue, envs []events.Envelope) {
	t.Helper()
	projectiontest.ApplyAll(t, q, envs, relevant)
}
