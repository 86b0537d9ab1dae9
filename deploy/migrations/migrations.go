// Package migrations holds the SQL schema of the projections' database,
// one goose migration per file, embedded so the binary carries it. Every
// statement is in the subset PostgreSQL and CockroachDB both speak.
package migrations

import "embed"

// FS holds the migration files, applied in version order by goose.
//
//go:embed *.sql
var FS embed.FS
