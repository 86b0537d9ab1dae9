package events

import (
	"context"
	"errors"
	"fmt"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// TailReader reads one aggregate's whole history, or only the events after
// a sequence (Store.Load and Store.Since).
type TailReader interface {
	Loader
	Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]Envelope, uint64, error)
}

// DefaultConversationCacheSize is how many conversations a service keeps
// folded unless told otherwise. One entry costs about 1 KiB, plus about
// 200 bytes per message received (its id in Messages and Triaged), about
// 300 bytes per escalation and the sealed body of every reply (up to
// ~2 KiB each): a full cache of ordinary conversations is a few MiB, tens of MiB at worst.
const DefaultConversationCacheSize = 4096

// conversationCacheTail is how many events a cached conversation may be
// behind before it is loaded whole instead of read one event at a time.
const conversationCacheTail = 32

// ConversationCache keeps the folded state of recently seen conversations
// (a bounded LRU), so a handler reads only the events appended since it
// last saw a conversation instead of its whole history. It is a cache, not
// a source of truth: every Load asks the log what followed the cached
// version, so what Load returns is at least as new as the log was when
// Load was called, and an append with the returned Version as its expected
// sequence fails with ErrConcurrency if anything was appended since.
//
// Cached values are never changed in place: a Load folds the tail into a
// copy and puts the copy in the cache only if it is newer than what is
// there (the cache only moves forward), and every caller gets its own
// deep copy. Several goroutines may Load the same id at once.
type ConversationCache struct {
	log TailReader

	mu    sync.Mutex // serialises the compare-and-replace of entries
	convs *lru.Cache[string, *Conversation]
}

// NewConversationCache returns a cache of at most size conversations.
func NewConversationCache(log TailReader, size int) (*ConversationCache, error) {
	convs, err := lru.New[string, *Conversation](size)
	if err != nil {
		return nil, fmt.Errorf("conversation cache: %w", err)
	}
	return &ConversationCache{log: log, convs: convs}, nil
}

// Load returns the conversation as the log has it now, as a private copy
// the caller may change freely. A conversation with no events comes back
// empty, not as an error: check Started. The tail is read from the stream
// leader (Store.Since), so a handler always sees the event it was handed,
// even in a cluster whose replicas lag.
func (c *ConversationCache) Load(ctx context.Context, id string) (*Conversation, error) {
	c.mu.Lock()
	cached, ok := c.convs.Get(id)
	c.mu.Unlock()
	if !ok {
		return c.loadWhole(ctx, id)
	}
	tail, _, err := c.log.Since(ctx, AggregateConversation, id, cached.Version, conversationCacheTail)
	if errors.Is(err, ErrTooFarBehind) {
		return c.loadWhole(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if len(tail) == 0 {
		return cached.Clone(), nil
	}
	next := cached.Clone()
	for _, e := range tail {
		if err := next.Apply(e); err != nil {
			return nil, err
		}
	}
	c.put(next)
	return next.Clone(), nil
}

// loadWhole folds the conversation from its whole history and caches it.
func (c *ConversationCache) loadWhole(ctx context.Context, id string) (*Conversation, error) {
	conv, _, err := LoadConversation(ctx, c.log, id)
	if err != nil {
		return nil, err
	}
	if conv.Version > 0 {
		c.put(conv.Clone())
	}
	return conv, nil
}

// put caches conv unless the cache already holds the same or a newer
// version: two Loads that raced must not move the entry backwards. Any
// version is a true state (a prefix of the log folded in order), so the
// newest one wins.
func (c *ConversationCache) put(conv *Conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.convs.Peek(conv.ID); ok && cur.Version >= conv.Version {
		return
	}
	c.convs.Add(conv.ID, conv)
}

// Appended tells the cache that envs were appended, with ExpectSeq(after)
// (ExpectNew: after 0), and got acks, so the next Load need not read them
// back. It changes nothing unless the cached entry is exactly at after (or
// absent, for after 0) and every event is new (not a duplicate): only then
// is the entry plus envs the log's state. Never call it after an append
// with ExpectAny: others may have appended in between.
func (c *ConversationCache) Appended(after uint64, envs []Envelope, acks []Appended) {
	if len(envs) == 0 || len(acks) != len(envs) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.convs.Peek(envs[0].AggregateID)
	switch {
	case ok && cur.Version == after:
	case !ok && after == 0:
		// Appended with ExpectNew (or ExpectSeq(0)): nothing came before.
		cur = NewConversation(envs[0].AggregateID)
	default:
		return // the cache is elsewhere: the next Load corrects it
	}
	next := cur.Clone()
	prev := after
	for i, e := range envs {
		if acks[i].Duplicate || acks[i].Seq <= prev || e.AggregateID != cur.ID || e.AggregateType != AggregateConversation {
			return
		}
		e.Sequence = acks[i].Seq
		if err := next.Apply(e); err != nil {
			return
		}
		prev = acks[i].Seq
	}
	c.convs.Add(next.ID, next)
}
