package inbox

import (
	"context"
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
