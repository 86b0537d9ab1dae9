package events_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// countingLog counts whole loads and tail reads of the real store under
// it.
type countingLog struct {
	*events.Store
	loads, tails atomic.Int64
}

func (l *countingLog) Load(ctx context.Context, aggregateType, aggregateID string) ([]events.Envelope, uint64, error) {
	l.loads.Add(1)
	return l.Store.Load(ctx, aggregateType, aggregateID)
}

func (l *countingLog) Since(ctx context.Context, aggregateType, aggregateID string, after uint64, max int) ([]events.Envelope, uint64, error) {
	l.tails.Add(1)
	return l.Store.Since(ctx, aggregateType, aggregateID, after, max)
}

func newCache(t *testing.T) (*events.Store, *countingLog, *events.ConversationCache) {
	t.Helper()
	s := newStoreOnFreshServer(t)
	log := &countingLog{Store: s}
	c, err := events.NewConversationCache(log, 16)
	if err != nil {
		t.Fatal(err)
	}
	return s, log, c
}

// whole is the conversation folded from its whole history: what every
// cached load must equal.
func whole(t *testing.T, s *events.Store, id string) *events.Conversation {
	t.Helper()
	c, _, err := events.LoadConversation(context.Background(), s, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func triaged(t *testing.T, convID, msgID string) events.Envelope {
	t.Helper()
	e, err := events.NewWithID("tri-"+msgID, convID, events.MessageTriaged{MessageID: msgID, Risk: events.RiskNone, Matches: []events.TriageMatch{}},
		events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// mustAppend appends envs to s as expect says, or fails the test.
func mustAppend(t *testing.T, s *events.Store, expect events.Expect, envs ...events.Envelope) []events.Appended {
	t.Helper()
	acks, err := s.Append(context.Background(), expect, envs...)
	if err != nil {
		t.Fatal(err)
	}
	return acks
}

// cached opens a cache test: a cache over a fresh log (newCache) that
// holds conversation id, started, with message m-1 received.
func cached(t *testing.T, id string) (*events.Store, *countingLog, *events.ConversationCache) {
	t.Helper()
	s, log, c := newCache(t)
	mustAppend(t, s, events.ExpectNew, started(t, id), received(t, id, "m-1"))
	return s, log, c
}

func mustLoad(t *testing.T, c *events.ConversationCache, id string) *events.Conversation {
	t.Helper()
	conv, err := c.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

func TestCacheSeesWhatOthersAppended(t *testing.T) {
	t.Parallel()
	const id = "conv-cache-others"
	s, log, c := cached(t, id)
	first := mustLoad(t, c, id)
	// Another replica triages m-1 and a second message arrives: this cache
	// was told of neither.
	mustAppend(t, s, events.ExpectSeq(first.Version), triaged(t, id, "m-1"))
	mustAppend(t, s, events.ExpectAny, received(t, id, "m-2"))
	got := mustLoad(t, c, id)
	if want := whole(t, s, id); !reflect.DeepEqual(got, want) {
		t.Fatalf("cached load:\n%+v\nwant\n%+v", got, want)
	}
	if !got.Triaged("m-1") || got.Received != 2 {
		t.Fatalf("another replica's verdict or the new message is missing: %+v", got)
	}
	if n := log.loads.Load(); n != 1 {
		t.Errorf("%d whole loads, want 1 (then only the tail)", n)
	}
	// A verdict appended with a stale expectation fails, as it must: the
	// cache never hands out a Version the log has moved past.
	if _, err := s.Append(context.Background(), events.ExpectSeq(first.Version), triaged(t, id, "m-2")); err == nil {
		t.Fatal("append on a stale version succeeded")
	}
}

func TestCacheCopiesAreThePrivateCallers(t *testing.T) {
	t.Parallel()
	const id = "conv-cache-copies"
	s, _, c := cached(t, id)
	a := mustLoad(t, c, id)
	a.Messages["m-1"] = 1
	a.Version = 1 << 40
	a.Closed = true
	if got, want := mustLoad(t, c, id), whole(t, s, id); !reflect.DeepEqual(got, want) {
		t.Fatalf("a caller's change reached the cache:\n%+v\nwant\n%+v", got, want)
	}
}

func TestCacheAppendedFoldsOnlyOnItsOwnVersion(t *testing.T) {
	t.Parallel()
	const id = "conv-cache-appended"
	s, log, c := cached(t, id)
	conv := mustLoad(t, c, id)
	rec := triaged(t, id, "m-1")
	acks := mustAppend(t, s, events.ExpectSeq(conv.Version), rec)
	c.Appended(conv.Version, []events.Envelope{rec}, acks)
	// The same append redelivered and retried: a duplicate ack, and a
	// version the cache has moved past. Neither may fold twice.
	again, err := s.Append(context.Background(), events.ExpectSeq(conv.Version), rec)
	if err != nil || !again[0].Duplicate {
		t.Fatalf("retried append: %+v, %v", again, err)
	}
	c.Appended(conv.Version, []events.Envelope{rec}, again)
	c.Appended(conv.Version, []events.Envelope{rec}, acks)
	got := mustLoad(t, c, id)
	if want := whole(t, s, id); !reflect.DeepEqual(got, want) {
		t.Fatalf("after appends:\n%+v\nwant\n%+v", got, want)
	}
	if n := log.loads.Load(); n != 1 {
		t.Errorf("%d whole loads, want 1", n)
	}
}

func TestCacheFarBehindLoadsWhole(t *testing.T) {
	t.Parallel()
	s, log, c := newCache(t)
	const id = "conv-cache-behind"
	mustAppend(t, s, events.ExpectNew, started(t, id))
	mustLoad(t, c, id)
	for i := range 40 {
		mustAppend(t, s, events.ExpectAny, received(t, id, fmt.Sprintf("m-far-%d", i)))
	}
	if got, want := mustLoad(t, c, id), whole(t, s, id); !reflect.DeepEqual(got, want) || got.Received != 40 {
		t.Fatalf("40 behind:\n%+v\nwant\n%+v", got, want)
	}
	if n := log.loads.Load(); n != 2 {
		t.Errorf("%d whole loads, want 2", n)
	}
}

// TestCacheConcurrentLoadsOnlyMoveForward loads one conversation from many
// goroutines while it grows: every load sees at least what was appended
// before it began, and the cache ends at the log's state (run with -race).
func TestCacheConcurrentLoadsOnlyMoveForward(t *testing.T) {
	t.Parallel()
	s, _, c := newCache(t)
	ctx := context.Background()
	const id = "conv-cache-race"
	acks := mustAppend(t, s, events.ExpectNew, started(t, id))
	var last atomic.Uint64
	last.Store(acks[0].Seq)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 30 {
			a, err := s.Append(ctx, events.ExpectAny, received(t, id, fmt.Sprintf("m-race-%d", i)))
			if err != nil {
				t.Error(err)
				return
			}
			last.Store(a[0].Seq)
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				before := last.Load()
				conv, err := c.Load(ctx, id)
				if err != nil {
					t.Error(err)
					return
				}
				if conv.Version < before {
					t.Errorf("load saw version %d, the log was at %d before it began", conv.Version, before)
				}
				conv.Messages["scribble"] = 1 // a caller's change stays its own
			}
		}()
	}
	wg.Wait()
	if got, want := mustLoad(t, c, id), whole(t, s, id); !reflect.DeepEqual(got, want) {
		t.Fatalf("final:\n%+v\nwant\n%+v", got, want)
	}
}

func TestCacheAppendedStartsANewConversation(t *testing.T) {
	t.Parallel()
	s, log, c := newCache(t)
	const id = "conv-cache-new"
	e := started(t, id)
	acks := mustAppend(t, s, events.ExpectNew, e)
	c.Appended(0, []events.Envelope{e}, acks)
	if got, want := mustLoad(t, c, id), whole(t, s, id); !reflect.DeepEqual(got, want) || !got.Started {
		t.Fatalf("new conversation:\n%+v\nwant\n%+v", got, want)
	}
	if n := log.loads.Load(); n != 0 {
		t.Errorf("%d whole loads, want 0: the cache was told of the start", n)
	}
}

// follower returns follow, which hands c every conversation event of s up
// to stream sequence upTo not handed over yet, in order, as a follower of
// the log does: to Observe, or, with held, first to ObserveHeld by its
// subject and sequence and to Observe only when that says so (as the
// process's follower does, consume.FollowConversations).
func follower(t *testing.T, s *events.Store, c *events.ConversationCache, held bool) (follow func(upTo uint64)) {
	var handed uint64
	return func(upTo uint64) {
		t.Helper()
		_, err := s.Read(context.Background(), events.AggregateSubjects(events.AggregateConversation), handed, func(e events.Envelope) error {
			if e.Sequence > upTo {
				return errHandedEnough
			}
			if !held || !c.ObserveHeld(e.Subject(), e.Sequence) {
				c.Observe(e)
			}
			handed = e.Sequence
			return nil
		})
		if err != nil && !errors.Is(err, errHandedEnough) {
			t.Fatal(err)
		}
	}
}

var errHandedEnough = errors.New("handed over enough")

// TestFollowedCacheMissesNothing: a follower of the log (Observe) keeps an
// entry current without reads, but only an entry complete through where
// the follower stands: one it may have passed events of is never peeked
// nor folded into, so no decision is made on a state with a hole in it.
func TestFollowedCacheMissesNothing(t *testing.T) {
	t.Parallel()
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			t.Parallel()
			followedCacheMissesNothing(t, held)
		})
	}
}

