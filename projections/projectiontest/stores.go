package projectiontest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/deploy/migrations"
	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/projections"
)

// MigratedPool is a pool on a fresh PostgreSQL database with every
// migration applied. The database and the pool go when t ends. The
// database is a copy of one the migrations were applied to once per test
// server (pgtest.Template, named for the migrations' text): applying them
// took several times as long as the copy, in each of the store suites'
// sixty-odd PostgreSQL cases. The migrations themselves are tested where
// they are applied to an empty database (projections, cmd/helpline).
func MigratedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := pgtest.NewDatabaseFrom(t, pgtest.Template(t, migratedTemplate(t), projections.Migrate))
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// migratedTemplate names the template database of the migrations as they
// are: "m_" and a hash of every migration file's name and text.
func migratedTemplate(t testing.TB) string {
	t.Helper()
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		fmt.Fprintf(h, "%s %d\n%s", path, len(b), b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("m_%x", h.Sum(nil)[:8])
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
