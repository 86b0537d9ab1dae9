package escalations

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// MemoryStore is the embedded default Store: maps under a
// projections.MemoryShell, which holds them behind one lock.
type MemoryStore struct {
	projections.MemoryShell[Tx, Snapshot, *Snapshot] // Checkpoint, Update, UpdateBatch, Reset, Export, Import
	escalations                                      map[string]Escalation
	conversations                                    map[string]Conversation
	// bySID finds the escalation of a page by the provider's id.
	bySID map[string]string
	// clientEscalations and clientConversations find a client's
	// escalations and conversations (by id) for erasure.
	clientEscalations, clientConversations map[string][]string
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.Init(projections.MemoryHooks[Tx, Snapshot]{Begin: s.begin, Clear: s.clear, Export: s.export, Import: s.load})
	return s
}

func (s *MemoryStore) clear() {
	s.escalations = map[string]Escalation{}
	s.conversations = map[string]Conversation{}
	s.bySID = map[string]string{}
	s.clientEscalations, s.clientConversations = map[string][]string{}, map[string][]string{}
}

// begin stages one update's writes, to commit with the checkpoint.
func (s *MemoryStore) begin() (Tx, func()) {
	tx := &memTx{escalations: projections.Stage(s.escalations), conversations: projections.Stage(s.conversations), bySID: projections.Stage(s.bySID),
		clientEscalations: projections.Stage(s.clientEscalations), clientConversations: projections.Stage(s.clientConversations)}
	return tx, tx.commit
}

func (s *MemoryStore) export() Snapshot {
	var snap Snapshot
	for _, e := range s.escalations {
		snap.Escalations = append(snap.Escalations, clone(e))
	}
	sort.Slice(snap.Escalations, func(i, j int) bool { return snap.Escalations[i].ID < snap.Escalations[j].ID })
	if len(s.conversations) > 0 {
		snap.Conversations = maps.Clone(s.conversations)
	}
	return snap
}

func (s *MemoryStore) load(snap Snapshot) {
	for _, e := range snap.Escalations {
		s.escalations[e.ID] = clone(e)
		index(s.clientEscalations, e.ClientID, e.ID)
		for _, p := range e.Pages {
			if p.ProviderID != "" {
				s.bySID[p.ProviderID] = e.ID
			}
		}
	}
	maps.Copy(s.conversations, snap.Conversations)
	for id, c := range snap.Conversations {
		index(s.clientConversations, c.ClientID, id)
	}
}

// index adds id to the ids of clientID (none for an empty client).
func index(m map[string][]string, clientID, id string) {
	if clientID != "" && !slices.Contains(m[clientID], id) {
		m[clientID] = append(m[clientID], id)
	}
}

// Open implements Store.
func (s *MemoryStore) Open(_ context.Context, lineIDs []string, limit int, after Cursor) ([]Escalation, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", limit)
	}
	s.RLock()
	defer s.RUnlock()
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
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.ID < b.ID
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, id string) (Escalation, error) {
	s.RLock()
	defer s.RUnlock()
	e, ok := s.escalations[id]
	return projections.One(clone(e), ok, nil, "escalation", id, ErrNotFound)
}

// clone copies e's lists, so a caller never shares the store's memory.
func clone(e Escalation) Escalation {
	e.Categories = projections.NonEmpty(e.Categories)
	e.Terms = projections.SealedCopy(e.Terms)
	if len(e.Pages) == 0 {
		e.Pages = nil
	} else {
		e.Pages = slices.Clone(e.Pages)
	}
	return e
}

var _ Store = (*MemoryStore)(nil)

// memTx stages one update's writes.
type memTx struct {
	escalations   *projections.Staged[string, Escalation]
	conversations *projections.Staged[string, Conversation]
	bySID         *projections.Staged[string, string]
	// clientEscalations and clientConversations index ids by client.
	clientEscalations, clientConversations *projections.Staged[string, []string]
}

func (t *memTx) Conversation(_ context.Context, id string) (Conversation, bool, error) {
	return t.conversations.Get(id)
}

func (t *memTx) PutConversation(_ context.Context, id string, c Conversation) error {
	if err := addIndex(t.clientConversations, c.ClientID, id); err != nil {
		return err
	}
	return t.conversations.Put(id, c)
}

// addIndex stages id among the ids of clientID.
func addIndex(ix *projections.Staged[string, []string], clientID, id string) error {
	ids, _, _ := ix.Get(clientID)
	if clientID == "" || slices.Contains(ids, id) {
		return nil
	}
	return ix.Put(clientID, append(slices.Clone(ids), id))
}

func (t *memTx) DeleteConversation(_ context.Context, id string) error {
	if c, ok, _ := t.conversations.Get(id); ok && c.ClientID != "" {
		ids, _, _ := t.clientConversations.Get(c.ClientID)
		if rest := slices.DeleteFunc(slices.Clone(ids), func(x string) bool { return x == id }); len(rest) > 0 {
			_ = t.clientConversations.Put(c.ClientID, rest)
		} else {
			_ = t.clientConversations.Delete(c.ClientID)
		}
	}
	return t.conversations.Delete(id)
}

func (t *memTx) Escalation(_ context.Context, id string) (Escalation, bool, error) {
	e, ok, err := t.escalations.Get(id)
	return clone(e), ok, err
}

func (t *memTx) PutEscalation(ctx context.Context, e Escalation) error {
	old, _, _ := t.Escalation(ctx, e.ID)
	e = clone(e)
	e.Pages = old.Pages // pages only change through AddPage
	if err := addIndex(t.clientEscalations, e.ClientID, e.ID); err != nil {
		return err
	}
	return t.escalations.Put(e.ID, e)
}

func (t *memTx) AddPage(ctx context.Context, id string, _ uint64, p Page) error {
	e, ok, _ := t.Escalation(ctx, id)
	if !ok {
		return fmt.Errorf("add page: escalation %s: %w", id, ErrNotFound)
	}
	e.Pages = append(e.Pages, p)
	if p.ProviderID != "" {
		if err := t.bySID.Put(p.ProviderID, id); err != nil {
			return err
		}
	}
	return t.escalations.Put(id, e)
}

func (t *memTx) SetDelivery(ctx context.Context, sid, state string, code int) error {
	id, ok, err := t.bySID.Get(sid)
	if err != nil || !ok {
		return err
	}
	e, ok, _ := t.Escalation(ctx, id)
	if !ok {
		return nil
	}
	for i, p := range e.Pages {
		if p.ProviderID == sid && moves(p.Delivery, state) {
			e.Pages[i].Delivery, e.Pages[i].ErrorCode = state, code
		}
	}
	return t.escalations.Put(id, e)
}

func (t *memTx) EraseClient(_ context.Context, clientID string) error {
	if clientID == "" {
		return nil
	}
	escs, _, _ := t.clientEscalations.Get(clientID)
	for _, id := range escs {
		if e, ok, _ := t.escalations.Get(id); ok && !e.Terms.Empty() {
			e = clone(e)
			e.Terms, e.TermsErased = events.Sealed{}, true
			if err := t.escalations.Put(id, e); err != nil {
				return err
			}
		}
	}
	convs, _, _ := t.clientConversations.Get(clientID)
	for _, id := range convs {
		if c, ok, _ := t.conversations.Get(id); ok && !c.Erased {
			c.Erased = true
			if err := t.conversations.Put(id, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// commit applies the staged writes; the caller holds the store's lock.

func (t *memTx) commit() {
	t.escalations.Commit()
	t.conversations.Commit()
	t.bySID.Commit()
	t.clientEscalations.Commit()
	t.clientConversations.Commit()
}
