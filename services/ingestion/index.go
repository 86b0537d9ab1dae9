package ingestion

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
)

// KVIndex is the Index in JetStream key-value buckets: in IndexBucket, key
// "client.<client id>", value the open conversation's id (empty when
// none); in MessageBucket, key a message's event id, value its
// conversation's id, for MessageRetention. Ids only: nothing in them
// identifies a person without the master key.
type KVIndex struct{ b, msgs *kv.Bucket }

// IndexBucket and MessageBucket are the buckets' names.
const (
	IndexBucket   = "helpline_ingestion"
	MessageBucket = "helpline_ingestion_messages"
)

// MessageRetention is how long a received message's id is remembered, so
// that the same webhook brought again (Twilio retrying, or a captured
// request replayed) records nothing: far beyond Twilio's retries, and
// beyond the log's two-minute duplicate window and a conversation's life,
// after which the conversation's own record of its messages no longer
// catches it. A replay older than this would be recorded again (Twilio's
// signature carries no time to refuse it by).
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

// RecordReceived remembers that a message was recorded in a conversation.
func (x *KVIndex) RecordReceived(ctx context.Context, eventID, conversationID string) error {
	_, err := x.msgs.Put(ctx, eventID, []byte(conversationID))
	return err
}

// Get returns the client's entry.
func (x *KVIndex) Get(ctx context.Context, clientID string) (IndexEntry, error) {
	e, err := x.b.Get(ctx, "client."+clientID)
	if errors.Is(err, kv.ErrNotFound) {
		return IndexEntry{}, nil
	}
	if err != nil {
		return IndexEntry{}, err
	}
	return IndexEntry{ConversationID: string(e.Value()), Registered: true, Revision: e.Revision()}, nil
}

// Register records the client, with no conversation, unless it is
// registered already (then it changes nothing: it must not undo a
// conversation another message claimed meanwhile).
func (x *KVIndex) Register(ctx context.Context, clientID string) error {
	_, err := x.b.Create(ctx, "client."+clientID, nil)
	if errors.Is(err, kv.ErrExists) {
		return nil
	}
	return err
}

// Claim makes conversationID the client's open conversation if the entry
// is still at revision rev; ErrClaimed if it changed (another message
// of the client's claimed one first).
func (x *KVIndex) Claim(ctx context.Context, clientID, conversationID string, rev uint64) error {
	_, err := x.b.Update(ctx, "client."+clientID, []byte(conversationID), rev)
	if errors.Is(err, kv.ErrExists) {
		return fmt.Errorf("client %s: %w", clientID, ErrClaimed)
	}
	return err
}

// Put records the client's open conversation, whatever the entry held:
// for administrative repair and tests; messages claim (Claim).
func (x *KVIndex) Put(ctx context.Context, clientID, conversationID string) error {
	_, err := x.b.Put(ctx, "client."+clientID, []byte(conversationID))
	return err
}