func followedCacheMissesNothing(t *testing.T, held bool) {
	const a, b = "conv-follow-a", "conv-follow-b"
	s, _, c := cached(t, a)
	follow := follower(t, s, c, held)
	peek := func(id string) *events.Conversation {
		t.Helper()
		conv, ok := c.Peek(id)
		if !ok {
			t.Fatalf("%s is not followed", id)
		}
		return conv
	}
	mustLoad(t, c, a)
	if _, ok := c.Peek(a); ok {
		t.Fatal("peeked an entry cached before any follower")
	}
	follow(math.MaxUint64)
	if _, ok := c.Peek(a); ok {
		t.Fatal("peeked an entry cached before the follower's first event")
	}
	mustLoad(t, c, a) // read again once followed: complete through where the follower stands
	first := peek(a)
	// Another writer appends: the entry lags until the follower hands it over.
	mustAppend(t, s, events.ExpectSeq(first.Version), triaged(t, a, "m-1"))
	if got := peek(a); got.Version != first.Version {
		t.Fatalf("peeked version %d before the follower handed over anything, want %d", got.Version, first.Version)
	}
	follow(math.MaxUint64)
	if got, want := peek(a), whole(t, s, a); !reflect.DeepEqual(got, want) {
		t.Fatalf("followed entry:\n%+v\nwant\n%+v", got, want)
	}
	// b's events are handed over while b is not cached; then this process
	// appends to b and tells the cache: its entry is true, but the follower
	// stands past it and will never hand over what it passed.
	acks := mustAppend(t, s, events.ExpectNew, started(t, b), received(t, b, "m-2"))
	mustAppend(t, s, events.ExpectSeq(acks[1].Seq), triaged(t, b, "m-2"))
	follow(math.MaxUint64)
	c.Appended(0, []events.Envelope{started(t, b), received(t, b, "m-2")}, acks)
	if _, ok := c.Peek(b); ok {
		t.Fatal("peeked an entry the follower had passed events of")
	}
	if got, want := mustLoad(t, c, b), whole(t, s, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded:\n%+v\nwant\n%+v", got, want)
	}
	if got, want := peek(b), whole(t, s, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("followed after a load:\n%+v\nwant\n%+v", got, want)
	}
}

