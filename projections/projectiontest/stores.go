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
// PostgreSQL database: what every store suite runs over. memory and sql
// are a projection's constructors, whose stores are S's.
func Backends[S, M, Q any](memory func() M, sql func(*pgxpool.Pool) Q) []Backend[S] {
	return []Backend[S]{
		{"memory", func(testing.TB) S { return any(memory()).(S) }},
		{"postgres", func(t testing.TB) S { return any(sql(MigratedPool(t))).(S) }},
	}
}

// Must fails the test on err.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
