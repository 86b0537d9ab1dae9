package ingestion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/helpline-org/helpline/internal/kv"
)

// KVIndex is the Index in JetStream key-value buckets: in IndexBucket, key
// "client.<client id>", value the open conversation's id (empty when
// none; followed by " first" while it is the client's first); in
// MessageBucket, key a message's event id, value its conversation's id,
// written when the client's entry moves on from that conversation and
// kept for MessageRetention. Ids only: nothing in them identifies a person
// without the master key.
type KVIndex struct{ b, msgs *kv.Bucket }

// IndexBucket and MessageBucket are the buckets' names.
const (
	IndexBucket   = "helpline_ingestion"
	MessageBucket = "helpline_ingestion_messages"
)

// MessageRetention is how long a received message's id is remembered
// once its client moved on to another conversation, so that the same
// webhook brought again (Twilio retrying, or a captured request replayed)
// records nothing: far beyond Twilio's retries and the log's duplicate
// window. While the client's entry still names the message's
// conversation, the conversation's own record of its messages refuses it
// (for as long as the log keeps it). A replay older than this would be
// recorded again (Twilio's signature carries no time to refuse it by).
const MessageRetention = 30 * 24 * time.Hour

// NewKVIndex creates or opens the bucket.
func NewKVIndex(ctx context.Context, js jetstream.JetStream, replicas int) (*KVIndex, error) {
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: IndexBucket, Description: "Helpline ingestion: client id -> open conversation id",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, err
	}
	msgs, err := kv.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: MessageBucket, Description: "Helpline ingestion: received message id -> conversation id, for dedupe",
		History: 1, TTL: MessageRetention, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, err
	}
	return &KVIndex{b: b, msgs: msgs}, nil
}

// Received returns the conversation a message (by event id) was recorded
// in, if it was within MessageRetention.
func (x *KVIndex) Received(ctx context.Context, eventID string) (string, bool, error) {
	e, err := x.msgs.Get(ctx, eventID)
	if errors.Is(err, kv.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(e.Value()), true, nil
}

// RecordReceived remembers that the messages eventIDs were recorded in
// conversationID: a few writes at once, each awaited.
func (x *KVIndex) RecordReceived(ctx context.Context, conversationID string, eventIDs []string) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(recordConcurrency)
	for _, id := range eventIDs {
		g.Go(func() error {
			_, err := x.msgs.Put(ctx, id, []byte(conversationID))
			return err
		})
	}
	return g.Wait()
}

// recordConcurrency is how many writes of RecordReceived are in flight.
const recordConcurrency = 16

// firstMark ends the value of an entry whose conversation is the client's
// first: nothing of the client's is in any other conversation. An entry
// without it (or written before it existed) may have moved on from
// earlier ones.
const firstMark = " first"

// Get returns the client's entry.
func (x *KVIndex) Get(ctx context.Context, clientID string) (IndexEntry, error) {
	e, err := x.b.Get(ctx, "client."+clientID)
	if errors.Is(err, kv.ErrNotFound) {
		return IndexEntry{}, nil
	}
	if err != nil {
		return IndexEntry{}, err
	}
	convID, first := strings.CutSuffix(string(e.Value()), firstMark)
	return IndexEntry{ConversationID: convID, Registered: true, Revision: e.Revision(), Moved: convID != "" && !first}, nil
}

// Claim makes conversationID the client's open conversation if the entry
// is still at revision rev (0: the client has no entry yet, and the claim
// writes it); ErrClaimed if it changed (another message of the client's
// claimed one first).
func (x *KVIndex) Claim(ctx context.Context, clientID, conversationID string, rev uint64, first bool) (IndexEntry, error) {
	value := conversationID
	if first {
		value += firstMark
	}
	next, err := x.b.Update(ctx, "client."+clientID, []byte(value), rev)
	if errors.Is(err, kv.ErrExists) {
		return IndexEntry{}, fmt.Errorf("client %s: %w", clientID, ErrClaimed)
	}
	if err != nil {
		return IndexEntry{}, err
	}
	return IndexEntry{ConversationID: conversationID, Registered: true, Revision: next, Moved: !first}, nil
}

// Put records the client's open conversation, whatever the entry held:
// for administrative repair and tests; messages claim (Claim).
func (x *KVIndex) Put(ctx context.Context, clientID, conversationID string) error {
	_, err := x.b.Put(ctx, "client."+clientID, []byte(conversationID))
	return err
}
