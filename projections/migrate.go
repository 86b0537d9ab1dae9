package projections

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver goose runs on
	"github.com/pressly/goose/v3"

	"github.com/helpline-org/helpline/deploy/migrations"
)

// Migrate brings the projections' database at dsn (PostgreSQL or
// CockroachDB) up to the latest schema in deploy/migrations. It is safe to
// run again: applied migrations are recorded in goose_db_version. Run it
// from one process at a time (`helpline migrate`): it takes no lock,
// because advisory locks are not portable to CockroachDB.
func Migrate(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