// TestCacheAtWaitsForTheFollowerInsteadOfReading: a handler handed an
// event reads its conversation at least as new as the event (At): a
// followed entry that does not hold it yet is waited for until the
// follower hands it over, without reading the log; and an append whose
// first events the follower handed over before the appender told the
// cache (Appended) still moves the entry to the append's last event.
func TestCacheAtWaitsForTheFollowerInsteadOfReading(t *testing.T) {
	t.Parallel()
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			t.Parallel()
			cacheAtWaitsForTheFollower(t, held)
		})
	}
}

func cacheAtWaitsForTheFollower(t *testing.T, held bool) {
	ctx := context.Background()
	const id = "conv-cache-at"
	s, log, c := cached(t, id)
	follow := follower(t, s, c, held)
	follow(math.MaxUint64)
	first := mustLoad(t, c, id) // followed from here on
	acks := mustAppend(t, s, events.ExpectSeq(first.Version), triaged(t, id, "m-1"))
	reads := log.loads.Load() + log.tails.Load()
	got := make(chan *events.Conversation, 1)
	go func() {
		conv, err := c.At(ctx, id, acks[0].Seq)
		if err != nil {
			t.Error(err)
		}
		got <- conv
	}()
	follow(math.MaxUint64)
	if conv := <-got; conv == nil || conv.Version != acks[0].Seq || !conv.Triaged("m-1") {
		t.Fatalf("At(%d) = %+v, want the conversation with its verdict", acks[0].Seq, conv)
	}
	if n := log.loads.Load() + log.tails.Load() - reads; n != 0 {
		t.Errorf("At read the log %d times, want none: the follower handed the event over", n)
	}
	// This process appends two events; the follower hands the first over
	// before the appender tells the cache of both.
	envs, after := []events.Envelope{received(t, id, "m-2"), triaged(t, id, "m-2")}, acks[0].Seq
	acks = mustAppend(t, s, events.ExpectSeq(after), envs...)
	follow(acks[0].Seq)
	c.Appended(after, envs, acks)
	conv, ok := c.Peek(id)
	if want := whole(t, s, id); !ok || !reflect.DeepEqual(conv, want) {
		t.Fatalf("after the follower and the appender:\n%+v\nwant\n%+v", conv, want)
	}
}

