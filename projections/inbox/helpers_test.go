package inbox

import (
	"context"
	"testing"
	"time"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// fixture is the projection to the shared store suite and crash test.
var fixture = projectiontest.Fixture[Tx, Snapshot, Store, *View]{Name: Name, New: NewView,
	Backends: projectiontest.Backends[Store](NewMemoryStore, NewSQLStore),
	Events:   scenario, Relevant: relevant, Assert: func(t testing.TB, v *View) { t.Helper(); assertScenario(t, v, plain) }}

// plain is the scenario's event ids.
func plain(n int) string { return projectiontest.EventID("", n) }

func at(hour, minute, second int) time.Time {
	return time.Date(2026, 3, 2, hour, minute, second, 0, time.UTC)
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
