// Package timers keeps durable timers in a JetStream key-value bucket, so
// a deadline set before a crash still fires after a restart, on whichever
// replica checks first. The clock is injected: tests move time, not sleep.
//
// Firing is at-least-once: a timer is deleted only after its handler
// succeeds, so a crash mid-handler fires it again. Handlers must be
// idempotent (append with a deterministic event id and an expected
// sequence); two replicas firing the same timer then record one event.
package timers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/rs/zerolog"
)

// Timer is one deadline with a small payload of ids (never content).
type Timer struct {
	Key  string            `json:"key"`
	Due  time.Time         `json:"due"`
	Data map[string]string `json:"data,omitempty"`

	revision uint64
}

// Store holds timers in one bucket.
type Store struct {
	kv  jetstream.KeyValue
	now func() time.Time
	log zerolog.Logger
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_=-][A-Za-z0-9_=.-]{0,200}$`)

// Open creates or opens the bucket.
func Open(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, now func() time.Time, log zerolog.Logger) (*Store, error) {
	kv, err := events.EnsureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "Helpline durable timers", History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("timers: %w", err)
	}
	return &Store{kv: kv, now: now, log: log.With().Str("component", "timers").Str("bucket", bucket).Logger()}, nil
}

// Set creates or moves a timer.
func (s *Store) Set(ctx context.Context, t Timer) error {
	if !keyPattern.MatchString(t.Key) {
		return fmt.Errorf("timer key %q: letters, digits, '-', '_', '=', '.'", t.Key)
	}
	data, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, t.Key, data); err != nil {
		return fmt.Errorf("set timer %s: %w", t.Key, err)
	}
	return nil
}

// SetIfAbsent creates a timer only if none exists under its key, so the
// first cause sets the deadline and later ones do not push it back.
func (s *Store) SetIfAbsent(ctx context.Context, t Timer) (bool, error) {
	if !keyPattern.MatchString(t.Key) {
		return false, fmt.Errorf("timer key %q: letters, digits, '-', '_', '=', '.'", t.Key)
	}
	data, err := json.Marshal(t)
	if err != nil {
		return false, err
	}
	_, err = s.kv.Create(ctx, t.Key, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("set timer %s: %w", t.Key, err)
	}
	return true, nil
}

// Cancel removes a timer; cancelling a missing timer is not an error.
func (s *Store) Cancel(ctx context.Context, key string) error {
	if err := s.kv.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("cancel timer %s: %w", key, err)
	}
	return nil
}

// Get returns a timer, if set.
func (s *Store) Get(ctx context.Context, key string) (Timer, bool, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Timer{}, false, nil
	}
	if err != nil {
		return Timer{}, false, err
	}
	var t Timer
	if err := json.Unmarshal(e.Value(), &t); err != nil {
		return Timer{}, false, fmt.Errorf("timer %s: %w", key, err)
	}
	t.revision = e.Revision()
	return t, true, nil
}

// Due returns the timers due at the store's now, earliest first.
func (s *Store) Due(ctx context.Context) ([]Timer, error) {
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	now := s.now()
	var due []Timer
	for key := range lister.Keys() {
		t, ok, err := s.Get(ctx, key)
		if err != nil {
			s.log.Error().Err(err).Str("timer", key).Msg("unreadable timer skipped")
			continue
		}
		if ok && !t.Due.After(now) {
			due = append(due, t)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Due.Before(due[j].Due) })
	return due, nil
}

// Fire runs fn for every due timer and deletes each whose fn succeeded,
// unless it was moved meanwhile. It returns how many fired.
func (s *Store) Fire(ctx context.Context, fn func(context.Context, Timer) error) (int, error) {
	due, err := s.Due(ctx)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, t := range due {
		if err := fn(ctx, t); err != nil {
			s.log.Error().Err(err).Str("timer", t.Key).Msg("timer handler failed; will retry")
			continue
		}
		fired++
		// Delete only the revision we fired: a timer re-set meanwhile
		// (a new deadline) stays.
		if err := s.kv.Delete(ctx, t.Key, jetstream.LastRevision(t.revision)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			s.log.Debug().Err(err).Str("timer", t.Key).Msg("timer changed while firing; kept")
		}
	}
	return fired, nil
}

// Run checks for due timers every interval until ctx ends.
func (s *Store) Run(ctx context.Context, interval time.Duration, fn func(context.Context, Timer) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := s.Fire(ctx, fn); err != nil && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("check timers")
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
