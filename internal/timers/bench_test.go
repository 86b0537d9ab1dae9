package timers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

// BenchmarkTimerTick measures one replica's check for due timers (Fire)
// while open timers wait, none due, with 100 and with 10,000 of them: its
// cost must not grow with their number. The two are ticked in turn in one
// run, so machine noise hits both alike; it reports each one's cost per
// tick and their ratio.
//
//	go test -run '^$' -bench TimerTick -benchtime 20000x ./internal/timers/
func BenchmarkTimerTick(b *testing.B) {
	const ticks = 100 // per timing, so the clock's own cost does not count
	js := natstest.JetStream(b)
	few, many := openTimers(b, js, "t_bench_100", 100), openTimers(b, js, "t_bench_10000", 10_000)
	ctx := context.Background()
	fn := func(context.Context, Timer) error { return nil }
	tick := func(s *Store) time.Duration {
		start := time.Now()
		for range ticks {
			if n, err := s.Fire(ctx, fn); n != 0 || err != nil {
				b.Fatalf("fired %d (%v) with nothing due", n, err)
			}
		}
		return time.Since(start)
	}
	var fewNs, manyNs time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			fewNs += tick(few)
			manyNs += tick(many)
		} else {
			manyNs += tick(many)
			fewNs += tick(few)
		}
	}
	b.StopTimer()
	n := float64(b.N * ticks)
	b.ReportMetric(float64(fewNs)/n, "ns/tick@100")
	b.ReportMetric(float64(manyNs)/n, "ns/tick@10000")
	b.ReportMetric(float64(manyNs)/float64(fewNs), "10000/100")
}

// openTimers opens a bucket holding open timers, none due for an hour,
// and waits until its watch has brought them all.
func openTimers(b *testing.B, js jetstream.JetStream, bucket string, n int) *Store {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}
	s := open(b, js, bucket, c)
	b.Cleanup(s.Close)
	for i := range n {
		t := Timer{Key: fmt.Sprintf("conv-%05d", i), Due: c.now().Add(time.Hour), Data: map[string]string{"conv": fmt.Sprint(i)}}
		if err := s.Set(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
	// Let the watch catch up with the writes, so that ticks are measured
	// alone.
	last, _, _ := s.Get(ctx, fmt.Sprintf("conv-%05d", n-1))
	poll.Until(b, time.Minute, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.watched < last.revision {
			return fmt.Errorf("watch at revision %d of %d", s.watched, last.revision)
		}
		return nil
	})
	if d := len(s.sched.byKey); d != n { // the watch is idle now
		b.Fatalf("schedule holds %d timers, want %d", d, n)
	}
	return s
}
