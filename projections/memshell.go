package projections

import (
	"context"
	"fmt"
	"sync"
)

// MemoryCheckpoints is the shell every memory store shares: one lock over
// the store's maps and the projections' checkpoints. An update stages its
// writes and commits them with the checkpoint under the write lock, so
// state and checkpoint change together or not at all. The zero value is
// ready to use.
type MemoryCheckpoints struct {
	mu          sync.RWMutex
	checkpoints map[string]uint64
}

// RLock takes the read lock, for a store's queries.
func (m *MemoryCheckpoints) RLock() { m.mu.RLock() }

// RUnlock releases the read lock.
func (m *MemoryCheckpoints) RUnlock() { m.mu.RUnlock() }

// Checkpoint returns the last sequence applied under name (0: none).
func (m *MemoryCheckpoints) Checkpoint(name string) uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.checkpoints[name]
}

// Update is a memory store's UpdateBatch: under the write lock, unless seq
// is at or below name's checkpoint (then it reports false), stage gets the
// checkpoint and stages its writes; when it succeeds, the commit it
// returned runs and the checkpoint becomes seq. When it fails, nothing
// changes.
func (m *MemoryCheckpoints) Update(name string, seq uint64, stage func(checkpoint uint64) (commit func(), err error)) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := m.checkpoints[name]
	if seq <= cp {
		return false, nil
	}
	commit, err := stage(cp)
	if err != nil {
		return false, err
	}
	commit()
	m.set(name, seq)
	return true, nil
}

// Reset runs clear under the write lock and forgets name's checkpoint.
func (m *MemoryCheckpoints) Reset(name string, clear func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear()
	delete(m.checkpoints, name)
}

// Export runs read under the read lock with name's checkpoint: a
// snapshot consistent with it.
func (m *MemoryCheckpoints) Export(name string, read func(checkpoint uint64)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	read(m.checkpoints[name])
}

// Import is a memory store's Import: under the write lock, when name's
// checkpoint is expect or at most seq, replace replaces the whole state
// and the checkpoint becomes seq; otherwise it returns ErrMovedOn and
// nothing changes.
func (m *MemoryCheckpoints) Import(name string, seq, expect uint64, replace func()) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cp := m.checkpoints[name]; cp != expect && cp > seq {
		return fmt.Errorf("%s at %d, rebuilt to %d: %w", name, cp, seq, ErrMovedOn)
	}
	replace()
	m.set(name, seq)
	return nil
}

// set moves name's checkpoint to seq; the caller holds the write lock.
func (m *MemoryCheckpoints) set(name string, seq uint64) {
	if m.checkpoints == nil {
		m.checkpoints = map[string]uint64{}
	}
	m.checkpoints[name] = seq
}

// MemoryUpdates is, embedded in a projection's memory store, the store's
// Checkpoint, Update, UpdateBatch and Reset over its MemoryCheckpoints:
// begin stages a transaction (the Tx and its commit), clear empties the
// store's maps.
type MemoryUpdates[Tx any] struct {
	cps   *MemoryCheckpoints
	begin func() (tx Tx, commit func())
	clear func()
}

// NewMemoryUpdates returns the update plumbing of a memory store.
func NewMemoryUpdates[Tx any](cps *MemoryCheckpoints, begin func() (tx Tx, commit func()), clear func()) MemoryUpdates[Tx] {
	return MemoryUpdates[Tx]{cps: cps, begin: begin, clear: clear}
}

// Checkpoint returns the last sequence applied under name (0: none).
func (u MemoryUpdates[Tx]) Checkpoint(_ context.Context, name string) (uint64, error) {
	return u.cps.Checkpoint(name), nil
}

// Update runs fn and moves name's checkpoint to seq together, unless seq
// is at or below the checkpoint.
func (u MemoryUpdates[Tx]) Update(ctx context.Context, name string, seq uint64, fn func(Tx) error) (bool, error) {
	return u.UpdateBatch(ctx, name, seq, func(tx Tx, _ uint64) error { return fn(tx) })
}

// UpdateBatch is Update for a batch: fn gets the checkpoint.
func (u MemoryUpdates[Tx]) UpdateBatch(_ context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	return u.cps.Update(name, seq, func(cp uint64) (func(), error) {
		tx, commit := u.begin()
		return commit, fn(tx, cp)
	})
}

// Reset empties the store and forgets name's checkpoint.
func (u MemoryUpdates[Tx]) Reset(_ context.Context, name string) error {
	u.cps.Reset(name, u.clear)
	return nil
}
