// Package timers keeps durable timers in a JetStream key-value bucket, so
// a deadline set before a crash still fires after a restart, on whichever
// replica checks first. The clock is injected: tests move time, not sleep.
//
// Each Store watches its bucket into an in-memory schedule, earliest due
// first, so a check for due timers costs in proportion to what is due,
// not to how many timers are open: nothing is listed or read each tick.
// The watch's initial values rebuild the schedule at start (and whenever
// the watch has to start again), its updates keep it current, and a
// Store's own writes go into it at once.
//
// Firing is at-least-once: a timer is deleted only after its handler
// succeeds, so a crash mid-handler fires it again. Before firing, the
// timer is read back from the bucket, so one cancelled or moved on
// another replica a moment ago does not fire from a schedule that has not
// heard yet. Handlers must still be idempotent (append with a
// deterministic event id and an expected sequence): two replicas may fire
// the same timer at once, and then record one event.
//
// JetStream's own scheduled messages (nats-server 2.12+, the
// Nats-Schedule header) were not used: the server fires them on its own
// wall clock, which an injected clock cannot move.
package timers

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/kv"
	"github.com/helpline-org/helpline/internal/transient"
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
	bucket *kv.Bucket
	now    func() time.Time
	log    zerolog.Logger

	mu      sync.Mutex
	sched   *schedule
	watched uint64 // the last revision the watch brought

	stop func()
	done chan struct{}
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_=-][A-Za-z0-9_=.-]{0,200}$`)

// Open creates or opens the bucket and loads its timers into the
// schedule, which it keeps current until Close or until the NATS
// connection closes.
func Open(ctx context.Context, js jetstream.JetStream, bucket string, replicas int, now func() time.Time, log zerolog.Logger) (*Store, error) {
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: bucket, Description: "Helpline durable timers", History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("timers: %w", err)
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Store{bucket: b, now: now, log: log.With().Str("component", "timers").Str("bucket", bucket).Logger(),
		sched: newSchedule(), stop: stop, done: make(chan struct{})}
	loaded := make(chan struct{})
	go s.watch(wctx, loaded)
	select {
	case <-loaded:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("timers %s: the bucket's watch ended before it loaded", bucket)
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("timers %s: load: %w", bucket, ctx.Err())
	}
}

// Close stops keeping the schedule current. Calls after the first do
// nothing.
func (s *Store) Close() {
	s.stop()
	<-s.done
}

// Set creates or moves a timer.
func (s *Store) Set(ctx context.Context, t Timer) error {
	data, err := encode(t)
	if err != nil {
		return err
	}
	rev, err := s.bucket.Put(ctx, t.Key, data)
	if err != nil {
		return fmt.Errorf("set timer %s: %w", t.Key, err)
	}
	t.revision = rev
	s.mu.Lock()
	s.sched.put(t)
	s.mu.Unlock()
	return nil
}

// SetIfAbsent creates a timer only if none exists under its key, so the
// first cause sets the deadline and later ones do not push it back.
func (s *Store) SetIfAbsent(ctx context.Context, t Timer) (bool, error) {
	data, err := encode(t)
	if err != nil {
		return false, err
	}
	rev, err := s.bucket.Create(ctx, t.Key, data)
	if errors.Is(err, kv.ErrExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("set timer %s: %w", t.Key, err)
	}
	t.revision = rev
	s.mu.Lock()
	s.sched.put(t)
	s.mu.Unlock()
	return true, nil
}

func encode(t Timer) ([]byte, error) {
	if !keyPattern.MatchString(t.Key) {
		return nil, fmt.Errorf("timer key %q: letters, digits, '-', '_', '=', '.'", t.Key)
	}
	return json.Marshal(t)
}

// Cancel removes a timer; cancelling a missing timer is not an error. The
// schedule drops it when the watch brings the removal, or when it falls
// due and is not found.
func (s *Store) Cancel(ctx context.Context, key string) error {
	if err := s.bucket.Purge(ctx, key); err != nil {
		return fmt.Errorf("cancel timer %s: %w", key, err)
	}
	return nil
}

// Get reads a timer from the bucket, if set.
func (s *Store) Get(ctx context.Context, key string) (Timer, bool, error) {
	e, err := s.bucket.Get(ctx, key)
	if errors.Is(err, kv.ErrNotFound) {
		return Timer{}, false, nil
	}
	if err != nil {
		return Timer{}, false, err
	}
	t, err := decode(e)
	return t, err == nil, err
}

func decode(e jetstream.KeyValueEntry) (Timer, error) {
	var t Timer
	if err := json.Unmarshal(e.Value(), &t); err != nil {
		return Timer{}, fmt.Errorf("timer %s: %w", e.Key(), err)
	}
	t.Key, t.revision = e.Key(), e.Revision()
	return t, nil
}

// Scheduled reports whether the schedule holds a timer under key: what
// Fire will see once it is due. A Set returns once both the bucket and the
// schedule hold the timer, but another goroutine can read the bucket a
// moment before the schedule has it: a test that waits for a timer and
// then moves its clock and fires once waits on this.
func (s *Store) Scheduled(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sched.byKey[key]
	return ok
}

// Due returns the timers the schedule holds as due at the store's now,
// earliest first.
func (s *Store) Due() []Timer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.due(s.now())
}

// Fire runs fn for every due timer and deletes each whose fn succeeded,
// unless it was moved meanwhile. It returns how many fired.
func (s *Store) Fire(ctx context.Context, fn func(context.Context, Timer) error) (int, error) {
	fired := 0
	for _, t := range s.Due() {
		t, ok := s.current(ctx, t)
		if !ok {
			continue
		}
		if err := fn(ctx, t); err != nil {
			s.log.Error().Err(err).Str("timer", t.Key).Msg("timer handler failed; will retry")
			continue
		}
		fired++
		// Delete only the revision we fired: a timer re-set meanwhile
		// (a new deadline) stays.
		if err := s.bucket.Delete(ctx, t.Key, t.revision); err != nil {
			s.log.Debug().Err(err).Str("timer", t.Key).Msg("timer changed while firing; kept")
			continue
		}
		s.mu.Lock()
		s.sched.remove(t.Key, t.revision)
		s.mu.Unlock()
	}
	return fired, nil
}

// current reads a due timer back from the bucket and reports whether it
// is still set and due, updating the schedule with what it found.
func (s *Store) current(ctx context.Context, t Timer) (Timer, bool) {
	e, err := s.bucket.Get(ctx, t.Key)
	if errors.Is(err, kv.ErrNotFound) {
		s.mu.Lock()
		s.sched.remove(t.Key, t.revision)
		s.mu.Unlock()
		return Timer{}, false
	}
	if err != nil {
		s.log.Error().Err(err).Str("timer", t.Key).Msg("timer unreadable; will retry")
		return Timer{}, false
	}
	if e.Revision() != t.revision {
		cur, err := decode(e)
		if err != nil {
			s.log.Error().Err(err).Str("timer", t.Key).Msg("unreadable timer skipped")
			return Timer{}, false
		}
		t = cur
		s.mu.Lock()
		s.sched.put(t)
		s.mu.Unlock()
	}
	return t, !t.Due.After(s.now())
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

// rewatch is how the watch starts again after it stopped: at once, then
// more slowly, until the connection is closed for good.
var rewatch = transient.Policy{Wait: 100 * time.Millisecond, MaxWait: 5 * time.Second,
	Retry: func(err error) bool { return !errors.Is(err, nats.ErrConnectionClosed) }}

// errWatchStopped ends one watch that stopped before its context.
var errWatchStopped = errors.New("timers watch stopped")

// watch keeps the schedule current until ctx ends or the connection is
// closed; loaded is closed once the first watch has loaded the bucket.
func (s *Store) watch(ctx context.Context, loaded chan struct{}) {
	defer close(s.done)
	// stopped is set when a watch ended before ctx: it is said once the
	// next watch starts, so the end of a watch at shutdown (the
	// connection closes, the next watch cannot start) is no warning.
	stopped := false
	err := transient.Do(ctx, rewatch, func(context.Context) error {
		w, err := s.bucket.Watch(ctx, false)
		if err != nil {
			return err
		}
		if stopped {
			s.log.Warn().Msg("timers watch stopped; started it again")
			stopped = false
		}
		// The initial values rebuild the schedule: a timer removed while
		// the watch was down must not stay in it.
		fresh := newSchedule()
		for e := range w.Updates() {
			switch {
			case e == nil && fresh != nil:
				s.mu.Lock()
				s.sched, fresh = fresh, nil
				s.mu.Unlock()
				if loaded != nil {
					close(loaded)
					loaded = nil
				}
			case fresh != nil:
				s.mu.Lock()
				s.apply(fresh, e)
				s.mu.Unlock()
			case e != nil:
				s.mu.Lock()
				s.apply(s.sched, e)
				s.mu.Unlock()
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		stopped = true
		return errWatchStopped
	})
	switch {
	case err == nil || ctx.Err() != nil:
	case errors.Is(err, nats.ErrConnectionClosed):
		s.log.Info().Msg("timers watch ended with the NATS connection")
	default:
		s.log.Error().Err(err).Msg("timers watch ended: this replica no longer sees new timers")
	}
}

// apply records one change from the watch in sc.
func (s *Store) apply(sc *schedule, e jetstream.KeyValueEntry) {
	s.watched = max(s.watched, e.Revision())
	if e.Operation() != jetstream.KeyValuePut {
		sc.remove(e.Key(), e.Revision())
		return
	}
	t, err := decode(e)
	if err != nil {
		s.log.Error().Err(err).Str("timer", e.Key()).Msg("unreadable timer skipped")
		return
	}
	sc.put(t)
}

// schedule is a bucket's timers in memory: one per key, in a min-heap by
// due time. It is not safe for concurrent use.
type schedule struct {
	byKey map[string]*item
	heap  dueHeap
}

type item struct {
	t     Timer
	index int
}

func newSchedule() *schedule { return &schedule{byKey: map[string]*item{}} }

// put records t unless the schedule holds a later revision of its key.
func (sc *schedule) put(t Timer) {
	it, ok := sc.byKey[t.Key]
	switch {
	case !ok:
		it = &item{t: t}
		sc.byKey[t.Key] = it
		heap.Push(&sc.heap, it)
	case it.t.revision < t.revision:
		it.t = t
		heap.Fix(&sc.heap, it.index)
	}
}

// remove drops the key's timer if the schedule holds revision rev of it
// or an earlier one.
func (sc *schedule) remove(key string, rev uint64) {
	if it, ok := sc.byKey[key]; ok && it.t.revision <= rev {
		heap.Remove(&sc.heap, it.index)
		delete(sc.byKey, key)
	}
}

// due returns the timers due at now, earliest first, leaving them in the
// schedule: the cost is in proportion to how many are due.
func (sc *schedule) due(now time.Time) []Timer {
	var out []*item
	for len(sc.heap) > 0 && !sc.heap[0].t.Due.After(now) {
		out = append(out, heap.Pop(&sc.heap).(*item))
	}
	ts := make([]Timer, len(out))
	for i, it := range out {
		ts[i] = it.t
		heap.Push(&sc.heap, it)
	}
	return ts
}

// dueHeap is container/heap's interface over items, earliest due first.
type dueHeap []*item

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].t.Due.Before(h[j].t.Due) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	it := x.(*item)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
