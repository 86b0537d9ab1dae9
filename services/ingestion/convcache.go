package ingestion

import (
	"context"
	"errors"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/helpline-org/helpline/events"
)

// convStatus is what ingestion decides on about a conversation: whether a
// message can join it, and the expected sequence of that append.
type convStatus struct {
	Version         uint64
	Started, Closed bool
}

// Tail reads the events of an aggregate after a sequence without a
// consumer (events.Store.Since).
type Tail interface {
	Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]events.Envelope, uint64, error)
}

// Sizes of the conversation cache: how many conversations it keeps, and
// how many events one may be behind before it is loaded whole again.
const (
	convCacheSize = 4096
	convCacheTail = 32
)

// convCache keeps the folded state of recently seen conversations, so a
// webhook reads only the few events appended since the client's last
// message (a triage verdict, a reply) instead of the whole history. The
// append that follows carries the expected sequence, so even a cache that
// missed something (another replica's append a moment ago) costs a retry,
// never a wrong write.
type convCache struct {
	log  Log
	tail Tail // nil: no cache, always load whole

	mu    sync.Mutex // guards the cached conversations' state
	convs *lru.Cache[string, *events.Conversation]
}

func newConvCache(log Log) *convCache {
	c := &convCache{log: log}
	if t, ok := log.(Tail); ok {
		c.tail = t
		c.convs, _ = lru.New[string, *events.Conversation](convCacheSize) // size > 0: cannot fail
	}
	return c
}

func statusOf(c *events.Conversation) convStatus {
	return convStatus{Version: c.Version, Started: c.Started, Closed: c.Closed}
}

// status returns the conversation's state as the log has it now.
func (c *convCache) status(ctx context.Context, id string) (convStatus, error) {
	if c.tail == nil {
		return c.load(ctx, id)
	}
	c.mu.Lock()
	conv, ok := c.convs.Get(id)
	var after uint64
	if ok {
		after = conv.Version
	}
	c.mu.Unlock()
	if !ok {
		return c.load(ctx, id)
	}
	tail, _, err := c.tail.Since(ctx, events.AggregateConversation, id, after, convCacheTail)
	if errors.Is(err, events.ErrTooFarBehind) {
		return c.load(ctx, id)
	}
	if err != nil {
		return convStatus{}, err
	}
	st, ok, err := c.fold(id, after, tail)
	if err != nil || ok {
		return st, err
	}
	return c.load(ctx, id)
}

// fold applies the events read after sequence after to the cached
// conversation, and reports false when the entry moved or went meanwhile
// (another request for the same conversation): then load it whole.
func (c *convCache) fold(id string, after uint64, tail []events.Envelope) (convStatus, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conv, ok := c.convs.Get(id)
	if !ok || conv.Version != after {
		return convStatus{}, false, nil
	}
	for _, e := range tail {
		if err := conv.Apply(e); err != nil {
			c.convs.Remove(id)
			return convStatus{}, false, err
		}
	}
	return statusOf(conv), true, nil
}

// appended records an event this process appended at e.Sequence to a
// conversation it last saw at version after (0: a new conversation), so
// the next message need not read it back.
func (c *convCache) appended(after uint64, e events.Envelope) {
	if c.convs == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conv, ok := c.convs.Get(e.AggregateID)
	switch {
	case ok && conv.Version == after:
	case !ok && after == 0:
		conv = events.NewConversation(e.AggregateID)
	default:
		return // the cache is elsewhere: the next read corrects it
	}
	if err := conv.Apply(e); err != nil {
		c.convs.Remove(e.AggregateID)
		return
	}
	c.convs.Add(e.AggregateID, conv)
}

// load folds the conversation from its whole history and caches it.
func (c *convCache) load(ctx context.Context, id string) (convStatus, error) {
	conv, _, err := events.LoadConversation(ctx, c.log, id)
	if err != nil {
		return convStatus{}, err
	}
	st := statusOf(conv)
	if c.convs != nil && conv.Started {
		c.mu.Lock()
		if cur, ok := c.convs.Get(id); !ok || cur.Version < conv.Version {
			c.convs.Add(id, conv)
		}
		c.mu.Unlock()
	}
	return st, nil
}
