package events

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// TailReader reads one aggregate's whole history, or only the events after
// a sequence (Store.Load and Store.Since).
type TailReader interface {
	Loader
	Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]Envelope, uint64, error)
}

// DefaultConversationCacheSize is how many conversations a service keeps
// folded unless told otherwise. One entry costs about 1 KiB, plus about
// 280 bytes per message received and triaged of the latest 64 to 128
// (its id and sequence in Messages; its verdict's slot, whose facts are
// interned: keptVerdict, and the sealed matched words of a verdict that
// has any), 4 bytes per older message (the hash its id leaves: recall.go),
// about 300 bytes per escalation, a send's id and outcome per automatic
// text and reply, and the sealed body of every reply (up to ~2 KiB each):
// a full cache of ordinary conversations is a few MiB, about 140 MiB
// were every entry's latest 128 messages all held. What still grows with a
// conversation: the hashes of its old ids, its sends, replies,
// escalations and pages.
const DefaultConversationCacheSize = 4096

// conversationCacheTail is how many events a cached conversation may be
// behind before it is loaded whole instead of read one event at a time.
const conversationCacheTail = 32

// ConversationCache keeps the folded state of recently seen conversations
// (a bounded LRU), so a handler reads only the events appended since it
// last saw a conversation instead of its whole history. It is a cache, not
// a source of truth: every Load asks the log what followed the cached
// version, so what Load returns is at least as new as the log was when
// Load was called, and an append with the returned Version as its expected
// sequence fails with ErrConcurrency if anything was appended since.
//
// Cached values are never changed in place: a Load folds the tail into a
// copy and puts the copy in the cache only if it is newer than what is
// there (the cache only moves forward), and every caller gets its own
// deep copy. Several goroutines may Load the same id at once.
//
// A follower of the log may keep the entries current (Observe): an entry
// it has followed since its version is then returned by Peek without
// reading the log, for a decision whose append the expected sequence
// checks anyway (Conversations' first attempt).
type ConversationCache struct {
	log TailReader

	mu    sync.Mutex // serialises the compare-and-replace of entries
	convs *lru.Cache[string, cachedConversation]
	// following is set once a follower handed the cache its first event;
	// followedTo is the stream sequence of the last event it handed over.
	// The follower hands over every conversation event in stream order,
	// so a conversation complete through a sequence at or after
	// followedTo (no event of it between its version and that sequence)
	// misses nothing from then on.
	following  bool
	followedTo uint64
	// moved is closed (and made anew) when an entry moves while waiters
	// (calls of At) wait for one to.
	moved   chan struct{}
	waiters int
	// appending counts, per conversation, the appends this process has
	// made and not yet told the cache the outcome of (Appending): the
	// follower may be handed such an event before its appender hears
	// the log's ack, and then waits for the appender (ObserveHeld).
	appending map[string]int
}

// cachedConversation is one entry: the folded state, and whether the
// follower has handed over every event of the conversation after its
// version (only then may Observe fold events into it, or Peek return it).
type cachedConversation struct {
	conv     *Conversation
	followed bool
}

// NewConversationCache returns a cache of at most size conversations.
func NewConversationCache(log TailReader, size int) (*ConversationCache, error) {
	convs, err := lru.New[string, cachedConversation](size)
	if err != nil {
		return nil, fmt.Errorf("conversation cache: %w", err)
	}
	return &ConversationCache{log: log, convs: convs, moved: make(chan struct{}), appending: map[string]int{}}, nil
}

// Load returns the conversation as the log has it now, as a private copy
// the caller may change freely. A conversation with no events comes back
// empty, not as an error: check Started. The tail is read from the stream
// leader (Store.Since), so a handler always sees the event it was handed,
// even in a cluster whose replicas lag.
func (c *ConversationCache) Load(ctx context.Context, id string) (*Conversation, error) {
	c.mu.Lock()
	entry, ok := c.convs.Get(id)
	// Every event the follower handed over before the read below was in
	// the log before it: the read returns those of this conversation.
	from := c.followedFrom()
	c.mu.Unlock()
	if !ok {
		return c.loadWhole(ctx, id, from)
	}
	next, err := foldSince(ctx, c.log, AggregateConversation, id, entry.conv)
	if errors.Is(err, ErrTooFarBehind) {
		return c.loadWhole(ctx, id, from)
	}
	if err != nil {
		return nil, err
	}
	c.put(next, max(next.Version, from))
	return next.Clone(), nil
}

