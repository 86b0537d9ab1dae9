package inbox

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
	conversations                 map[string]Conversation
	messages                      map[string][]Message // by conversation, in log order
	clients                       map[string]Client
	byClient                      map[string][]string // client id to its conversations' ids, sorted
	deliveries                    map[deliveryKey]Delivery
}

type deliveryKey struct{ conversationID, providerMessageID string }

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.MemoryUpdates = projections.NewMemoryUpdates(&s.cps, s.begin, s.clear)
	s.clear()
	return s
}

func (s *MemoryStore) clear() {
	s.conversations = map[string]Conversation{}
	s.messages = map[string][]Message{}
	s.clients = map[string]Client{}
	s.byClient = map[string][]string{}
	s.deliveries = map[deliveryKey]Delivery{}
}

// begin stages one update's writes, to commit with the checkpoint.
func (s *MemoryStore) begin() (Tx, func()) {
	tx := &memTx{s: s, conversations: map[string]Conversation{}, messages: map[string][]Message{},
		clients: map[string]Client{}, deliveries: map[deliveryKey]Delivery{}}
	return tx, tx.commit
}

// Export implements Store.
func (s *MemoryStore) Export(_ context.Context, name string) (Snapshot, error) {
	var snap Snapshot
	s.cps.Export(name, func(cp uint64) {
		snap.Checkpoint = cp
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
			snap.Messages[id] = cloneMessages(ms)
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
		for _, c := range snap.Conversations {
			s.conversations[c.ID] = cloneConversation(c)
			s.byClient[c.ClientID] = insertSorted(s.byClient[c.ClientID], c.ID)
		}
		for id, ms := range snap.Messages {
			if len(ms) > 0 {
				s.messages[id] = cloneMessages(ms)
			}
		}
		maps.Copy(s.clients, snap.Clients)
		for conv, ds := range snap.Deliveries {
			for provider, d := range ds {
				s.deliveries[deliveryKey{conv, provider}] = d
			}
		}
	})
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, q Query) ([]Conversation, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("limit %d: want at least 1", q.Limit)
	}
	s.cps.RLock()
	defer s.cps.RUnlock()
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
	s.cps.RLock()
	defer s.cps.RUnlock()
	c, ok := s.conversations[id]
	if !ok {
		return Conversation{}, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	return cloneConversation(c), nil
}

// Messages implements Store.
func (s *MemoryStore) Messages(_ context.Context, id string) ([]Message, error) {
	s.cps.RLock()
	defer s.cps.RUnlock()
	if _, ok := s.conversations[id]; !ok {
		return nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	return cloneMessages(s.messages[id]), nil
}

// cloneConversation copies c's lists, so a caller never shares the store's
// memory.
func cloneConversation(c Conversation) Conversation {
	c.Flags, c.Categories, c.Terms = nonEmpty(c.Flags), nonEmpty(c.Categories), nonEmpty(c.Terms)
	return c
}

func cloneMessage(m Message) Message {
	m.Body = sealedCopy(m.Body)
	m.Terms = nonEmpty(m.Terms)
	return m
}

func cloneMessages(ms []Message) []Message {
	if len(ms) == 0 {
		return nil
	}
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = cloneMessage(m)
	}
	return out
}

func insertSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// memTx stages one update's writes: whole rows, and each touched
// conversation's whole list of messages.
type memTx struct {
	s             *MemoryStore
	conversations map[string]Conversation
	messages      map[string][]Message
	clients       map[string]Client
	deliveries    map[deliveryKey]Delivery
}

func (t *memTx) Conversation(_ context.Context, id string) (Conversation, bool, error) {
	if c, staged := t.conversations[id]; staged {
		return cloneConversation(c), true, nil
	}
	c, ok := t.s.conversations[id]
	return cloneConversation(c), ok, nil
}

func (t *memTx) PutConversation(_ context.Context, c Conversation) error {
	t.conversations[c.ID] = cloneConversation(c)
	return nil
}

func (t *memTx) ClientConversations(_ context.Context, clientID string) ([]string, error) {
	ids := slices.Clone(t.s.byClient[clientID])
	for id, c := range t.conversations {
		if c.ClientID == clientID {
			ids = insertSorted(ids, id)
		}
	}
	return ids, nil
}

func (t *memTx) Client(_ context.Context, id string) (Client, bool, error) {
	if c, staged := t.clients[id]; staged {
		return c, true, nil
	}
	c, ok := t.s.clients[id]
	return c, ok, nil
}

func (t *memTx) PutClient(_ context.Context, id string, c Client) error {
	t.clients[id] = c
	return nil
}

func (t *memTx) Messages(_ context.Context, convID string) ([]Message, error) {
	if ms, staged := t.messages[convID]; staged {
		return cloneMessages(ms), nil
	}
	return cloneMessages(t.s.messages[convID]), nil
}

func (t *memTx) Message(ctx context.Context, convID, id string) (Message, bool, error) {
	ms, _ := t.Messages(ctx, convID)
	for _, m := range ms {
		if m.ID == id {
			return m, true, nil
		}
	}
	return Message{}, false, nil
}

func (t *memTx) PutMessage(ctx context.Context, convID string, m Message) error {
	ms, _ := t.Messages(ctx, convID)
	m = cloneMessage(m)
	if i := slices.IndexFunc(ms, func(o Message) bool { return o.ID == m.ID }); i >= 0 {
		ms[i] = m
	} else {
		ms = append(ms, m)
	}
	t.messages[convID] = ms
	return nil
}

func (t *memTx) Delivery(_ context.Context, convID, providerID string) (Delivery, bool, error) {
	k := deliveryKey{convID, providerID}
	if d, staged := t.deliveries[k]; staged {
		return d, true, nil
	}
	d, ok := t.s.deliveries[k]
	return d, ok, nil
}

func (t *memTx) PutDelivery(_ context.Context, convID, providerID string, d Delivery) error {
	t.deliveries[deliveryKey{convID, providerID}] = d
	return nil
}

// commit applies the staged writes; the caller holds the store's lock.
func (t *memTx) commit() {
	s := t.s
	for id, c := range t.conversations {
		if _, known := s.conversations[id]; !known {
			s.byClient[c.ClientID] = insertSorted(s.byClient[c.ClientID], id)
		}
		s.conversations[id] = c
	}
	maps.Copy(s.messages, t.messages)
	maps.Copy(s.clients, t.clients)
	maps.Copy(s.deliveries, t.deliveries)
}
