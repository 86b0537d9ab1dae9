package ingestion

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
)

// KVIndex is the Index in a JetStream key-value bucket: key
// "client.<client id>", value the open conversation's id (empty when none).
// Ids only: nothing in it identifies a person without the master key.
type KVIndex struct{ b *kv.Bucket }

// IndexBucket is the bucket's name.
const IndexBucket = "helpline_ingestion"

// NewKVIndex creates or opens the bucket.
func NewKVIndex(ctx context.Context, js jetstream.JetStream, replicas int) (*KVIndex, error) {
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: IndexBucket, Description: "Helpline ingestion: client id -> open conversation id",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, err
	}
	return &KVIndex{b: b}, nil
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
