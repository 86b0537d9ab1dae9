package responsetimes

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// stores are the backends the suites run over.
var stores = projectiontest.Backends(
	func() Store { return NewMemoryStore() },
	func(p *pgxpool.Pool) Store { return NewSQLStore(p) })

func at(day, hour, minute, second int) time.Time {
	return time.Date(2026, 3, day, hour, minute, second, 0, time.UTC)
}