// At returns a private copy of the conversation at least as new as stream
// sequence seq (the sequence of an event of it a handler was handed): the
// entry a follower of the log keeps, without reading the log, when it
// holds seq (PeekAt), else the log's (Load). The copy may lag the log by
// the follower's delay: decide on it only what an event at seq decides
// (a later event is handled in its turn), or through Conversations.Update,
// whose expected sequence proves the state current.
func (c *ConversationCache) At(ctx context.Context, id string, seq uint64) (*Conversation, error) {
	if conv, ok := c.PeekAt(ctx, id, seq); ok {
		return conv, nil
	}
	return c.Load(ctx, id)
}

// PeekAt is Peek for an entry that holds stream sequence seq: a followed
// entry not there yet is waited for a little (followWait), since the event
// was just appended and the follower, or this process's appender telling
// the cache (Appended), is about to bring it.
func (c *ConversationCache) PeekAt(ctx context.Context, id string, seq uint64) (*Conversation, bool) {
	var w followWaiter
	c.mu.Lock()
	defer c.mu.Unlock()
	defer w.stop()
	for {
		entry, ok := c.convs.Get(id)
		if ok && entry.followed && entry.conv.Version >= seq {
			return entry.conv.Clone(), true
		}
		if !ok || !entry.followed || w.over {
			return nil, false
		}
		w.wait(ctx, c)
	}
}

// followWaiter is one caller's wait, of followWait in all, for entries of
// the cache to move (wake): PeekAt's for an entry to reach a sequence,
// ObserveHeld's for an append's outcome.
type followWaiter struct {
	timer *time.Timer // started by the first wait
	over  bool        // waited long enough: look once more, then give up
}

// wait releases c.mu, which the caller holds, until an entry moves,
// followWait has passed since the first wait or ctx is done (then over),
// and takes it again.
func (w *followWaiter) wait(ctx context.Context, c *ConversationCache) {
	if w.timer == nil {
		w.timer = time.NewTimer(followWait)
	}
	moved := c.moved
	c.waiters++
	c.mu.Unlock()
	select {
	case <-moved:
	case <-w.timer.C:
		w.over = true
	case <-ctx.Done():
		w.over = true
	}
	c.mu.Lock()
	c.waiters--
}

// stop stops the wait's timer, if it started.
func (w *followWaiter) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// followWait bounds how long At waits for a followed entry to reach the
// sequence asked for before reading the log: about what a read costs on
// a loaded server, far more than the follower's usual delay.
const followWait = 20 * time.Millisecond

// wake wakes those waiting in At for an entry to move. Called with mu
// held.
func (c *ConversationCache) wake() {
	if c.waiters > 0 {
		close(c.moved)
		c.moved = make(chan struct{})
	}
}

// followedFrom is the sequence the follower has handed over, or none
// (math.MaxUint64: no entry can be followed) before it started. Called
// with mu held.
func (c *ConversationCache) followedFrom() uint64 {
	if !c.following {
		return math.MaxUint64
	}
	return c.followedTo
}

// loadWhole folds the conversation from its whole history and caches it;
// from is followedFrom as it was before the read.
func (c *ConversationCache) loadWhole(ctx context.Context, id string, from uint64) (*Conversation, error) {
	conv, _, err := LoadConversation(ctx, c.log, id)
	if err != nil {
		return nil, err
	}
	if conv.Version > 0 {
		c.put(conv.Clone(), max(conv.Version, from))
	}
	return conv, nil
}

// put caches conv, which is complete through sequence through (the log
// holds no event of it after its version up to there), unless the cache
// already holds a newer version: two Loads that raced must not move the
// entry backwards. Any version is a true state (a prefix of the log folded
// in order), so the newest one wins. The entry is followed when the
// follower has handed over nothing past through: every later event of the
// conversation is still to come to Observe. conv is never changed after.
func (c *ConversationCache) put(conv *Conversation, through uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	followed := c.following && through != math.MaxUint64 && through >= c.followedTo
	if cur, ok := c.convs.Peek(conv.ID); ok && (cur.conv.Version > conv.Version || cur.conv.Version == conv.Version && (cur.followed || !followed)) {
		return
	}
	c.convs.Add(conv.ID, cachedConversation{conv: conv, followed: followed})
	c.wake()
}

// Peek returns a private copy of the cached conversation if a follower of
// the log keeps it current, without reading the log. It may lag the log by
// the follower's delay: decide on it only for an append with its Version
// as the expected sequence, and load it (Load) again on a conflict.
func (c *ConversationCache) Peek(id string) (*Conversation, bool) {
	return c.PeekAt(context.Background(), id, 0)
}

