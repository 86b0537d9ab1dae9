package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ClientCache keeps recently read clients folded (a bounded LRU), so a
// reader asks the log only for what a client gained since it last read
// it. A client's events are few and mostly old (it registers at its first
// text), and reading one whole makes the log's server load the block its
// registration lies in: 8 MiB read from disk and held for a few seconds,
// for one message (the notification service reads the client of every
// automatic text it sends, its number). Like ConversationCache it is a
// cache, not a source of truth: every Load reads what the log holds after
// the cached version, so what it returns is at least as new as the log
// was when Load was called (an erasure or an opt-out appended before is
// seen).
type ClientCache struct {
	log     TailReader
	mu      sync.Mutex // serialises the compare-and-replace of entries
	clients *lru.Cache[string, *Client]
}

// NewClientCache returns a cache of at most size clients.
func NewClientCache(log TailReader, size int) (*ClientCache, error) {
	clients, err := lru.New[string, *Client](size)
	if err != nil {
		return nil, fmt.Errorf("client cache: %w", err)
	}
	return &ClientCache{log: log, clients: clients}, nil
}

// Load returns the client as the log has it now, as a private copy. A
// client with no events comes back empty, not as an error: check
// Registered.
func (c *ClientCache) Load(ctx context.Context, id string) (*Client, error) {
	c.mu.Lock()
	cached, ok := c.clients.Get(id)
	c.mu.Unlock()
	var next *Client
	var err error
	if ok {
		next, err = foldSince(ctx, c.log, AggregateClient, id, cached)
	}
	if !ok || errors.Is(err, ErrTooFarBehind) {
		next, err = LoadClient(ctx, c.log, id)
	}
	if err != nil {
		return nil, err
	}
	if next.Version > 0 && next != cached {
		c.put(next)
	}
	return next.Clone(), nil
}

// put caches cl unless the cache holds a newer version already (two
// Loads that raced must not move the entry backwards). cl is never
// changed after.
func (c *ClientCache) put(cl *Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.clients.Peek(cl.ID); ok && cur.Version >= cl.Version {
		return
	}
	c.clients.Add(cl.ID, cl)
}

// Clone returns a deep copy: changing the copy never changes c, and the
// other way round.
func (c *Client) Clone() *Client {
	out := *c
	out.Contact.Data = slices.Clone(c.Contact.Data)
	out.Flags = slices.Clone(c.Flags)
	out.pending = slices.Clone(c.pending)
	return &out
}

// foldSince returns cached with the events the log holds of the aggregate
// after cached's version folded into a copy, or cached itself when none
// follow; ErrTooFarBehind when more than conversationCacheTail do (load
// it whole instead). cached is never changed.
func foldSince[A interface {
	Apply(Envelope) error
	Clone() A
	version() uint64
}](ctx context.Context, log TailReader, aggregateType, id string, cached A) (A, error) {
	tail, _, err := log.Since(ctx, aggregateType, id, cached.version(), conversationCacheTail)
	if err != nil || len(tail) == 0 {
		return cached, err
	}
	next := cached.Clone()
	for _, e := range tail {
		if err := next.Apply(e); err != nil {
			return cached, err
		}
	}
	return next, nil
}