// TestObserveHeldNeedsNoDecoding: the follower need not decode an event
// that this process appended and told the cache of, nor one of a
// conversation the cache does not follow; it must hand Observe one that a
// followed entry does not hold yet. Either way the event counts as handed
// over (FollowedTo).
func TestObserveHeldNeedsNoDecoding(t *testing.T) {
	t.Parallel()
	const id, other = "conv-held", "conv-held-other"
	s, _, c := cached(t, id)
	follow := follower(t, s, c, true)
	follow(math.MaxUint64)
	conv := mustLoad(t, c, id) // followed from here on
	env := received(t, id, "m-2")
	acks := mustAppend(t, s, events.ExpectSeq(conv.Version), env)
	subject := events.Subject(events.AggregateConversation, id)
	if c.ObserveHeld(subject, acks[0].Seq) {
		t.Fatal("held an event the followed entry does not hold yet")
	}
	c.Appended(conv.Version, []events.Envelope{env}, acks)
	if !c.ObserveHeld(subject, acks[0].Seq) {
		t.Fatal("an event this process appended and told the cache of needs decoding")
	}
	if got := c.FollowedTo(); got != acks[0].Seq {
		t.Fatalf("followed to %d, want %d", got, acks[0].Seq)
	}
	otherAcks := mustAppend(t, s, events.ExpectNew, started(t, other))
	if !c.ObserveHeld(events.Subject(events.AggregateConversation, other), otherAcks[0].Seq) {
		t.Fatal("an event of a conversation the cache does not hold needs decoding")
	}
	if got := c.FollowedTo(); got != otherAcks[0].Seq {
		t.Fatalf("followed to %d, want %d", got, otherAcks[0].Seq)
	}
	for _, subject := range []string{events.Subject(events.AggregateClient, id), "helpline.events.conversation", "other.subject"} {
		if c.ObserveHeld(subject, otherAcks[0].Seq+1) {
			t.Errorf("held an event on %q, not a conversation's", subject)
		}
	}
}

// An event this process is appending may reach the follower before its
// appender hears the ack: ObserveHeld then waits for the appender
// (Appending, Appended) rather than have the event decoded, and when the
// append's outcome leaves the entry behind (nothing told), it needs the
// event after all.
func TestObserveHeldWaitsForItsAppender(t *testing.T) {
	t.Parallel()
	const id = "conv-held-appending"
	s, _, c := cached(t, id)
	follow := follower(t, s, c, true)
	follow(math.MaxUint64)
	conv := mustLoad(t, c, id) // followed from here on
	subject := events.Subject(events.AggregateConversation, id)

	done := c.Appending(id)
	env := received(t, id, "m-2")
	acks := mustAppend(t, s, events.ExpectSeq(conv.Version), env)
	held := make(chan bool)
	go func() { held <- c.ObserveHeld(subject, acks[0].Seq) }()
	select {
	case h := <-held:
		t.Fatalf("ObserveHeld answered %v before the appender told the cache", h)
	case <-time.After(time.Millisecond):
	}
	c.Appended(conv.Version, []events.Envelope{env}, acks)
	done()
	if !<-held {
		t.Fatal("an event this process appended and told the cache of needs decoding")
	}
	if got := c.FollowedTo(); got != acks[0].Seq {
		t.Fatalf("followed to %d, want %d", got, acks[0].Seq)
	}

	// An append whose outcome the cache is not told (it failed, or was a
	// duplicate): the follower decodes the event.
	done = c.Appending(id)
	acks = mustAppend(t, s, events.ExpectSeq(acks[0].Seq), received(t, id, "m-3"))
	go func() { held <- c.ObserveHeld(subject, acks[0].Seq) }()
	done()
	if <-held {
		t.Fatal("held an event the entry does not hold once its append was over")
	}
}
