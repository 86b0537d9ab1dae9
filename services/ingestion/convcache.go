package ingestion

import (
	"context"

	"github.com/helpline-org/helpline/events"
)

// convStatus is what ingestion decides on about a conversation: whether a
// message can join it, and the expected sequence of that append.
type convStatus struct {
	Version         uint64
	Started, Closed bool
}

// convCacheSize is how many conversations the receiver keeps folded.
const convCacheSize = events.DefaultConversationCacheSize

// convCache reads a conversation's status through an
// events.ConversationCache, so a webhook reads only the few events
// appended since the client's last message (a triage verdict, a reply)
// instead of the whole history. The append that follows carries the
// expected sequence, so even a cache that missed something (another
// replica's append a moment ago) costs a retry, never a wrong write.
type convCache struct {
	log   Log
	cache *events.ConversationCache // nil: the log reads no tails; load whole
}

func newConvCache(log Log) *convCache {
	c := &convCache{log: log}
	if t, ok := log.(events.TailReader); ok {
		c.cache, _ = events.NewConversationCache(t, convCacheSize) // size > 0: cannot fail
	}
	return c
}

// status returns the conversation's state as the log has it now.
func (c *convCache) status(ctx context.Context, id string) (convStatus, error) {
	var conv *events.Conversation
	var err error
	if c.cache != nil {
		conv, err = c.cache.Load(ctx, id)
	} else {
		conv, _, err = events.LoadConversation(ctx, c.log, id)
	}
	if err != nil {
		return convStatus{}, err
	}
	return convStatus{Version: conv.Version, Started: conv.Started, Closed: conv.Closed}, nil
}

// appended records an event this process appended to a conversation it
// last saw at version after (0: a new conversation), so the next message
// need not read it back.
func (c *convCache) appended(after uint64, e events.Envelope, ack events.Appended) {
	if c.cache != nil {
		c.cache.Appended(after, []events.Envelope{e}, []events.Appended{ack})
	}
}
