package ingestion

import (
	"context"
	"errors"

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

// Get returns the client's open conversation and whether it is known.
func (x *KVIndex) Get(ctx context.Context, clientID string) (string, bool, error) {
	e, err := x.b.Get(ctx, "client."+clientID)
	if errors.Is(err, kv.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(e.Value()), true, nil
}

// Put records the client's open conversation. Repeating it is harmless.
func (x *KVIndex) Put(ctx context.Context, clientID, conversationID string) error {
	_, err := x.b.Put(ctx, "client."+clientID, []byte(conversationID))
	return err
}
