package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Appender appends events with an optimistic-concurrency condition
// (Store.Append).
type Appender interface {
	Append(ctx context.Context, expect Expect, envs ...Envelope) ([]Appended, error)
}

// AppendLog is what the conversation repository needs of the log: read a
// conversation whole or only its tail, and append.
type AppendLog interface {
	TailReader
	Appender
}

// conflictAttempts bounds how often one decision is tried when the
// aggregate keeps changing between its load and its append. Eight covers
// a burst of messages, verdicts and pages racing for one conversation; a
// caller still conflicting after that gets ErrConcurrency (a webhook
// answers 503 and the provider retries, a handler is redelivered).
const conflictAttempts = 8

// conflictBackOff is the wait between those attempts: short (the other
// writer is done within a round trip), doubling, and jittered by half
// either way so that writers who collided once do not collide again in
// step. Eight attempts wait about 160 ms in all.
func conflictBackOff() backoff.BackOff {
	return &backoff.ExponentialBackOff{InitialInterval: 2 * time.Millisecond, RandomizationFactor: 0.5, Multiplier: 2,
		MaxInterval: 50 * time.Millisecond}
}

// Saved is the outcome of an Update: the aggregate as it stands after the
// append, and the log's answer for each event the decision recorded, in
// order (none when it recorded nothing).
type Saved[A any] struct {
	State    A
	Appended []Appended
}

// Duplicate reports whether the log already held every recorded event: the
// same decision was made and appended before (a redelivery, a retried
// request). False when nothing was recorded.
func (s Saved[A]) Duplicate() bool {
	for _, a := range s.Appended {
		if !a.Duplicate {
			return false
		}
	}
	return len(s.Appended) > 0
}

// Seq is the stream sequence of the last recorded event, 0 when nothing
// was recorded.
func (s Saved[A]) Seq() uint64 {
	if len(s.Appended) == 0 {
		return 0
	}
	return s.Appended[len(s.Appended)-1].Seq
}

// recorder is an aggregate whose commands record events for an append.
type recorder interface {
	Pending() []Envelope
	markSaved(acks []Appended)
	version() uint64
}

// update is the one load, decide, append loop: it loads the aggregate,
// lets decide run a command on it, and appends what the command recorded
// with the loaded version as the expected sequence. On a conflict it
// loads and decides again under the one conflict policy; any other error,
// the decision's own included, ends it at once with nothing appended.
// saved is told what was appended after which version (a cache).
func update[A recorder](ctx context.Context, log Appender, load func(context.Context) (A, error), decide func(A) error,
	saved func(after uint64, envs []Envelope, acks []Appended)) (Saved[A], error) {
	attempt := func() (Saved[A], error) {
		agg, err := load(ctx)
		if err != nil {
			return Saved[A]{}, backoff.Permanent(err)
		}
		if err := decide(agg); err != nil {
			return Saved[A]{}, backoff.Permanent(err)
		}
		pending, after := agg.Pending(), agg.version()
		if len(pending) == 0 {
			return Saved[A]{State: agg}, nil
		}
		acks, err := log.Append(ctx, ExpectSeq(after), pending...)
		if errors.Is(err, ErrConcurrency) {
			return Saved[A]{}, err // decide again on what is there now
		}
		if err != nil {
			return Saved[A]{}, backoff.Permanent(err)
		}
		if saved != nil {
			saved(after, pending, acks)
		}
		agg.markSaved(acks)
		return Saved[A]{State: agg, Appended: acks}, nil
	}
	return backoff.Retry(ctx, attempt, backoff.WithBackOff(conflictBackOff()), backoff.WithMaxTries(conflictAttempts),
		backoff.WithMaxElapsedTime(0))
}

// Conversations is the conversation repository: the one way to change a
// conversation. It loads through a ConversationCache, runs a decision (a
// command method) on the state, appends what the command recorded with
// the conversation's expected sequence, retries conflicts under the one
// policy, and tells the cache what was appended.
type Conversations struct {
	log   Appender
	cache *ConversationCache
}

// NewConversations returns a repository over log that keeps up to
// cacheSize conversations folded (DefaultConversationCacheSize, say).
func NewConversations(log AppendLog, cacheSize int) (*Conversations, error) {
	cache, err := NewConversationCache(log, cacheSize)
	if err != nil {
		return nil, err
	}
	return &Conversations{log: log, cache: cache}, nil
}

// Load returns the conversation as the log has it now, as a private copy:
// for reading. A conversation with no events comes back empty, not as an
// error: check Started.
func (r *Conversations) Load(ctx context.Context, id string) (*Conversation, error) {
	return r.cache.Load(ctx, id)
}

// Update loads conversation id, calls decide with it, and appends the
// events decide recorded through command methods, expecting the version
// it loaded. An error from decide appends nothing and is returned as is;
// a decide that records nothing appends nothing and succeeds. When the
// conversation changed meanwhile, Update loads and decides again, a
// bounded number of times, then returns an error wrapping ErrConcurrency:
// decide must therefore be safe to run more than once.
func (r *Conversations) Update(ctx context.Context, id string, decide func(*Conversation) error) (Saved[*Conversation], error) {
	s, err := update(ctx, r.log, func(ctx context.Context) (*Conversation, error) { return r.cache.Load(ctx, id) }, decide,
		r.cache.Appended)
	if errors.Is(err, ErrConcurrency) {
		return s, fmt.Errorf("conversation %s kept changing: %w", id, err)
	}
	return s, err
}

// Workers is the staff account (worker aggregate) repository: the one way
// to change an account. Accounts are few and their histories short, so it
// loads each whole.
type Workers struct {
	log interface {
		Loader
		Appender
	}
}

// NewWorkers returns a repository over log.
func NewWorkers(log interface {
	Loader
	Appender
}) *Workers {
	return &Workers{log: log}
}

// Load returns the account as the log has it now. An id with no events
// comes back empty, not as an error: check Registered.
func (r *Workers) Load(ctx context.Context, id string) (*Worker, error) {
	return LoadWorker(ctx, r.log, id)
}

// Update is Conversations.Update for a staff account.
func (r *Workers) Update(ctx context.Context, id string, decide func(*Worker) error) (Saved[*Worker], error) {
	s, err := update(ctx, r.log, func(ctx context.Context) (*Worker, error) { return r.Load(ctx, id) }, decide, nil)
	if errors.Is(err, ErrConcurrency) {
		return s, fmt.Errorf("worker %s kept changing: %w", id, err)
	}
	return s, err
}
