package projections

import "context"

// BatchProjection is a Projection that is also a Batcher, as each of ours
// is.
type BatchProjection interface {
	Projection
	Batcher
}

// SnapshotStore is what a scratch copy needs of a projection's stores:
// the whole state out of the memory store, and into the target.
type SnapshotStore[S any] interface {
	Export(ctx context.Context, name string) (S, error)
	Import(ctx context.Context, name string, s S, expect uint64) error
}

// MemoryScratch is a projection over an empty memory store, rebuilt there
// and swapped into the store it was made from: Swap exports the memory
// store's whole state and imports it into the target, in the target's one
// transaction.
type MemoryScratch[S any] struct {
	BatchProjection
	mem, target   SnapshotStore[S]
	setCheckpoint func(s *S, seq uint64)
}

// NewMemoryScratch returns p (over mem, an empty memory store) as the
// scratch copy of a projection over target; setCheckpoint sets a
// snapshot's checkpoint.
func NewMemoryScratch[S any](p BatchProjection, mem, target SnapshotStore[S], setCheckpoint func(s *S, seq uint64)) *MemoryScratch[S] {
	return &MemoryScratch[S]{BatchProjection: p, mem: mem, target: target, setCheckpoint: setCheckpoint}
}

// Swap implements Scratch.
func (s *MemoryScratch[S]) Swap(ctx context.Context, seq, expect uint64) error {
	name := s.Name()
	snap, err := s.mem.Export(ctx, name)
	if err != nil {
		return err
	}
	s.setCheckpoint(&snap, seq)
	return s.target.Import(ctx, name, snap, expect)
}
