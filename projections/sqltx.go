package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/cockroach-go/v2/crdb"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/helpline-org/helpline/events"
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

// applyAtCheckpoint runs fn and moves the projection's checkpoint to seq
// in one transaction, unless seq is at or below the checkpoint: then
// nothing runs and it reports false. This is what makes a redelivered or
// replayed event change nothing, and a crash neither skip nor repeat one.
// For a batch of events whose last has sequence seq, fn gets the
// checkpoint as read inside the transaction and applies only the events
// after it, so a batch that overlaps what another runner applied
// meanwhile applies the rest once.
func applyAtCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string, seq uint64, fn func(tx pgx.Tx, checkpoint uint64) error) (bool, error) {
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
		if err := fn(tx, cp); err != nil {
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

// exportAtCheckpoint reads a projection's whole state in one
// SERIALIZABLE transaction, retried whole: fn reads every table into the
// caller's snapshot, given the checkpoint read in the same transaction, so
// the two are consistent. fn may run more than once: it must start its
// snapshot again each time.
func exportAtCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string, fn func(tx pgx.Tx, checkpoint uint64) error) error {
	err := SerializableTx(ctx, pool, func(tx pgx.Tx) error {
		cp, err := ReadCheckpoint(ctx, tx, name)
		if err != nil {
			return err
		}
		return fn(tx, cp)
	})
	if err != nil {
		return fmt.Errorf("export %s: %w", name, err)
	}
	return nil
}

// ErrMovedOn is returned by a swap when the projection applied events
// past the rebuilt state while the rebuild ran (a live runner in another
// process): swapping would move it back. The Runner then replays the rest
// of the log into its scratch copy and swaps again.
var ErrMovedOn = errors.New("projection moved on during the rebuild")

// copyChunk is how many rows one COPY sends. The swap's transaction holds
// every row of the projection whatever the chunk; chunks only bound each
// statement (and the client's buffer).
const copyChunk = 5000

// swapAtCheckpoint replaces a projection's rows and checkpoint in ONE
// SERIALIZABLE transaction, retried whole: fn deletes the projection's
// rows and copies the new ones in (copyRows), and the checkpoint becomes
// seq. Readers see the old rows until it commits; a crash before leaves
// them intact.
//
// The checkpoint read inside the transaction must be expect (what it was
// when the rebuild began: nobody applied anything since) or at most seq
// (whatever was applied meanwhile, the rebuild has too); otherwise
// ErrMovedOn and nothing changes.
//
// The whole projection is one transaction. PostgreSQL takes that in its
// stride. CockroachDB runs COPY inside an explicit transaction atomically,
// but large transactions hold write intents on every row until commit
// (readers of those rows wait, they never see a half state), and past
// roughly a million rows or a few hundred MiB they risk retries and memory
// limits (kv.transaction.max_intents_bytes,
// sql.defaults.transaction_rows_written_err). That is our limit, from
// CockroachDB's documentation, not measured here (no CockroachDB on the
// test machine): a projection up to about a million rows swaps in one
// transaction. Beyond it the swap needs a generation column (write the
// new state in bounded transactions, flip one pointer, delete the old
// generation in batches), which is not built.
func swapAtCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string, seq, expect uint64, fn func(pgx.Tx) error) error {
	return SerializableTx(ctx, pool, func(tx pgx.Tx) error {
		cp, err := ReadCheckpoint(ctx, tx, name)
		if err != nil {
			return err
		}
		if cp != expect && cp > seq {
			return fmt.Errorf("%s at %d, rebuilt to %d: %w", name, cp, seq, ErrMovedOn)
		}
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name, seq) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`, name, int64(seq)); err != nil {
			return fmt.Errorf("write checkpoint %s: %w", name, err)
		}
		return nil
	})
}

// resetAtCheckpoint empties tables and deletes the projection's
// checkpoint, in one transaction: what a store's Reset does.
func resetAtCheckpoint(ctx context.Context, pool *pgxpool.Pool, name string, tables []Table) error {
	return SerializableTx(ctx, pool, func(tx pgx.Tx) error {
		if err := deleteAll(ctx, tx, tables); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM projection_checkpoints WHERE name = $1`, name); err != nil {
			return fmt.Errorf("reset checkpoint: %w", err)
		}
		return nil
	})
}

// NullTime is t for a nullable TIMESTAMPTZ column: NULL when zero, else
// in UTC.
func NullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// NotNullList is s for a NOT NULL array column: never a NULL.
func NotNullList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SealedBytes is a sealed field's ciphertext for a NULL-able BYTEA column:
// NULL when there is none.
func SealedBytes(s events.Sealed) []byte {
	if len(s.Data) == 0 {
		return nil
	}
	return s.Data
}

// deleteAll empties tables inside tx. DELETE rather than TRUNCATE:
// CockroachDB's TRUNCATE is not transactional with the checkpoint.
func deleteAll(ctx context.Context, tx pgx.Tx, tables []Table) error {
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `DELETE FROM `+t.Name.Sanitize()+` WHERE true`); err != nil {
			return fmt.Errorf("empty %s: %w", t.Name.Sanitize(), err)
		}
	}
	return nil
}

// copyRows bulk-inserts rows into t inside tx with COPY (pgx.CopyFrom,
// which PostgreSQL and CockroachDB both take), copyChunk rows at a time.
func copyRows(ctx context.Context, tx pgx.Tx, t Table, rows [][]any) error {
	for i := 0; i < len(rows); i += copyChunk {
		if _, err := tx.CopyFrom(ctx, t.Name, t.Columns, pgx.CopyFromRows(rows[i:min(i+copyChunk, len(rows))])); err != nil {
			return fmt.Errorf("copy into %s: %w", t.Name.Sanitize(), err)
		}
	}
	return nil
}

// Found maps the error of a one-row read (QueryRow(...).Scan): no row is
// not found, without an error; any other error is wrapped, naming what.
func Found(err error, what string) (bool, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", what, err)
	}
	return true, nil
}

// QueryAll reads every row sql selects, each through scan; none is nil
// (every store reads an empty list back as nil). Errors are wrapped,
// naming what.
func QueryAll[T any](ctx context.Context, q Querier, what string, scan func(pgx.CollectableRow) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// QueryEach scans each row sql selects into dest and calls fn after each;
// errors, fn's included, are wrapped, naming what.
func QueryEach(ctx context.Context, q Querier, what string, dest []any, fn func() error, sql string, args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, err := pgx.ForEachRow(rows, dest, fn); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// SetIn sets m[k] to v, making the map first when it is nil: a snapshot's
// maps are nil when empty.
func SetIn[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// Exec runs one write inside tx; its error is wrapped, naming what.
func Exec(ctx context.Context, tx pgx.Tx, what, sql string, args ...any) error {
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
