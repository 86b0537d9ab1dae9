package projectiontest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/projections"
)

// MigratedPool is a pool on a fresh PostgreSQL database with every
// migration applied. The database and the pool go when t ends.
func MigratedPool(t testing.TB) *pgxpool.Pool {
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

// Backend is one implementation of a projection's store, by name.
type Backend[S any] struct {
	Name string
	// Make returns an empty store for one test.
	Make func(t testing.TB) S
}

// Backends is the memory store and the SQL store on a fresh migrated
// PostgreSQL database: what every store suite runs over.
func Backends[S any](memory func() S, sql func(*pgxpool.Pool) S) []Backend[S] {
	return []Backend[S]{
		{"memory", func(testing.TB) S { return memory() }},
		{"postgres", func(t testing.TB) S { return sql(MigratedPool(t)) }},
	}
}

// RunSuite runs suite in parallel against each backend, as a subtest named
// for it.
func RunSuite[S any](t *testing.T, backends []Backend[S], suite func(t *testing.T, newStore func(testing.TB) S)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			suite(t, b.Make)
		})
	}
}

// Must fails the test on err.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
