package ingestion

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/transient"
)

// KVIndex is the Index in a JetStream key-value bucket: key
// "client.<client id>", value the open conversation's id (empty when none).
// Ids only: nothing in it identifies a person without the master key.
type KVIndex struct{ kv jetstream.KeyValue }

// IndexBucket is the bucket's name.
const IndexBucket = "helpline_ingestion"

// NewKVIndex creates or opens the bucket.
func NewKVIndex(ctx context.Context, js jetstream.JetStream, replicas int) (*KVIndex, error) {
	kv, err := events.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: IndexBucket, Description: "Helpline ingestion: client id -> open conversation id",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, err
	}
	return &KVIndex{kv: kv}, nil
}

// Get returns the client's open conversation and whether it is known.
// Like Put, it is retried through a leader election or a lost request.
func (x *KVIndex) Get(ctx context.Context, clientID string) (string, bool, error) {
	var e jetstream.KeyValueEntry
	err := transient.Do(ctx, transient.Reads, func(ctx context.Context) error {
		var err error
		e, err = x.kv.Get(ctx, "client."+clientID)
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(e.Value()), true, nil
}

// Put records the client's open conversation. Repeating it is harmless.
func (x *KVIndex) Put(ctx context.Context, clientID, conversationID string) error {
	return transient.Do(ctx, transient.Reads, func(ctx context.Context) error {
		_, err := x.kv.Put(ctx, "client."+clientID, []byte(conversationID))
		return err
	})
}
