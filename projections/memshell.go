package projections

import (
	"context"
	"fmt"
	"iter"
	"sync"
)

// MemoryShell is, embedded in a read model's memory store, everything the
// store does with its state as a whole: Checkpoint, Update, UpdateBatch,
// Reset, Export and Import, over the store's maps behind one lock. An
// update stages its writes (MemoryHooks.Begin) and commits them with the
// checkpoint under the write lock, so state and checkpoint change together
// or not at all. Queries take the read lock (RLock).
type MemoryShell[Tx, S any, PS Snapshot[S]] struct {
	mu          sync.RWMutex
	checkpoints map[string]uint64
	hooks       MemoryHooks[Tx, S]
}

// MemoryHooks are what a memory store gives its shell.
type MemoryHooks[Tx, S any] struct {
	// Begin stages one update's writes: the Tx, and the commit that
	// applies them (called under the write lock, only if the update
	// succeeds).
	Begin func() (tx Tx, commit func())
	// Clear empties the store's maps.
	Clear func()
	// Export copies the whole state, but for its checkpoint (the read lock
	// is held).
	Export func() S
	// Import loads s into the emptied maps (the write lock is held).
	Import func(s S)
}

// Init sets the store's hooks and empties it. Call it once, from the
// store's constructor.
func (m *MemoryShell[Tx, S, PS]) Init(h MemoryHooks[Tx, S]) {
	m.hooks = h
	h.Clear()
}

// RLock takes the read lock, for a store's queries.
func (m *MemoryShell[Tx, S, PS]) RLock() { m.mu.RLock() }

// RUnlock releases the read lock.
func (m *MemoryShell[Tx, S, PS]) RUnlock() { m.mu.RUnlock() }

// Checkpoint returns the last sequence applied under name (0: none).
func (m *MemoryShell[Tx, S, PS]) Checkpoint(_ context.Context, name string) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.checkpoints[name], nil
}

// Update runs fn and moves name's checkpoint to seq together, unless seq
// is at or below the checkpoint.
func (m *MemoryShell[Tx, S, PS]) Update(ctx context.Context, name string, seq uint64, fn func(Tx) error) (bool, error) {
	return m.UpdateBatch(ctx, name, seq, func(tx Tx, _ uint64) error { return fn(tx) })
}

// UpdateBatch is Update for a batch: fn gets the checkpoint. Under the
// write lock, unless seq is at or below name's checkpoint (then it reports
// false), fn stages its writes; when it succeeds they are committed and
// the checkpoint becomes seq. When it fails, nothing changes.
func (m *MemoryShell[Tx, S, PS]) UpdateBatch(_ context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := m.checkpoints[name]
	if seq <= cp {
		return false, nil
	}
	tx, commit := m.hooks.Begin()
	if err := fn(tx, cp); err != nil {
		return false, err
	}
	commit()
	m.set(name, seq)
	return true, nil
}

// Reset empties the store and forgets name's checkpoint.
func (m *MemoryShell[Tx, S, PS]) Reset(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hooks.Clear()
	delete(m.checkpoints, name)
	return nil
}

// Export returns the whole state and name's checkpoint, consistent with
// each other.
func (m *MemoryShell[Tx, S, PS]) Export(_ context.Context, name string) (S, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.hooks.Export()
	*PS(&s).CheckpointRef() = m.checkpoints[name]
	return s, nil
}

// Import replaces the whole state with s and sets name's checkpoint to
// s's, when the checkpoint is now expect or at most s's; otherwise it
// returns ErrMovedOn. An invalid snapshot changes nothing.
func (m *MemoryShell[Tx, S, PS]) Import(_ context.Context, name string, s S, expect uint64) error {
	if err := PS(&s).Validate(); err != nil {
		return err
	}
	seq := *PS(&s).CheckpointRef()
	m.mu.Lock()
	defer m.mu.Unlock()
	if cp := m.checkpoints[name]; cp != expect && cp > seq {
		return fmt.Errorf("%s at %d, rebuilt to %d: %w", name, cp, seq, ErrMovedOn)
	}
	m.hooks.Clear()
	m.hooks.Import(s)
	m.set(name, seq)
	return nil
}

// set moves name's checkpoint to seq; the caller holds the write lock.
func (m *MemoryShell[Tx, S, PS]) set(name string, seq uint64) {
	if m.checkpoints == nil {
		m.checkpoints = map[string]uint64{}
	}
	m.checkpoints[name] = seq
}

// Staged is one update's writes to one map of a memory store: reads see
// them over the committed map, Commit applies them. The store's write
// lock is held from Begin to the commit, so the map does not change under
// it.
type Staged[K comparable, V any] struct {
	base   map[K]V
	writes map[K]*V // nil: deleted
}

// Stage starts staging writes to base.
func Stage[K comparable, V any](base map[K]V) *Staged[K, V] {
	return &Staged[K, V]{base: base, writes: map[K]*V{}}
}

// Get returns k's value as the update sees it, and whether it has one.
// Like Put and Delete, it has the signature of a Tx method and never
// fails.
func (s *Staged[K, V]) Get(k K) (V, bool, error) {
	if v, staged := s.writes[k]; staged {
		if v == nil {
			var zero V
			return zero, false, nil
		}
		return *v, true, nil
	}
	v, ok := s.base[k]
	return v, ok, nil
}

// Put stages k's new value.
func (s *Staged[K, V]) Put(k K, v V) error {
	s.writes[k] = &v
	return nil
}

// Delete stages k's removal.
func (s *Staged[K, V]) Delete(k K) error {
	s.writes[k] = nil
	return nil
}

// Puts yields each key the update writes (not deletes) and its new value.
func (s *Staged[K, V]) Puts() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, v := range s.writes {
			if v != nil && !yield(k, *v) {
				return
			}
		}
	}
}

// Commit applies the staged writes to the map.
func (s *Staged[K, V]) Commit() {
	for k, v := range s.writes {
		if v == nil {
			delete(s.base, k)
		} else {
			s.base[k] = *v
		}
	}
}
