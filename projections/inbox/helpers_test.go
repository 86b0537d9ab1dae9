package inbox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/projections"
)

// storeMaker makes one empty store for a test.
type storeMaker func(t testing.TB) Store

var stores = []struct {
	name string
	make storeMaker
}{
	{"memory", func(testing.TB) Store { return NewMemoryStore() }},
	{"postgres", func(t testing.TB) Store { return NewSQLStore(migratedPool(t)) }},
}

// migratedPool is a pool on a fresh PostgreSQL database with every
// migration applied.
func migratedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	if err := projections.Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

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
type sliceLog []events.Envelope

func (l sliceLog) Read(_ context.Context, _ string, from uint64, fn func(events.Envelope) error) (uint64, error) {
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
	for _, e := range envs {
		ok, err := v.Apply(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		if ok != relevant[e.Type] {
			t.Fatalf("apply seq %d (%s): applied %v", e.Sequence, e.Type, ok)
		}
	}
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
