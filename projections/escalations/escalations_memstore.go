package escalations

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/helpline-org/helpline/projections"
)

// MemoryStore is the embedded default Store: maps behind one mutex. An
// update stages its writes and commits them with the checkpoint under the
// lock, so rows and checkpoint change together or not at all.
type MemoryStore struct {
	mu            sync.RWMutex
	checkpoints   map[string]uint64
	escalations   map[string]Escalation
	conversations map[string]Conversation
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{checkpoints: map[string]uint64{}}
	s.clear()
	return s
}

func (s *MemoryStore) clear() {
	s.escalations = map[string]Escalation{}
	s.conversations = map[string]Conversation{}
}

// Checkpoint implements Store.
func (s *MemoryStore) Checkpoint(_ context.Context, name string) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkpoints[name], nil
}

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, name string, seq uint64, fn func(Tx) error) (bool, error) {
	return s.UpdateBatch(ctx, name, seq, func(tx Tx, _ uint64) error { return fn(tx) })
}

// UpdateBatch implements Store.
func (s *MemoryStore) UpdateBatch(_ context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := s.checkpoints[name]
	if seq <= cp {
		return false, nil
	}
	tx := &memTx{s: s, escalations: map[string]Escalation{}, conversations: map[string]*Conversation{}}
	if err := fn(tx, cp); err != nil {
		return false, err
	}
	for id, e := range tx.escalations {
		s.escalations[id] = e
	}
	for id, c := range tx.conversations {
		if c == nil {
			delete(s.conversations, id)
		} else {
			s.conversations[id] = *c
		}
	}
	s.checkpoints[name] = seq
	return true, nil
}

// Reset implements Store.
func (s *MemoryStore) Reset(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	delete(s.checkpoints, name)
	return nil
}

// Export implements Store.
func (s *MemoryStore) Export(_ context.Context, name string) (Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := Snapshot{Checkpoint: s.checkpoints[name]}
	for _, e := range s.escalations {
		snap.Escalations = append(snap.Escalations, clone(e))
	}
	sort.Slice(snap.Escalations, func(i, j int) bool { return snap.Escalations[i].ID < snap.Escalations[j].ID })
	if len(s.conversations) > 0 {
		snap.Conversations = maps.Clone(s.conversations)
	}
	return snap, nil
}

// Import implements Store.
func (s *MemoryStore) Import(_ context.Context, name string, snap Snapshot, expect uint64) error {
	if err := snap.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cp := s.checkpoints[name]; cp != expect && cp > snap.Checkpoint {
		return fmt.Errorf("%s at %d, rebuilt to %d: %w", name, cp, snap.Checkpoint, projections.ErrMovedOn)
	}
	s.clear()
	for _, e := range snap.Escalations {
		s.escalations[e.ID] = clone(e)
	}
	maps.Copy(s.conversations, snap.Conversations)
	s.checkpoints[name] = snap.Checkpoint
	return nil
}

// Open implements Store.
func (s *MemoryStore) Open(_ context.Context, lineIDs []string, limit int, after Cursor) ([]Escalation, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Escalation
	for _, e := range s.escalations {
		if e.Open() && slices.Contains(lineIDs, e.LineID) && (after.IsZero() || less(after, e.After())) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].After(), out[j].After()) })
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		out[i] = clone(out[i])
	}
	return out, nil
}

// less orders cursors by raised time, then id.
func less(a, b Cursor) bool {
	if !a.RaisedAt.Equal(b.RaisedAt) {
		return a.RaisedAt.Before(b.RaisedAt)
	}
	return a.ID < b.ID
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, id string) (Escalation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.escalations[id]
	if !ok {
		return Escalation{}, fmt.Errorf("escalation %s: %w", id, ErrNotFound)
	}
	return clone(e), nil
}

// clone copies e's lists, so a caller never shares the store's memory.
func clone(e Escalation) Escalation {
	e.Categories = nonEmpty(e.Categories)
	e.Terms = nonEmpty(e.Terms)
	if len(e.Pages) == 0 {
		e.Pages = nil
	} else {
		e.Pages = slices.Clone(e.Pages)
	}
	return e
}

// memTx stages one update's writes; a nil conversation is a deletion.
type memTx struct {
	s             *MemoryStore
	escalations   map[string]Escalation
	conversations map[string]*Conversation
}

func (t *memTx) Conversation(_ context.Context, id string) (Conversation, bool, error) {
	if c, staged := t.conversations[id]; staged {
		if c == nil {
			return Conversation{}, false, nil
		}
		return *c, true, nil
	}
	c, ok := t.s.conversations[id]
	return c, ok, nil
}

func (t *memTx) PutConversation(_ context.Context, id string, c Conversation) error {
	t.conversations[id] = &c
	return nil
}

func (t *memTx) DeleteConversation(_ context.Context, id string) error {
	t.conversations[id] = nil
	return nil
}

func (t *memTx) Escalation(_ context.Context, id string) (Escalation, bool, error) {
	if e, staged := t.escalations[id]; staged {
		return clone(e), true, nil
	}
	e, ok := t.s.escalations[id]
	return clone(e), ok, nil
}

func (t *memTx) PutEscalation(ctx context.Context, e Escalation) error {
	old, _, _ := t.Escalation(ctx, e.ID)
	e = clone(e)
	e.Pages = old.Pages // pages only change through AddPage
	t.escalations[e.ID] = e
	return nil
}

func (t *memTx) AddPage(ctx context.Context, id string, _ uint64, p Page) error {
	e, ok, _ := t.Escalation(ctx, id)
	if !ok {
		return fmt.Errorf("add page: escalation %s: %w", id, ErrNotFound)
	}
	e.Pages = append(e.Pages, p)
	t.escalations[id] = e
	return nil
}
