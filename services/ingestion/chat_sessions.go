package ingestion

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/kv"
)

// ChatSessionBucket is the key-value bucket of web chat sessions: key the
// hex SHA-256 of a token, value a ChatSession as JSON (ids and times only).
const ChatSessionBucket = "helpline_chat"

// KVChatSessions is ChatSessions in a JetStream key-value bucket. The
// bucket's TTL drops a session that long after it was written, so expired
// sessions do not pile up; Chat.Authenticate checks the expiry itself too.
type KVChatSessions struct{ b *kv.Bucket }

var _ ChatSessions = (*KVChatSessions)(nil)

// NewKVChatSessions creates or updates the bucket: file storage, the given
// replicas, and ttl (DefaultChatSessionTTL when 0) as its TTL. Use the same
// ttl as ChatConfig.SessionTTL.
func NewKVChatSessions(ctx context.Context, js jetstream.JetStream, replicas int, ttl time.Duration) (*KVChatSessions, error) {
	ttl = cmp.Or(ttl, DefaultChatSessionTTL)
	replicas = cmp.Or(replicas, 1)
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket:       ChatSessionBucket,
		Description:  "Helpline web chat: SHA-256 of a session token -> client, conversation, line, times",
		History:      1,
		TTL:          ttl,
		MaxValueSize: 1024,
		Storage:      jetstream.FileStorage,
		Replicas:     replicas,
	})
	if err != nil {
		return nil, err
	}
	return &KVChatSessions{b: b}, nil
}

// Create stores a new session; a key that exists is an error.
func (x *KVChatSessions) Create(ctx context.Context, key string, s ChatSession) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode chat session: %w", err)
	}
	if _, err := x.b.Create(ctx, key, b); err != nil {
		return fmt.Errorf("create chat session: %w", err)
	}
	return nil
}

// Get returns the session stored under key, or ErrChatNoSession.
func (x *KVChatSessions) Get(ctx context.Context, key string) (ChatSession, error) {
	e, err := x.b.Get(ctx, key)
	if errors.Is(err, kv.ErrNotFound) {
		return ChatSession{}, ErrChatNoSession
	}
	if err != nil {
		return ChatSession{}, fmt.Errorf("get chat session: %w", err)
	}
	var s ChatSession
	if err := json.Unmarshal(e.Value(), &s); err != nil || events.ValidateID(s.ConversationID) != nil || events.ValidateID(s.ClientID) != nil {
		// A record we cannot trust is no session at all.
		return ChatSession{}, ErrChatNoSession
	}
	return s, nil
}

// Update replaces the session stored under key, at the revision read, so
// a session deleted meanwhile stays deleted (ErrChatNoSession).
func (x *KVChatSessions) Update(ctx context.Context, key string, s ChatSession) error {
	e, err := x.b.Get(ctx, key)
	if errors.Is(err, kv.ErrNotFound) {
		return ErrChatNoSession
	}
	if err != nil {
		return fmt.Errorf("get chat session: %w", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode chat session: %w", err)
	}
	if _, err := x.b.Update(ctx, key, b, e.Revision()); err != nil {
		return fmt.Errorf("update chat session: %w", err)
	}
	return nil
}

// Delete forgets the session stored under key.
func (x *KVChatSessions) Delete(ctx context.Context, key string) error {
	if err := x.b.Delete(ctx, key, 0); err != nil {
		return fmt.Errorf("delete chat session: %w", err)
	}
	return nil
}
