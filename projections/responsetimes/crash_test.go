package responsetimes_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/projectiontest"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// TestCrashThenReplay: a runner applies part of the log and dies in the
// middle of a transaction, of one event or of a batch; a new runner over
// the same store replays from the log (in batches); the figures equal a
// clean pass. Both stores, a real JetStream log.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	n := len(responsetimes.Scenario(t))
	responsetimes.Fixture.CrashThenReplay(t, projectiontest.CrashPoint{Batch: 1, At: n / 2}, projectiontest.CrashPoint{Batch: 4, At: 3})
}

// TestFollowLive: the runner's consume.Spec on a real router keeps the
// projection up to date as events are appended.
func TestFollowLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, store := natstest.Log(t)
	rt := responsetimes.NewView(responsetimes.NewMemoryStore(), responsetimes.ScenarioTargets)
	r := projections.NewRunner(store, rt, zerolog.Nop())
	follow(t, store, r)
	envs := responsetimes.Scenario(t)
	for _, e := range envs {
		if _, err := store.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	last, err := store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitPosition(t, r, last)
	responsetimes.AssertReport(t, rt, responsetimes.ScenarioReport())
}

// TestFollowLiveInOrderThroughFailures: live, the runner applies each
// event its consumer hands it, without reading the log again, and the
// consumer hands them in stream order even when one fails for longer than
// the in-process retries (nacked, redelivered): no later event is applied
// before it, so the checkpoint never passes it and nothing is lost.
func TestFollowLiveInOrderThroughFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, store := natstest.Log(t)
	flaky := &flakyStore{Store: responsetimes.NewMemoryStore()}
	rt := responsetimes.NewView(flaky, responsetimes.ScenarioTargets)
	log := &countingLog{Log: store}
	r := projections.NewRunner(log, rt, zerolog.Nop())
	if _, err := r.Replay(ctx); err != nil { // caught up on the empty log
		t.Fatal(err)
	}
	var seqs, read []uint64 // every event; those the projection reads
	for _, e := range responsetimes.Scenario(t) {
		a, err := store.Append(ctx, events.ExpectAny, e)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, a[0].Seq)
		if responsetimes.Relevant[e.Type] {
			read = append(read, a[0].Seq)
		}
	}
	// The third event (a first reply) fails six times: four tries in
	// process, a nack, and two more after its redelivery.
	flaky.arm(seqs[2], 6)
	follow(t, store, r)
	waitPosition(t, r, seqs[len(seqs)-1])

	responsetimes.AssertReport(t, rt, responsetimes.ScenarioReport())
	committed, fails := flaky.result()
	if fails != 0 || !slices.Equal(committed, read) {
		t.Fatalf("updates committed for %v (%d failures left), want each event read once, in stream order: %v", committed, fails, read)
	}
	if n := log.reads.Load(); n != 1 {
		t.Fatalf("the log was read %d times, want once (the catch-up): live events are applied as handed over", n)
	}
}

// follow runs r's live handler on a router over store until the test ends.
func follow(t *testing.T, store *events.Store, r *projections.Runner) {
	t.Helper()
	router, err := consume.NewRouter(store.JetStream(), store, consume.Config{NackDelay: 20 * time.Millisecond, RetryWait: time.Millisecond},
		[]consume.Spec{r.Spec()}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	testbed.RunRouter(t, router)
}

func waitPosition(t *testing.T, r *projections.Runner, last uint64) {
	t.Helper()
	poll.Until(t, 15*time.Second, func() error {
		if p := r.Position(); p < last {
			return fmt.Errorf("position %d, want %d", p, last)
		}
		return nil
	})
}

// flakyStore fails the updates of one event a number of times, and
// records the last sequence of each update that committed.
type flakyStore struct {
	responsetimes.Store
	mu        sync.Mutex
	failSeq   uint64
	fails     int
	committed []uint64
}

func (s *flakyStore) arm(seq uint64, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failSeq, s.fails = seq, times
}

func (s *flakyStore) result() ([]uint64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.committed), s.fails
}

func (s *flakyStore) UpdateBatch(ctx context.Context, name string, seq uint64, fn func(responsetimes.Tx, uint64) error) (bool, error) {
	s.mu.Lock()
	if seq == s.failSeq && s.fails > 0 {
		s.fails--
		s.mu.Unlock()
		return false, errors.New("database briefly unavailable")
	}
	s.mu.Unlock()
	ok, err := s.Store.UpdateBatch(ctx, name, seq, fn)
	if ok {
		s.mu.Lock()
		s.committed = append(s.committed, seq)
		s.mu.Unlock()
	}
	return ok, err
}

// countingLog counts the runner's reads of the log.
type countingLog struct {
	projections.Log
	reads atomic.Int64
}

func (l *countingLog) Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error) {
	l.reads.Add(1)
	return l.Log.Read(ctx, subject, from, fn)
}
