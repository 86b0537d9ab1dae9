package consume_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

// localReader is a read model held in memory by one process: it remembers
// the last sequence it applied, as a projection runner does.
type localReader struct {
	mu   sync.Mutex
	ids  []string
	last uint64
	fail map[string]int // event id -> failures left
}

func (l *localReader) handle(_ context.Context, e events.Envelope) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail[e.ID] > 0 {
		l.fail[e.ID]--
		return errors.New("not now")
	}
	if e.ID == "e006" {
		return consume.Permanent(errors.New("never"))
	}
	l.ids, l.last = append(l.ids, e.ID), e.Sequence
	return nil
}

func (l *localReader) from() uint64 { l.mu.Lock(); defer l.mu.Unlock(); return l.last }
func (l *localReader) list() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.ids, ",")
}

func runLocal(t *testing.T, js jetstream.JetStream, store *events.Store, l *localReader) (*consume.Router, context.CancelFunc) {
	t.Helper()
	return runSpec(t, js, store, consume.Local{Name: "local_model", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: l.handle, From: l.from})
}

// runSpec runs a router of the one spec until it is running; the stop
// it returns ends it and checks Run ended cleanly.
func runSpec(t *testing.T, js jetstream.JetStream, store *events.Store, spec consume.Spec) (*consume.Router, context.CancelFunc) {
	t.Helper()
	r, err := consume.NewRouter(js, store, consume.Config{RetryWait: time.Millisecond}, []consume.Spec{spec}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-r.Running():
	case err := <-done:
		t.Fatalf("Run = %v before running", err)
	}
	return r, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}
}

// TestLocalEveryProcessSeesEveryEventInOrder: two processes holding the
// same read model in memory each get every event, in order, even under
// the same handler name (a shared durable consumer would split them); a
// failure is retried before anything later; an event that can never be
// applied is passed over; a restart resumes after what the model has,
// and the server keeps no consumer for it.
func TestLocalEveryProcessSeesEveryEventInOrder(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	ctx := context.Background()
	appendN(t, store, 0, 3)
	a := &localReader{fail: map[string]int{"e001": 3}}
	b := &localReader{}
	ra, stopA := runLocal(t, js, store, a)
	_, stopB := runLocal(t, js, store, b)
	appendN(t, store, 3, 4) // e003..e006; e006 is never applied
	want := "e000,e001,e002,e003,e004,e005"
	for name, l := range map[string]*localReader{"a": a, "b": b} {
		poll.Until(t, 10*time.Second, func() error {
			if got := l.list(); got != want {
				return fmt.Errorf("process %s applied %s, want %s", name, got, want)
			}
			return nil
		})
	}
	poll.Until(t, 10*time.Second, func() error {
		lag, err := ra.Lag(ctx, js, store.Config().Stream, "local_model")
		if err != nil || lag != 0 {
			return fmt.Errorf("lag %d, %v", lag, err)
		}
		return nil
	})
	stopB()
	appendN(t, store, 7, 1)
	_, stopB = runLocal(t, js, store, b)
	defer stopB()
	defer stopA()
	want += ",e007"
	poll.Until(t, 10*time.Second, func() error {
		if got := b.list(); got != want {
			return fmt.Errorf("restarted process applied %s, want %s", got, want)
		}
		return nil
	})
	if _, err := js.Consumer(ctx, store.Config().Stream, "local_model"); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Fatalf("durable consumer local_model: %v, want none", err)
	}
}

// batchReader is a read model applying batches as one transaction: a
// batch holding an event it can never apply applies nothing.
type batchReader struct {
	localReader
	sizes []int
}

func (b *batchReader) batch(ctx context.Context, es []events.Envelope) error {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(es))
	for _, e := range es {
		if e.ID == "e006" {
			b.mu.Unlock()
			return consume.Permanent(errors.New("never"))
		}
	}
	b.mu.Unlock()
	for _, e := range es {
		if err := b.handle(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// TestLocalBatchHandsWhatIsAtHand: with Batch, a follower behind the log
// hands the events it has at hand at once (no more than 256), in order;
// a batch that fails for good is handed over again event by event, so
// that only the event that can never be applied is passed over.
func TestLocalBatchHandsWhatIsAtHand(t *testing.T) {
	t.Parallel()
	js, store := natstest.Log(t)
	appendN(t, store, 0, 300)
	b := &batchReader{}
	spec := consume.Local{Name: "local_batches", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: b.handle,
		Batch: b.batch, From: b.from}
	_, stop := runSpec(t, js, store, spec)
	defer stop()
	var want []string
	for i := range 300 {
		if i != 6 {
			want = append(want, fmt.Sprintf("e%03d", i))
		}
	}
	poll.Until(t, 20*time.Second, func() error {
		if got := b.list(); got != strings.Join(want, ",") {
			return fmt.Errorf("applied %d events, want %d", len(strings.Split(got, ",")), len(want))
		}
		return nil
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	biggest := 0
	for _, n := range b.sizes {
		biggest = max(biggest, n)
	}
	if biggest < 2 || biggest > 256 {
		t.Fatalf("batch sizes %v: want some of more than one event, none of more than 256", b.sizes)
	}
	// A batch on a shared consumer does not compile: consume.Shared has
	// no Batch.
}
