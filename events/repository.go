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

// A decision is tried again while the aggregate keeps changing between
// its load and its append: at least conflictAttempts times, and, while
// others keep writing, for at least conflictPatience, up to
// conflictMaxAttempts tries; a caller still conflicting after that gets
// ErrConcurrency (a webhook answers 503 and the provider retries, a
// handler is redelivered, a person is told to try again). Every conflict
// means another writer made progress, so only a conversation written
// to without pause starves a decision. A count alone was too short under
// load: eight tries (about 160 ms of waiting) ran out while a reply's
// send, its delivery statuses and a page's were still landing on the
// conversation, and a person's manual escalation answered 409 with
// nothing refusing it (TestEscalateByHandOutlastsOtherWriters in the
// console).
const (
	conflictAttempts    = 8
	conflictPatience    = 3 * time.Second
	conflictMaxAttempts = 128
)

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
// order (none when it recorded nothing). When the log already held them
// all (Duplicate), State is the decision's view, and the log may hold
// more.
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

// repository is the one load, decide, append loop, over one aggregate
// type.
type repository[A recorder] struct {
	aggregate string
	log       Appender
	load      func(ctx context.Context, id string) (A, error)
	// loadWhole, when set, folds the aggregate forgetting nothing, for a
	// decision that failed with ErrForgotten on what load returned.
	loadWhole func(ctx context.Context, id string) (A, error)
	// peek, when set, returns the aggregate as a follower of the log keeps
	// it, without reading the log (false: not kept), once it holds stream
	// sequence seq (waiting a little for it); it may lag the log.
	peek  func(ctx context.Context, id string, seq uint64) (A, bool)
	empty func(id string) A
	// saved, when set, is told what was appended after which version (a
	// cache).
	saved func(after uint64, envs []Envelope, acks []Appended)
	// appending, when set, is told before an append of the aggregate id,
	// and its done after the append's outcome (after saved): a follower of
	// the log then waits for saved instead of decoding the event itself.
	appending func(id string) (done func())
}

// Load returns the aggregate as the log has it now, as a private copy:
// for reading. An id with no events comes back empty, not as an error.
func (r repository[A]) Load(ctx context.Context, id string) (A, error) { return r.load(ctx, id) }

// Create is Update for an aggregate that is most likely new (its id is
// fresh, or derives from a message seen for the first time): it first
// decides on an empty aggregate without reading the log, and appends
// expecting no events. If the aggregate exists after all (the append
// conflicts), or the decision fails or records nothing on an empty one,
// Create goes on as Update.
func (r repository[A]) Create(ctx context.Context, id string, decide func(A) error) (Saved[A], error) {
	if s, done, err := r.try(ctx, r.empty(id), decide); done {
		return s, err
	}
	return r.update(ctx, id, decide)
}

// try decides on agg, a state not read from the log now (empty, or kept by
// a follower), and appends what decide recorded expecting agg's version:
// the expected sequence proves the state was the log's. done is false
// when that is not shown (a conflict), or when decide failed or recorded
// nothing, which on a stale state may be wrong: the caller goes on as
// Update, on what the log holds.
func (r repository[A]) try(ctx context.Context, agg A, decide func(A) error) (s Saved[A], done bool, err error) {
	if err := decide(agg); err != nil || len(agg.Pending()) == 0 {
		return Saved[A]{}, false, nil
	}
	s, err = r.appendPending(ctx, agg)
	return s, !errors.Is(err, ErrConcurrency), err
}

// Update loads aggregate id, calls decide with it, and appends the events
// decide recorded through command methods, expecting the version it
// loaded. An error from decide appends nothing and is returned as is; a
// decide that records nothing appends nothing and succeeds. When the
// aggregate changed meanwhile, Update loads and decides again, with
// conflictBackOff between, under the policy above, then returns an
// error wrapping ErrConcurrency: decide must therefore be safe to run more
// than once. When a follower of the log keeps the aggregate (peek), the
// first decision is on its state, without a read, and only a conflict or
// a decision that records nothing there costs the load.
func (r repository[A]) Update(ctx context.Context, id string, decide func(A) error) (Saved[A], error) {
	return r.UpdateAfter(ctx, id, 0, decide)
}

// UpdateAfter is Update by the handler of the aggregate's event at stream
// sequence seq: the first decision is on the state a follower keeps once
// it holds that event (it is waited for a little), so that a state the
// follower has not brought that far does not cost a conflicting append
// and a read.
func (r repository[A]) UpdateAfter(ctx context.Context, id string, seq uint64, decide func(A) error) (Saved[A], error) {
	if r.peek != nil {
		if agg, ok := r.peek(ctx, id, seq); ok {
			if s, done, err := r.try(ctx, agg, decide); done {
				return s, err
			}
		}
	}
	return r.update(ctx, id, decide)
}

