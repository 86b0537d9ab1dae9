package responsetimes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/helpline-org/helpline/projections"
)

// MemoryStore is the embedded default Store: maps under a
// projections.MemoryShell, which holds them behind one lock.
type MemoryStore struct {
	projections.MemoryShell[Tx, Snapshot, *Snapshot] // Checkpoint, Update, UpdateBatch, Reset, Export, Import
	hours                                            map[hourKey]*Hour
	convs                                            map[string]Conversation
	acks                                             map[string]PendingAck
	// opened indexes convs per line in the order they opened, so a
	// period's read visits that period's conversations only.
	opened map[string][]openedKey
}

// openedKey is a conversation's place in its line's index.
type openedKey struct {
	at time.Time
	id string
}

func (k openedKey) compare(o openedKey) int {
	if c := k.at.Compare(o.at); c != 0 {
		return c
	}
	return strings.Compare(k.id, o.id)
}

// index moves conversation id in the opened index from where old (if
// had) put it to where c puts it.
func (s *MemoryStore) index(id string, old Conversation, had bool, c Conversation) {
	if had && old.LineID == c.LineID && old.OpenedAt.Equal(c.OpenedAt) {
		return
	}
	if had {
		keys := s.opened[old.LineID]
		if i, found := slices.BinarySearchFunc(keys, openedKey{old.OpenedAt, id}, openedKey.compare); found {
			s.opened[old.LineID] = slices.Delete(keys, i, i+1)
		}
	}
	k := openedKey{c.OpenedAt, id}
	keys := s.opened[c.LineID]
	i, _ := slices.BinarySearchFunc(keys, k, openedKey.compare)
	s.opened[c.LineID] = slices.Insert(keys, i, k)
}

type hourKey struct {
	line  string
	start int64 // unix seconds, UTC hour
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	s.Init(projections.MemoryHooks[Tx, Snapshot]{Begin: s.begin, Clear: s.clear, Export: s.export, Import: s.load})
	return s
}

func (s *MemoryStore) clear() {
	s.hours = map[hourKey]*Hour{}
	s.convs = map[string]Conversation{}
	s.acks = map[string]PendingAck{}
	s.opened = map[string][]openedKey{}
}

// begin stages one update's writes, to commit with the checkpoint.
func (s *MemoryStore) begin() (Tx, func()) {
	tx := &memTx{s: s, convs: projections.Stage(s.convs), acks: projections.Stage(s.acks)}
	return tx, tx.commit
}

func (s *MemoryStore) export() Snapshot {
	var snap Snapshot
	for _, h := range s.hours {
		snap.Hours = append(snap.Hours, *h)
	}
	sortHoursByLine(snap.Hours)
	if len(s.convs) > 0 {
		snap.Conversations = maps.Clone(s.convs)
	}
	if len(s.acks) > 0 {
		snap.Acks = maps.Clone(s.acks)
	}
	return snap
}

func (s *MemoryStore) load(snap Snapshot) {
	for _, h := range snap.Hours {
		h.Start = h.Start.UTC()
		s.hours[hourKey{h.LineID, h.Start.Unix()}] = &h
	}
	for id, c := range snap.Conversations {
		old, had := s.convs[id]
		s.index(id, old, had, c)
		s.convs[id] = c
	}
	maps.Copy(s.acks, snap.Acks)
}

// Hours implements Store.
func (s *MemoryStore) Hours(_ context.Context, lineID string, from, to time.Time) ([]Hour, error) {
	s.RLock()
	defer s.RUnlock()
	var out []Hour
	for k, h := range s.hours {
		if k.line == lineID && !h.Start.Before(from) && h.Start.Before(to) {
			out = append(out, *h)
		}
	}
	sortHours(out)
	return out, nil
}

// Conversations implements Store: it visits the period's conversations
// only, through the opened index.
func (s *MemoryStore) Conversations(_ context.Context, lineID string, from, to time.Time) ([]Conversation, error) {
	s.RLock()
	defer s.RUnlock()
	keys := s.opened[lineID]
	i, _ := slices.BinarySearchFunc(keys, openedKey{at: from}, openedKey.compare)
	var out []Conversation
	for _, k := range keys[i:] {
		if !k.at.Before(to) {
			break
		}
		out = append(out, s.convs[k.id])
	}
	return out, nil
}

func sortHours(hs []Hour) {
	sort.Slice(hs, func(i, j int) bool { return hs[i].Start.Before(hs[j].Start) })
}

// sortHoursByLine orders hours by line, then start: a snapshot's order.
func sortHoursByLine(hs []Hour) {
	sort.Slice(hs, func(i, j int) bool {
		if hs[i].LineID != hs[j].LineID {
			return hs[i].LineID < hs[j].LineID
		}
		return hs[i].Start.Before(hs[j].Start)
	})
}

var _ Store = (*MemoryStore)(nil)

// memTx stages one update's writes.
type memTx struct {
	s      *MemoryStore
	convs  *projections.Staged[string, Conversation]
	acks   *projections.Staged[string, PendingAck]
	counts []Hour // deltas, applied in order at commit
}

func (t *memTx) Conversation(_ context.Context, id string) (Conversation, bool, error) {
	return t.convs.Get(id)
}

func (t *memTx) PutConversation(_ context.Context, id string, c Conversation) error {
	// A copy, and nil when empty: as the SQL store reads it back.
	c.Categories = slices.Clip(slices.Clone(c.Categories))
	if len(c.Categories) == 0 {
		c.Categories = nil
	}
	if c.Survey = slices.Clip(slices.Clone(c.Survey)); len(c.Survey) == 0 {
		c.Survey = nil
	}
	return t.convs.Put(id, c)
}

func (t *memTx) PendingAck(_ context.Context, id string) (PendingAck, bool, error) {
	return t.acks.Get(id)
}

func (t *memTx) PutPendingAck(_ context.Context, id string, p PendingAck) error {
	return t.acks.Put(id, p)
}

func (t *memTx) DeletePendingAck(_ context.Context, id string) error { return t.acks.Delete(id) }

func (t *memTx) AddCounts(_ context.Context, lineID string, hour time.Time, c Counts) error {
	t.counts = append(t.counts, Hour{LineID: lineID, Start: hourOf(hour), Counts: c})
	return nil
}

func (t *memTx) Observe(_ context.Context, lineID string, hour time.Time, m Metric, bucket int) error {
	if bucket < 0 || bucket >= NumBuckets {
		return fmt.Errorf("bucket %d out of range", bucket)
	}
	d := Hour{LineID: lineID, Start: hourOf(hour)}
	h := d.histogram(m)
	if h == nil {
		return fmt.Errorf("unknown metric %q", m)
	}
	h[bucket] = 1
	t.counts = append(t.counts, d)
	return nil
}

// commit applies the staged writes; the caller holds the store's lock.

func (t *memTx) commit() {
	for id, c := range t.convs.Puts() {
		old, had := t.s.convs[id]
		t.s.index(id, old, had, c)
	}
	t.convs.Commit()
	t.acks.Commit()
	for _, d := range t.counts {
		k := hourKey{d.LineID, d.Start.Unix()}
		h := t.s.hours[k]
		if h == nil {
			h = &Hour{LineID: d.LineID, Start: d.Start}
			t.s.hours[k] = h
		}
		h.add(d)
	}
}