// Observe is the cache's follower of the log: it is handed every
// conversation event in stream order (a Local consumer, from wherever it
// starts), folds each into a followed entry it follows, and remembers how
// far it got. It never fails: an event it cannot fold drops the entry (the
// next Load reads the conversation again), so the follower never passes
// an event over.
func (c *ConversationCache) Observe(e Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.following, c.followedTo = true, max(c.followedTo, e.Sequence)
	entry, ok := c.convs.Peek(e.AggregateID)
	if !ok || !entry.followed || e.AggregateType != AggregateConversation || e.Sequence <= entry.conv.Version {
		return
	}
	next := entry.conv.Clone()
	if err := next.Apply(e); err != nil {
		c.convs.Remove(e.AggregateID)
		return
	}
	c.convs.Add(next.ID, cachedConversation{conv: next, followed: true})
	c.wake()
}

// ObserveHeld is Observe for the event at stream sequence seq on subject
// when Observe would change no entry with it: none is followed for its
// conversation, or the followed entry holds it already (an event this
// process appended and told the cache of, Appended). It then notes seq as
// handed over, as Observe does, and reports true: the follower need not
// decode the event. False means Observe needs the event itself.
//
// The log hands the follower an event and its appender the ack at about
// the same moment, and the follower was often first: it decoded and
// folded the event, and the appender's Appended then had nothing left to
// do. So while this process is appending to the conversation (Appending),
// ObserveHeld waits, up to followWait, for that append's outcome: most
// often the entry then holds seq, told without decoding anything.
func (c *ConversationCache) ObserveHeld(subject string, seq uint64) bool {
	aggType, id, ok := AggregateOf(subject)
	if !ok || aggType != AggregateConversation {
		return false
	}
	var w followWaiter
	c.mu.Lock()
	defer c.mu.Unlock()
	defer w.stop()
	for {
		entry, ok := c.convs.Peek(id)
		if !ok || !entry.followed || seq <= entry.conv.Version {
			break
		}
		if c.appending[id] == 0 || w.over {
			return false
		}
		w.wait(context.Background(), c)
	}
	c.following, c.followedTo = true, max(c.followedTo, seq)
	return true
}

// Appending tells the cache that this process is about to append to
// conversation id; the returned done must be called once the append's
// outcome is known, after Appended when it succeeded.
func (c *ConversationCache) Appending(id string) (done func()) {
	c.mu.Lock()
	c.appending[id]++
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.appending[id]--; c.appending[id] <= 0 {
			delete(c.appending, id)
		}
		c.wake()
	}
}

// FollowedTo is the stream sequence of the last event Observe was handed
// (0 before the first): where a restarted follower goes on from.
func (c *ConversationCache) FollowedTo() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.followedTo
}

// Appended tells the cache that envs were appended, with ExpectSeq(after)
// (ExpectNew: after 0), and got acks, so the next Load need not read them
// back. It changes nothing unless the cached entry is exactly at after (or
// absent, for after 0) and every event is new (not a duplicate): only then
// is the entry plus envs the log's state. Never call it after an append
// with ExpectAny: others may have appended in between.
func (c *ConversationCache) Appended(after uint64, envs []Envelope, acks []Appended) {
	if len(envs) == 0 || len(acks) != len(envs) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.convs.Peek(envs[0].AggregateID)
	cur := entry.conv
	// from is how many of envs the entry holds already: none when it is
	// at after; those up to its version when the follower handed some of
	// them over first (the expected sequence proved nothing else of the
	// conversation came between after and the last of them).
	from := 0
	switch {
	case ok && cur.Version == after:
	case ok && entry.followed && cur.Version > after:
		for from < len(acks) && acks[from].Seq <= cur.Version {
			from++
		}
		if from == len(acks) || acks[from-1].Seq != cur.Version {
			return // newer than these, or not at one of them
		}
	case !ok && after == 0:
		// Appended with ExpectNew (or ExpectSeq(0)): nothing came before.
		cur = NewConversation(envs[0].AggregateID)
	default:
		return // the cache is elsewhere: the next Load corrects it
	}
	next := cur.Clone()
	prev := after
	for i, e := range envs {
		if acks[i].Duplicate || acks[i].Seq <= prev || e.AggregateID != cur.ID || e.AggregateType != AggregateConversation {
			return
		}
		if i < from {
			prev = acks[i].Seq
			continue
		}
		e.Sequence = acks[i].Seq
		if err := next.Apply(e); err != nil {
			return
		}
		prev = acks[i].Seq
	}
	// The expected sequence proved nothing of the conversation came
	// between after and these events: complete through the last of them.
	followed := c.following && prev >= c.followedTo
	c.convs.Add(next.ID, cachedConversation{conv: next, followed: followed})
	c.wake()
}