// update is Update reading the aggregate from the log for every attempt.
func (r repository[A]) update(ctx context.Context, id string, decide func(A) error) (Saved[A], error) {
	start, tries := time.Now(), 0
	attempt := func() (Saved[A], error) {
		tries++
		agg, err := r.load(ctx, id)
		if err != nil {
			return Saved[A]{}, backoff.Permanent(err)
		}
		err = decide(agg)
		if errors.Is(err, ErrForgotten) && r.loadWhole != nil {
			// The decision is about a message the folded state forgot
			// (recall.go): decide on the whole history.
			if agg, err = r.loadWhole(ctx, id); err != nil {
				return Saved[A]{}, backoff.Permanent(err)
			}
			err = decide(agg)
		}
		if err != nil {
			return Saved[A]{}, backoff.Permanent(err)
		}
		if len(agg.Pending()) == 0 {
			return Saved[A]{State: agg}, nil
		}
		s, err := r.appendPending(ctx, agg)
		switch {
		case err != nil && !errors.Is(err, ErrConcurrency):
			return s, backoff.Permanent(err)
		case err != nil && tries >= conflictAttempts && time.Since(start) >= conflictPatience:
			return s, backoff.Permanent(err) // patience spent
		}
		return s, err // on a conflict, decide again on what is there now
	}
	s, err := backoff.Retry(ctx, attempt, backoff.WithBackOff(conflictBackOff()), backoff.WithMaxTries(conflictMaxAttempts),
		backoff.WithMaxElapsedTime(0))
	if errors.Is(err, ErrConcurrency) {
		return s, fmt.Errorf("%s %s kept changing: %w", r.aggregate, id, err)
	}
	return s, err
}

// appendPending appends what agg recorded, expecting its version.
func (r repository[A]) appendPending(ctx context.Context, agg A) (Saved[A], error) {
	pending, after := agg.Pending(), agg.version()
	if r.appending != nil {
		defer r.appending(pending[0].AggregateID)()
	}
	acks, err := r.log.Append(ctx, ExpectSeq(after), pending...)
	if err != nil {
		return Saved[A]{}, err
	}
	if r.saved != nil {
		r.saved(after, pending, acks)
	}
	agg.markSaved(acks)
	return Saved[A]{State: agg, Appended: acks}, nil
}

// Conversations is the conversation repository: the one way to change a
// conversation. It loads through a ConversationCache, runs a decision (a
// command method) on the state, appends what the command recorded with
// the conversation's expected sequence, retries conflicts under the one
// policy, and tells the cache what was appended.
type Conversations struct {
	repository[*Conversation]
	cache *ConversationCache
}

// NewConversations returns a repository over log that keeps up to
// cacheSize conversations folded (DefaultConversationCacheSize, say).
func NewConversations(log AppendLog, cacheSize int) (*Conversations, error) {
	cache, err := NewConversationCache(log, cacheSize)
	if err != nil {
		return nil, err
	}
	loadWhole := func(ctx context.Context, id string) (*Conversation, error) {
		return LoadConversationWhole(ctx, log, id)
	}
	return &Conversations{repository: repository[*Conversation]{aggregate: AggregateConversation, log: log, load: cache.Load,
		loadWhole: loadWhole, peek: cache.PeekAt, empty: NewConversation, saved: cache.Appended, appending: cache.Appending}, cache: cache}, nil
}

// Through returns a view of the repository that appends through a (a
// GroupCommit, say) instead of the log it was made with; it shares the
// cache and everything else.
func (c *Conversations) Through(a Appender) *Conversations {
	v := *c
	v.repository.log = a
	return &v
}

// LoadWhole returns the conversation folded from its whole history
// forgetting nothing (LoadConversationWhole), as a private copy, without
// the cache: for a reader that needs every message's id.
func (c *Conversations) LoadWhole(ctx context.Context, id string) (*Conversation, error) {
	return c.loadWhole(ctx, id)
}

// Observe hands the repository's cache one conversation event, in stream
// order (see ConversationCache.Observe): a process that follows the log
// into it decides on a returning conversation without reading the log.
func (c *Conversations) Observe(e Envelope) { c.cache.Observe(e) }

// ObserveHeld is Observe for an event the cache would change nothing
// with, told by its subject and sequence without decoding it
// (ConversationCache.ObserveHeld); false: hand it to Observe.
func (c *Conversations) ObserveHeld(subject string, seq uint64) bool {
	return c.cache.ObserveHeld(subject, seq)
}

// At returns the conversation at least as new as stream sequence seq,
// from the followed cache when it holds seq (ConversationCache.At).
func (c *Conversations) At(ctx context.Context, id string, seq uint64) (*Conversation, error) {
	return c.cache.At(ctx, id, seq)
}

// FollowedTo is the stream sequence of the last event Observe was handed.
func (c *Conversations) FollowedTo() uint64 { return c.cache.FollowedTo() }

// HistoryLog reads an aggregate's whole history and appends: what the
// repositories of aggregates with short histories need.
type HistoryLog interface {
	Loader
	Appender
}

// Workers is the staff account (worker aggregate) repository: the one way
// to change an account. Accounts are few and their histories short, so it
// loads each whole.
type Workers struct {
	repository[*Worker]
}

// NewWorkers returns a repository over log.
func NewWorkers(log HistoryLog) *Workers {
	return &Workers{repository[*Worker]{aggregate: AggregateWorker, log: log,
		load: func(ctx context.Context, id string) (*Worker, error) { return LoadWorker(ctx, log, id) }, empty: NewWorker}}
}

// Clients is the client repository (registration, consent, erasure). A
// client's history is short, so it loads each whole.
type Clients struct {
	repository[*Client]
}

// NewClients returns a repository over log.
func NewClients(log HistoryLog) *Clients {
	return &Clients{repository[*Client]{aggregate: AggregateClient, log: log,
		load: func(ctx context.Context, id string) (*Client, error) { return LoadClient(ctx, log, id) }, empty: NewClient}}
}
