package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Table is one table of a read model's SQL state.
type Table struct {
	Name pgx.Identifier // e.g. {"inbox", "messages"}
	// Columns are what Import copies in, in the order of each row's values.
	Columns []string
}

// SQLHooks are what a SQL store gives its shell.
type SQLHooks[Tx, S any] struct {
	// Wrap makes the read model's Tx from a database transaction.
	Wrap func(pgx.Tx) Tx
	// Tables are the read model's state, emptied by Reset and Import.
	Tables []Table
	// Export reads the whole state, but for its checkpoint, inside tx. It
	// may run more than once (a transaction retried whole): it starts
	// from nothing each time.
	Export func(ctx context.Context, tx pgx.Tx) (S, error)
	// Rows returns the rows that hold s, for each of Tables in order.
	Rows func(s S) [][][]any
}

// SQLShell is, embedded in a read model's SQL store (PostgreSQL or
// CockroachDB, schema from Migrate), everything the store does with its
// state as a whole: Checkpoint, Update, UpdateBatch, Reset, Export and
// Import, with the checkpoint in the shared projection_checkpoints table.
// Every update is one SERIALIZABLE transaction with the checkpoint read
// and written inside it, retried whole on a serialization failure
// (SerializableTx).
type SQLShell[Tx, S any, PS Snapshot[S]] struct {
	pool  *pgxpool.Pool
	hooks SQLHooks[Tx, S]
}

// NewSQLShell returns the shell of a store over pool; the caller owns the
// pool.
func NewSQLShell[Tx, S any, PS Snapshot[S]](pool *pgxpool.Pool, h SQLHooks[Tx, S]) SQLShell[Tx, S, PS] {
	return SQLShell[Tx, S, PS]{pool: pool, hooks: h}
}

// Pool is the pool the store's queries read through.
func (c SQLShell[Tx, S, PS]) Pool() *pgxpool.Pool { return c.pool }

// Checkpoint returns the last sequence applied under name (0: none).
func (c SQLShell[Tx, S, PS]) Checkpoint(ctx context.Context, name string) (uint64, error) {
	return ReadCheckpoint(ctx, c.pool, name)
}

// Update runs fn and moves name's checkpoint to seq in one transaction,
// unless seq is at or below the checkpoint.
func (c SQLShell[Tx, S, PS]) Update(ctx context.Context, name string, seq uint64, fn func(Tx) error) (bool, error) {
	return c.UpdateBatch(ctx, name, seq, func(tx Tx, _ uint64) error { return fn(tx) })
}

// UpdateBatch is Update for a batch: fn gets the checkpoint as read
// inside the transaction.
func (c SQLShell[Tx, S, PS]) UpdateBatch(ctx context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	return applyAtCheckpoint(ctx, c.pool, name, seq, func(tx pgx.Tx, cp uint64) error { return fn(c.hooks.Wrap(tx), cp) })
}

// Reset empties the store's tables and name's checkpoint, in one
// transaction.
func (c SQLShell[Tx, S, PS]) Reset(ctx context.Context, name string) error {
	return resetAtCheckpoint(ctx, c.pool, name, c.hooks.Tables)
}

// Export returns the whole state and name's checkpoint, every table read
// in one transaction with it.
func (c SQLShell[Tx, S, PS]) Export(ctx context.Context, name string) (S, error) {
	var s S
	err := exportAtCheckpoint(ctx, c.pool, name, func(tx pgx.Tx, cp uint64) error {
		var err error
		if s, err = c.hooks.Export(ctx, tx); err != nil {
			return err
		}
		*PS(&s).CheckpointRef() = cp
		return nil
	})
	if err != nil {
		var zero S
		return zero, err
	}
	return s, nil
}

// Import replaces the whole state with s and sets name's checkpoint to
// s's in one transaction (swapAtCheckpoint): the tables emptied, then
// copied into. It returns ErrMovedOn unless the checkpoint is now expect
// or at most s's. An invalid snapshot changes nothing.
func (c SQLShell[Tx, S, PS]) Import(ctx context.Context, name string, s S, expect uint64) error {
	if err := PS(&s).Validate(); err != nil {
		return err
	}
	rows := c.hooks.Rows(s)
	if len(rows) != len(c.hooks.Tables) {
		return fmt.Errorf("import %s: rows for %d tables, want %d", name, len(rows), len(c.hooks.Tables))
	}
	return swapAtCheckpoint(ctx, c.pool, name, *PS(&s).CheckpointRef(), expect, func(tx pgx.Tx) error {
		if err := deleteAll(ctx, tx, c.hooks.Tables); err != nil {
			return err
		}
		for i, t := range c.hooks.Tables {
			if err := copyRows(ctx, tx, t, rows[i]); err != nil {
				return err
			}
		}
		return nil
	})
}
