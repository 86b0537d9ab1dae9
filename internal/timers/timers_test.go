package timers

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

	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// open opens bucket's timers on js, on c's clock, or fails the test.
func open(t testing.TB, js jetstream.JetStream, bucket string, c *clock) *Store {
	t.Helper()
	s, err := Open(context.Background(), js, bucket, 1, c.now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fresh starts a server of the test's own and opens bucket's timers there
// on a clock at start; it returns the server's JetStream (for more
// replicas of the bucket), the clock and the store.
func fresh(t testing.TB, bucket string, start time.Time) (jetstream.JetStream, *clock, *Store) {
	t.Helper()
	js := natstest.JetStream(t)
	c := &clock{t: start}
	return js, c, open(t, js, bucket, c)
}

func TestTimersFireOnceWhenDueAndSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := natstest.Server(t, dir)
	nc, js := natstest.Connect(t, srv.ClientURL())
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}
	s := open(t, js, "t_test", c)
	if err := s.Set(ctx, Timer{Key: "a", Due: c.now().Add(10 * time.Minute), Data: map[string]string{"conv": "c1"}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SetIfAbsent(ctx, Timer{Key: "a", Due: c.now().Add(time.Hour)}); ok || err != nil {
		t.Fatalf("SetIfAbsent over an existing timer: %v %v", ok, err)
	}
	if err := s.Set(ctx, Timer{Key: "b", Due: c.now().Add(20 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, Timer{Key: "bad key!"}); err == nil {
		t.Fatal("accepted a bad key")
	}

	// Restart the server on the same directory: the timers are still set.
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	srv = natstest.Server(t, dir)
	_, js = natstest.Connect(t, srv.ClientURL())
	s = open(t, js, "t_test", c)

	var fired []string
	fn := func(_ context.Context, tm Timer) error { fired = append(fired, tm.Key+":"+tm.Data["conv"]); return nil }
	if n, _ := s.Fire(ctx, fn); n != 0 {
		t.Fatalf("fired %d before due", n)
	}
	c.add(10 * time.Minute)
	if n, _ := s.Fire(ctx, fn); n != 1 || fired[0] != "a:c1" {
		t.Fatalf("at due: fired %v", fired)
	}
	if n, _ := s.Fire(ctx, fn); n != 0 {
		t.Fatal("a fired timer fired again")
	}
	if err := s.Cancel(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	if n, _ := s.Fire(ctx, fn); n != 0 {
		t.Fatal("a cancelled timer fired")
	}
}

func TestFailedHandlerRetries(t *testing.T) {
	t.Parallel()
	_, c, s := fresh(t, "t_retry", time.Now())
	ctx := context.Background()
	_ = s.Set(ctx, Timer{Key: "x", Due: c.now()})
	fail := true
	calls := 0
	fn := func(context.Context, Timer) error {
		calls++
		if fail {
			return errors.New("log unavailable")
		}
		return nil
	}
	if n, _ := s.Fire(ctx, fn); n != 0 {
		t.Fatal("counted a failed firing")
	}
	fail = false
	if n, _ := s.Fire(ctx, fn); n != 1 || calls != 2 {
		t.Fatalf("retry: fired %d, calls %d", n, calls)
	}
}

// TestReplicasShareTheBucket: a timer set on one replica fires on another
// (its watch brings it), once; one cancelled on another replica does not
// fire, even from a schedule that may not have heard of the cancel yet.
func TestReplicasShareTheBucket(t *testing.T) {
	t.Parallel()
	js, c, a := fresh(t, "t_replicas", time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	ctx := context.Background()
	defer a.Close()
	b := open(t, js, "t_replicas", c)
	defer b.Close()
	if err := a.Set(ctx, Timer{Key: "x", Due: c.now().Add(time.Minute), Data: map[string]string{"conv": "c1"}}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	var fired []string
	fn := func(_ context.Context, tm Timer) error { fired = append(fired, tm.Key+":"+tm.Data["conv"]); return nil }
	poll.Until(t, 10*time.Second, func() error {
		if _, err := b.Fire(ctx, fn); err != nil || len(fired) == 0 {
			return fmt.Errorf("b fired %v (%v)", fired, err)
		}
		return nil
	})
	if n, _ := a.Fire(ctx, fn); n != 0 || len(fired) != 1 || fired[0] != "x:c1" {
		t.Fatalf("fired %v: want x once, on b", fired)
	}
	if err := a.Set(ctx, Timer{Key: "y", Due: c.now()}); err != nil {
		t.Fatal(err)
	}
	if err := b.Cancel(ctx, "y"); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Fire(ctx, fn); n != 0 {
		t.Fatalf("a timer cancelled on another replica fired: %v", fired)
	}
	if d := a.Due(); len(d) != 0 {
		t.Fatalf("a cancelled timer stayed in the schedule: %v", d)
	}
}

// TestScheduledOnceSetUntilFired: a timer is in the schedule as soon as
// Set returns, and leaves it once fired; a key never set is not.
func TestScheduledOnceSetUntilFired(t *testing.T) {
	t.Parallel()
	_, c, s := fresh(t, "t_scheduled", time.Now())
	ctx := context.Background()
	if s.Scheduled("x") {
		t.Fatal("a timer never set is scheduled")
	}
	if err := s.Set(ctx, Timer{Key: "x", Due: c.now()}); err != nil {
		t.Fatal(err)
	}
	if !s.Scheduled("x") {
		t.Fatal("a timer just set is not in the schedule")
	}
	if n, _ := s.Fire(ctx, func(context.Context, Timer) error { return nil }); n != 1 {
		t.Fatalf("fired %d, want 1", n)
	}
	if s.Scheduled("x") {
		t.Fatal("a fired timer is still scheduled")
	}
}

// syncBuffer is a log sink safe for the watch goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *syncBuffer) String() string { w.mu.Lock(); defer w.mu.Unlock(); return string(w.b) }

// TestWatchEndsQuietlyWithTheConnection: when the process shuts down
// (its NATS connection closes) the watch ends with an info line, not a
// warning that it stopped and is starting again (every `helpline run`
// logged two at each stop).
func TestWatchEndsQuietlyWithTheConnection(t *testing.T) {
	t.Parallel()
	srv := natstest.Server(t, t.TempDir())
	nc, js := natstest.Connect(t, srv.ClientURL())
	var logs syncBuffer
	s, err := Open(context.Background(), js, "t_quiet", 1, time.Now, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the watch did not end with the connection")
	}
	out := logs.String()
	if strings.Contains(out, `"level":"warn"`) || strings.Contains(out, `"level":"error"`) {
		t.Fatalf("the watch's end at shutdown was logged as a fault:\n%s", out)
	}
	if !strings.Contains(out, "timers watch ended with the NATS connection") {
		t.Fatalf("no line says the watch ended with the connection:\n%s", out)
	}
}
