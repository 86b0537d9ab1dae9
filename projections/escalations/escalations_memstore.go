package escalations

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/helpline-org/helpline/projections"
)

// MemoryStore is the embedded default Store: maps behind one mutex. An
// update stages its writes and commits them with the checkpoint under the
// lock (projections.MemoryCheckpoints), so rows and checkpoint change
// together or not at all.
type MemoryStore struct {
	projections.MemoryUpdates[Tx] // Checkpoint, Update, UpdateBatch, Reset
	cps                           projections.MemoryCheckpoints
	escalations                   map[string]Escalation
	conversations                 map[string]Conversation
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.MemoryUpdates = projections.NewMemoryUpdates(&s.cps, s.begin, s.clear)
	s.clear()
	return s
}

func (s *MemoryStore) clear() {
	s.escalations = map[string]Escalation{}
	s.conversations = map[string]Conversation{}
}

// begin stages one update's writes, to commit with the checkpoint.
func (s *MemoryStore) begin() (Tx, func()) {
	tx := &memTx{s: s, escalations: map[string]Escalation{}, conversations: map[string]*Conversation{}}
	return tx, tx.commit
}

// Export implements Store.
func (s *MemoryStore) Export(_ context.Context, name string) (Snapshot, error) {
	var snap Snapshot
	s.cps.Export(name, func(cp uint64) {
		snap.Checkpoint = cp
		for _, e := range s.escalations {
			snap.Escalations = append(snap.Escalations, clone(e))
		}
		sort.Slice(snap.Escalations, func(i, j int) bool { return snap.Escalations[i].ID < snap.Escalations[j].ID })
		if len(s.conversations) > 0 {
			snap.Conversations = maps.Clone(s.conversations)
		}
	})
	return snap, nil
}

// Import implements Store.
func (s *MemoryStore) Import(_ context.Context, name string, snap Snapshot, expect uint64) error {
	if err := snap.validate(); err != nil {
		return err
	}
	return s.cps.Import(name, snap.Checkpoint, expect, func() {
		s.clear()
		for _, e := range snap.Escalations {
			s.escalations[e.ID] = clone(e)
		}
		maps.Copy(s.conversations, snap.Conversations)
	})
}

// Open implements Store.
func (s *MemoryStore) Open(_ context.Context, lineIDs []string, limit int, after Cursor) ([]Escalation, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", limit)
	}
	s.cps.RLock()
	defer s.cps.RUnlock()
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
	s.cps.RLock()
	defer s.cps.RUnlock()
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

// commit applies the staged writes; the caller holds the store's lock.
func (t *memTx) commit() {
	for id, e := range t.escalations {
		t.s.escalations[id] = e
	}
	for id, c := range t.conversations {
		if c == nil {
			delete(t.s.conversations, id)
		} else {
			t.s.conversations[id] = *c
		}
	}
}
