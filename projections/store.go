package projections

import "context"

// CheckpointedStore is what every projection's store does with its state
// (S is a snapshot of all of it) and its checkpoint: the part that makes a
// projection exactly-once and rebuildable. Each projection's Store adds
// its queries.
type CheckpointedStore[Tx, S any] interface {
	// Checkpoint returns the last sequence applied under name (0: none).
	Checkpoint(ctx context.Context, name string) (uint64, error)
	// Update runs fn in one transaction and sets name's checkpoint to seq
	// in the same transaction. When seq is at or below the checkpoint, fn
	// is not called and Update reports false. If fn fails nothing changes.
	// fn may run more than once (a transaction retried whole), so it must
	// have no effects outside tx.
	Update(ctx context.Context, name string, seq uint64, fn func(tx Tx) error) (applied bool, err error)
	// UpdateBatch is Update for a batch of events whose last has
	// sequence seq: fn gets the checkpoint as read inside the transaction
	// and applies only the events after it.
	UpdateBatch(ctx context.Context, name string, seq uint64, fn func(tx Tx, checkpoint uint64) error) (applied bool, err error)
	// Reset empties the projection's state and name's checkpoint, in one
	// transaction.
	Reset(ctx context.Context, name string) error
	// Export returns the whole state and name's checkpoint, consistent
	// with each other.
	Export(ctx context.Context, name string) (S, error)
	// Import replaces the whole state with s and sets name's checkpoint
	// to s's, in one transaction, when the checkpoint is now expect or at
	// most s's; otherwise it returns ErrMovedOn. An invalid snapshot
	// changes nothing.
	Import(ctx context.Context, name string, s S, expect uint64) error
}

// Snapshot is what the framework needs of a read model's snapshot type S
// (its whole state): through *S, the snapshot's checkpoint, and a check
// that a store could hold it. Each read model's Snapshot implements it.
type Snapshot[S any] interface {
	*S
	// CheckpointRef returns the snapshot's checkpoint, to read or set.
	CheckpointRef() *uint64
	// Validate reports a snapshot that no store could hold (a row twice).
	Validate() error
}

// SnapshotStore is what a scratch copy needs of a projection's stores:
// the whole state out of the memory store, and into the target.
type SnapshotStore[S any] interface {
	Export(ctx context.Context, name string) (S, error)
	Import(ctx context.Context, name string, s S, expect uint64) error
}
