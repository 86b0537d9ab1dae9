package responsetimes

import (
	"testing"
	"time"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// fixture is the projection to the shared store suite and crash test.
var fixture = projectiontest.Fixture[Tx, Snapshot, Store, *View]{Name: Name,
	New:      func(s Store) *View { return NewView(s, scenarioTargets) },
	Backends: projectiontest.Backends[Store](NewMemoryStore, NewSQLStore),
	Events:   scenario, Relevant: relevant,
	Assert: func(t testing.TB, rt *View) { t.Helper(); assertReport(t, rt, scenarioReport()) }}

func at(day, hour, minute, second int) time.Time {
	return time.Date(2026, 3, day, hour, minute, second, 0, time.UTC)
}
