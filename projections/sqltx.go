package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/cockroach-go/v2/crdb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The SQL mechanics every projection's SQL store shares: one transaction
// per update, and the checkpoint read, compared and written inside it.

var serializable = pgx.TxOptions{IsoLevel: pgx.Serializable}

// SerializableTx runs fn in one SERIALIZABLE transaction, retrying the
// WHOLE transaction on a serialization failure (40001): crdb.ExecuteCtx
// around pgx.BeginTxFunc. Not crdbpgxv5.ExecuteTx: on PostgreSQL it
// swallows a failed commit (see NOTES.md), and retrying inside one
// PostgreSQL transaction is useless.
func SerializableTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return crdb.ExecuteCtx(ctx, func(ctx context.Context, _ ...any) error {
		return pgx.BeginTxFunc(ctx, pool, serializable, fn)
	})
}

// Querier is what a pool and a transaction both offer for reads.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ReadCheckpoint returns the last sequence applied to a projection (0:
// none).
func ReadCheckpoint(ctx context.Context, q Querier, name string) (uint64, error) {
	var seq int64
	err := q.QueryRow(ctx, `SELECT seq FROM projection_checkpoints WHERE name = $1`, name).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	return uint64(seq), nil
}

// ApplyAtCheckpoint runs fn and moves the projection's checkpoint to seq in
// one transaction, unless seq is at or below the checkpoint: then nothing
// runs and it reports false. This is what makes a redelivered or replayed
// event change nothing, and a crash neither skip nor repeat one.
func ApplyAtCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string, seq uint64, fn func(pgx.Tx) error) (bool, error) {
	var applied bool
	err := SerializableTx(ctx, pool, func(tx pgx.Tx) error {
		applied = false // a retried transaction starts again
		cp, err := ReadCheckpoint(ctx, tx, name)
		if err != nil {
			return err
		}
		if seq <= cp {
			return nil
		}
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name, seq) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`, name, int64(seq)); err != nil {
			return fmt.Errorf("write checkpoint %s: %w", name, err)
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return applied, nil
}
