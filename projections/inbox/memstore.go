package inbox

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/helpline-org/helpline/projections"
)

// MemoryStore is the embedded default Store: maps under a
// projections.MemoryShell, which holds them behind one lock.
type MemoryStore struct {
	projections.MemoryShell[Tx, Snapshot, *Snapshot] // Checkpoint, Update, UpdateBatch, Reset, Export, Import
	conversations                                    map[string]Conversation
	messages                                         map[string][]memMessage // by conversation, in log order
	clients                                          map[string]Client
	byClient                                         map[string][]string // client id to its conversations' ids, sorted
	deliveries                                       map[deliveryKey]Delivery
}

type deliveryKey struct{ conversationID, providerMessageID string }

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.Init(projections.MemoryHooks[Tx, Snapshot]{Begin: s.begin, Clear: s.clear, Export: s.export, Import: s.load})
	return s
}

func (s *MemoryStore) clear() {
	s.conversations = map[string]Conversation{}
	s.messages = map[string][]memMessage{}
	s.clients = map[string]Client{}
	s.byClient = map[string][]string{}
	s.deliveries = map[deliveryKey]Delivery{}
}

// begin stages one update's writes, to commit with the checkpoint.
func (s *MemoryStore) begin() (Tx, func()) {
	tx := &memTx{s: s, conversations: projections.Stage(s.conversations), messages: projections.Stage(s.messages),
		clients: projections.Stage(s.clients), deliveries: projections.Stage(s.deliveries)}
	return tx, tx.commit
}

func (s *MemoryStore) export() Snapshot {
	var snap Snapshot
	for _, c := range s.conversations {
		snap.Conversations = append(snap.Conversations, cloneConversation(c))
	}
	sort.Slice(snap.Conversations, func(i, j int) bool { return snap.Conversations[i].ID < snap.Conversations[j].ID })
	for id, ms := range s.messages {
		if len(ms) == 0 {
			continue
		}
		if snap.Messages == nil {
			snap.Messages = map[string][]Message{}
		}
		snap.Messages[id] = messagesOf(ms)
	}
	if len(s.clients) > 0 {
		snap.Clients = maps.Clone(s.clients)
	}
	for k, d := range s.deliveries {
		if snap.Deliveries == nil {
			snap.Deliveries = map[string]map[string]Delivery{}
		}
		if snap.Deliveries[k.conversationID] == nil {
			snap.Deliveries[k.conversationID] = map[string]Delivery{}
		}
		snap.Deliveries[k.conversationID][k.providerMessageID] = d
	}
	return snap
}

func (s *MemoryStore) load(snap Snapshot) {
	for _, c := range snap.Conversations {
		s.conversations[c.ID] = cloneConversation(c)
		s.byClient[c.ClientID] = insertSorted(s.byClient[c.ClientID], c.ID)
	}
	for id, ms := range snap.Messages {
		if len(ms) > 0 {
			s.messages[id] = keepAll(ms)
		}
	}
	maps.Copy(s.clients, snap.Clients)
	for conv, ds := range snap.Deliveries {
		for provider, d := range ds {
			s.deliveries[deliveryKey{conv, provider}] = d
		}
	}
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, q Query) ([]Conversation, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", q.Limit)
	}
	s.RLock()
	defer s.RUnlock()
	var out []Conversation
	for _, c := range s.conversations {
		if q.matches(c) && (q.After.IsZero() || before(q.After, c.After())) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return before(out[i].After(), out[j].After()) })
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for i := range out {
		out[i] = cloneConversation(out[i])
	}
	return out, nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, id string) (Conversation, error) {
	s.RLock()
	defer s.RUnlock()
	c, ok := s.conversations[id]
	return projections.One(cloneConversation(c), ok, nil, "conversation", id, ErrNotFound)
}

// Messages implements Store.
func (s *MemoryStore) Messages(_ context.Context, id string) ([]Message, error) {
	s.RLock()
	defer s.RUnlock()
	if _, ok := s.conversations[id]; !ok {
		return nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	return messagesOf(s.messages[id]), nil
}

// cloneConversation copies c's lists, so a caller never shares the store's
// memory.
func cloneConversation(c Conversation) Conversation {
	c.Flags, c.Categories = projections.NonEmpty(c.Flags), projections.NonEmpty(c.Categories)
	if len(c.ClientFlags) == 0 {
		c.ClientFlags = nil
	} else {
		c.ClientFlags = slices.Clone(c.ClientFlags)
	}
	return c
}

func insertSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

var _ Store = (*MemoryStore)(nil)

// memTx stages one update's writes: whole rows, and each touched
// conversation's whole list of messages.
type memTx struct {
	s             *MemoryStore
	conversations *projections.Staged[string, Conversation]
	messages      *projections.Staged[string, []memMessage]
	clients       *projections.Staged[string, Client]
	deliveries    *projections.Staged[deliveryKey, Delivery]
}

func (t *memTx) Conversation(_ context.Context, id string) (Conversation, bool, error) {
	c, ok, err := t.conversations.Get(id)
	return cloneConversation(c), ok, err
}

func (t *memTx) PutConversation(_ context.Context, c Conversation) error {
	return t.conversations.Put(c.ID, cloneConversation(c))
}

func (t *memTx) ClientConversations(_ context.Context, clientID string) ([]string, error) {
	ids := slices.Clone(t.s.byClient[clientID])
	for id, c := range t.conversations.Puts() {
		if c.ClientID == clientID {
			ids = insertSorted(ids, id)
		}
	}
	return ids, nil
}

func (t *memTx) Client(_ context.Context, id string) (Client, bool, error) { return t.clients.Get(id) }

func (t *memTx) PutClient(_ context.Context, id string, c Client) error { return t.clients.Put(id, c) }

func (t *memTx) Messages(_ context.Context, convID string) ([]Message, error) {
	ms, _, err := t.messages.Get(convID)
	return messagesOf(ms), err
}

func (t *memTx) Message(_ context.Context, convID, id string) (Message, bool, error) {
	ms, _, err := t.messages.Get(convID)
	if i := slices.IndexFunc(ms, func(k memMessage) bool { return k.id == id }); i >= 0 {
		return ms[i].message(), true, err
	}
	return Message{}, false, err
}

// PutMessage stages the conversation's list with m in it, as a new slice
// of exactly its length: a list grows by one message at a time, and an
// append's spare capacity would be kept with every conversation. The
// other messages are shared with the list it replaces, which is never
// changed in place (readers get copies: Messages).
func (t *memTx) PutMessage(_ context.Context, convID string, m Message) error {
	ms, _, err := t.messages.Get(convID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ms, func(o memMessage) bool { return o.id == m.ID })
	n := len(ms)
	if i < 0 {
		i, n = n, n+1
	}
	out := make([]memMessage, n)
	copy(out, ms)
	out[i] = keep(m)
	return t.messages.Put(convID, out)
}

func (t *memTx) Delivery(_ context.Context, convID, providerID string) (Delivery, bool, error) {
	return t.deliveries.Get(deliveryKey{convID, providerID})
}

func (t *memTx) PutDelivery(_ context.Context, convID, providerID string, d Delivery) error {
	return t.deliveries.Put(deliveryKey{convID, providerID}, d)
}

// commit applies the staged writes; the caller holds the store's lock.

func (t *memTx) commit() {
	s := t.s
	for id, c := range t.conversations.Puts() {
		if _, known := s.conversations[id]; !known {
			s.byClient[c.ClientID] = insertSorted(s.byClient[c.ClientID], id)
		}
	}
	t.conversations.Commit()
	t.messages.Commit()
	t.clients.Commit()
	t.deliveries.Commit()
}
