package consume_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
)

type seen struct {
	mu  sync.Mutex
	ids []string
}

func (s *seen) add(id string) { s.mu.Lock(); s.ids = append(s.ids, id); s.mu.Unlock() }
func (s *seen) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

// appendN appends n events to conversation conv1, with ids e<from>,
// e<from+1>, ... (three digits), and returns the ids.
func appendN(t *testing.T, store *events.Store, from, n int) []string {
	t.Helper()
	var ids []string
	for i := from; i < from+n; i++ {
		ids = append(ids, fmt.Sprintf("e%03d", i))
	}
	appendTo(t, store, "conv1", ids...)
	return ids
}

// appendTo appends one event to conversation conv for each id, in order.
func appendTo(t *testing.T, store *events.Store, conv string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		e, err := events.NewWithID(id, conv, events.ConversationClosed{ByStaffID: "x"}, events.Meta{OccurredAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(context.Background(), events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, js jetstream.JetStream, store *events.Store, h consume.Handler) context.CancelFunc {
	t.Helper()
	r, err := consume.NewRouter(js, store, consume.Config{NackDelay: 50 * time.Millisecond, RetryWait: time.Millisecond},
		[]consume.Spec{consume.Shared{Name: "test_handler", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: h}}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return testbed.RunRouter(t, r)
}

func TestInOrderOnceAndResumesAfterRestart(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	want := appendN(t, store, 0, 5)
	var s seen
	h := func(_ context.Context, e events.Envelope) error { s.add(e.ID); return nil }
	stop := run(t, js, store, h)
	poll.Until(t, 10*time.Second, func() error {
		if len(s.list()) < 5 {
			return fmt.Errorf("handled %v", s.list())
		}
		return nil
	})
	stop()
	want = append(want, appendN(t, store, 5, 5)...)
	stop = run(t, js, store, h)
	defer stop()
	poll.Until(t, 10*time.Second, func() error {
		if len(s.list()) < 10 {
			return fmt.Errorf("handled %v", s.list())
		}
		return nil
	})
	got := s.list()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("handled %v, want %v (in order, once each)", got, want)
	}
}

func TestTransientRetriedPermanentDeadLettered(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	ctx := context.Background()
	appendN(t, store, 0, 2)
	var mu sync.Mutex
	attempts := map[string]int{}
	var s seen
	h := func(_ context.Context, e events.Envelope) error {
		mu.Lock()
		attempts[e.ID]++
		n := attempts[e.ID]
		mu.Unlock()
		switch {
		case e.ID == "e000" && n < 10: // e.g. Twilio down: retried past the in-process retries
			return errors.New("provider unavailable")
		case e.ID == "e001":
			return consume.Permanent(errors.New("payload breaks an invariant"))
		}
		s.add(e.ID)
		return nil
	}
	stop := run(t, js, store, h)
	defer stop()
	poll.Until(t, 20*time.Second, func() error {
		if len(s.list()) != 1 {
			return fmt.Errorf("handled %v", s.list())
		}
		st, err := js.Stream(ctx, events.DefaultDeadLetterStream)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 1 {
			return fmt.Errorf("%d dead letters", info.State.Msgs)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if attempts["e000"] < 10 || attempts["e001"] != 1 {
		t.Fatalf("attempts %v: transient must be retried until it succeeds, permanent tried once", attempts)
	}
}

// TestShutdownWhileSubscribingIsNoError: a signal that arrives while the
// handlers are still subscribing ends Run cleanly, as a later one does.
func TestShutdownWhileSubscribingIsNoError(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	for _, delay := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond} {
		var specs []consume.Spec
		for i := range 8 {
			specs = append(specs, consume.Shared{Name: fmt.Sprintf("early_stop_%d", i), Filter: events.AggregateSubjects(events.AggregateConversation),
				Handler: func(context.Context, events.Envelope) error { return nil }})
		}
		r, err := consume.NewRouter(js, store, consume.Config{}, specs, nil, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(delay, cancel)
		if err := r.Run(ctx); err != nil {
			t.Errorf("stopped %v after start: Run = %v, want nil", delay, err)
		}
	}
}

// TestParallelAcrossConversationsInOrderWithin: a PerAggregate handler is
// handed a second conversation's event while the first conversation's is
// still being handled, and one conversation's events in order, a failed
// one retried before the next.
func TestParallelAcrossConversationsInOrderWithin(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	appendTo(t, store, "conv-a", "a1", "a2")
	appendTo(t, store, "conv-b", "b1")
	appendTo(t, store, "conv-a", "a3")
	bDone := make(chan struct{})
	var s seen
	var mu sync.Mutex
	failedA2 := false
	h := func(_ context.Context, e events.Envelope) error {
		switch e.ID {
		case "a1": // holds conversation a until b's event is handled
			select {
			case <-bDone:
			case <-time.After(10 * time.Second):
				return consume.Permanent(errors.New("b1 never came while a1 was held"))
			}
		case "a2":
			mu.Lock()
			first := !failedA2
			failedA2 = true
			mu.Unlock()
			if first {
				return errors.New("not now")
			}
		case "b1":
			defer close(bDone)
		}
		s.add(e.ID)
		return nil
	}
	r, err := consume.NewRouter(js, store, consume.Config{NackDelay: 20 * time.Millisecond, RetryWait: time.Millisecond, Retries: 1},
		[]consume.Spec{consume.Shared{Name: "parallel", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: h, Order: consume.PerAggregate{}}}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	testbed.RunRouter(t, r)
	poll.Until(t, 20*time.Second, func() error {
		if got := fmt.Sprint(s.list()); got != "[b1 a1 a2 a3]" {
			return fmt.Errorf("handled %s, want [b1 a1 a2 a3]", got)
		}
		return nil
	})
}

// TestParallelUrgentAggregateFirst: one event handled at a time, the
// aggregate of an urgent event among those held goes before the others
// that came earlier, its earlier event first.
func TestParallelUrgentAggregateFirst(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	appendTo(t, store, "conv-a", "a1")
	appendTo(t, store, "conv-b", "b1")
	appendTo(t, store, "conv-c", "c1", "c2")
	var s seen
	var asked atomic.Int32
	var first sync.Once
	h := func(_ context.Context, e events.Envelope) error {
		// The first handed over holds the one turn until every event was
		// asked about: the others then wait for it together.
		first.Do(func() {
			poll.Until(t, 10*time.Second, func() error {
				if n := asked.Load(); n < 4 {
					return fmt.Errorf("%d events asked about, want 4", n)
				}
				return nil
			})
		})
		s.add(e.ID)
		return nil
	}
	urgent := func(_ context.Context, e events.Envelope) bool { asked.Add(1); return e.ID == "c2" }
	cfg := consume.Config{NackDelay: 20 * time.Millisecond, RetryWait: time.Millisecond, InFlight: 1, LookAhead: 16}
	spec := consume.Shared{Name: "urgent", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: h, Order: consume.PerAggregate{Urgent: urgent}}
	r, err := consume.NewRouter(js, store, cfg, []consume.Spec{spec}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	testbed.RunRouter(t, r)
	// Whichever went first, c1 and c2 go next (c1 first), then the rest.
	poll.Until(t, 20*time.Second, func() error {
		got := s.list()
		if len(got) != 4 || !(slices.Equal(got[1:3], []string{"c1", "c2"}) || slices.Equal(got[:2], []string{"c1", "c2"})) {
			return fmt.Errorf("handled %v, want c1 then c2 right after the first", got)
		}
		return nil
	})
	// Urgent on a handler that is not PerAggregate does not compile: it
	// is PerAggregate's.
}
