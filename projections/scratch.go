package projections

import "context"

// BatchProjection is a Projection that is also a Batcher, as each of ours
// is.
type BatchProjection interface {
	Projection
	Batcher
}

// MemoryScratch is a projection over an empty memory store, rebuilt there
// and swapped into the store it was made from: Swap exports the memory
// store's whole state and imports it into the target, in the target's one
// transaction.
type MemoryScratch[S any, PS Snapshot[S]] struct {
	BatchProjection
	mem, target SnapshotStore[S]
}

// NewMemoryScratch returns p (over mem, an empty memory store) as the
// scratch copy of a projection over target.
func NewMemoryScratch[S any, PS Snapshot[S]](p BatchProjection, mem, target SnapshotStore[S]) *MemoryScratch[S, PS] {
	return &MemoryScratch[S, PS]{BatchProjection: p, mem: mem, target: target}
}

// Swap implements Scratch.
func (s *MemoryScratch[S, PS]) Swap(ctx context.Context, seq, expect uint64) error {
	name := s.Name()
	snap, err := s.mem.Export(ctx, name)
	if err != nil {
		return err
	}
	*PS(&snap).CheckpointRef() = seq
	return s.target.Import(ctx, name, snap, expect)
}
