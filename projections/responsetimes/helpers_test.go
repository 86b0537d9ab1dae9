package responsetimes

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/projections"
)

// storeMaker makes one empty store for a test.
type storeMaker func(t testing.TB) Store

func memoryStore(testing.TB) Store { return NewMemoryStore() }

// sqlStore makes a store on a fresh PostgreSQL database, migrated.
func sqlStore(t testing.TB) Store {
	return NewSQLStore(migratedPool(t))
}

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

var stores = []struct {
	name string
	make storeMaker
}{
	{"memory", memoryStore},
	{"postgres", sqlStore},
}

// script builds a list of events in stream order, with sequences 1, 2, ...
// as a single-subject-filtered read would see them.
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

// sliceLog is a projections.Log over a slice: what events.Store.Read does, without a
// server, for unit tests and benchmarks.
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

func at(day, hour, minute, second int) time.Time {
	return time.Date(2026, 3, day, hour, minute, second, 0, time.UTC)
}
