package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
)

// SessionBucket is the JetStream key-value bucket of staff sessions.
const SessionBucket = "helpline_console_sessions"

// ErrNoSession means the request carries no live session: none, unknown,
// idle too long or past its lifetime.
var ErrNoSession = errors.New("no session")

// Session is the server-side state of one signed-in browser. The cookie
// holds a random token; the bucket key is the token's SHA-256, so a copy
// of the bucket lets nobody sign in.
type Session struct {
	StaffID string    `json:"staff_id"`
	Role    string    `json:"role"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
}

// Sessions keeps sessions in a key-value bucket, with an idle timeout and
// an absolute lifetime measured on the injected clock.
type Sessions struct {
	bucket   *kv.Bucket
	idle     time.Duration
	lifetime time.Duration
	now      func() time.Time
}

// OpenSessions creates or opens the session bucket. Entries also expire in
// the bucket after the lifetime, so nothing outlives it on disk.
func OpenSessions(ctx context.Context, js jetstream.JetStream, replicas int, idle, lifetime time.Duration, now func() time.Time) (*Sessions, error) {
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: SessionBucket, Description: "Helpline console sessions (keys are token hashes)",
		History: 1, TTL: lifetime, Replicas: max(replicas, 1), Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("session bucket: %w", err)
	}
	return &Sessions{bucket: b, idle: idle, lifetime: lifetime, now: now}, nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Create starts a session and returns its token (for the cookie only).
func (s *Sessions) Create(ctx context.Context, staffID, role string) (string, Session, error) {
	now := s.now()
	sess := Session{StaffID: staffID, Role: role, CSRF: randomToken(), Created: now, Seen: now}
	token := randomToken()
	if err := s.put(ctx, token, sess); err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

func (s *Sessions) put(ctx context.Context, token string, sess Session) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	if _, err := s.bucket.Put(ctx, tokenKey(token), b); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// Touch returns the live session of token and records this use. An idle
// or expired session is deleted and reported as ErrNoSession.
func (s *Sessions) Touch(ctx context.Context, token string) (Session, error) {
	sess, err := s.Get(ctx, token)
	if err != nil {
		return Session{}, err
	}
	// Recording every request would write on every poll; a minute's
	// precision is enough for a 15-minute idle timeout.
	if now := s.now(); now.Sub(sess.Seen) >= time.Minute {
		sess.Seen = now
		if err := s.put(ctx, token, sess); err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

// Get returns the live session of token without recording a use: for
// what the browser does by itself (a live page refreshing), which must
// not keep an unattended screen signed in. An idle or expired session is
// deleted and reported as ErrNoSession.
func (s *Sessions) Get(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	e, err := s.bucket.Get(ctx, tokenKey(token))
	if errors.Is(err, kv.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	var sess Session
	if err := json.Unmarshal(e.Value(), &sess); err != nil {
		return Session{}, ErrNoSession
	}
	now := s.now()
	if now.Sub(sess.Seen) > s.idle || now.Sub(sess.Created) > s.lifetime {
		_ = s.bucket.Delete(ctx, tokenKey(token), 0)
		return Session{}, ErrNoSession
	}
	return sess, nil
}

// Delete ends a session (sign-out).
func (s *Sessions) Delete(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.bucket.Delete(ctx, tokenKey(token), 0); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// Alive reports whether token's session is still live, without counting
// this as a use (a live stream must not keep an idle session open).
func (s *Sessions) Alive(ctx context.Context, token string) bool {
	_, err := s.Get(ctx, token)
	return err == nil
}
