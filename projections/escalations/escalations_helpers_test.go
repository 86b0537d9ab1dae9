package escalations

import (
	"time"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// fixture is the projection to the shared store suite and crash test.
var fixture = projectiontest.Fixture[Tx, Snapshot, Store, *Queue]{Name: Name, New: NewQueue,
	Backends: projectiontest.Backends[Store](NewMemoryStore, NewSQLStore),
	Events:   scenario, Relevant: relevant, Assert: assertScenario}

func at(hour, minute, second int) time.Time {
	return time.Date(2026, 3, 2, hour, minute, second, 0, time.UTC)
}
