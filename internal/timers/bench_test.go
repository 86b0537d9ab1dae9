package timers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

// BenchmarkTimerTick measures one replica's check for due timers (Fire)
// while open timers wait, none due: its cost must not grow with their
// number. Compare open=100 with open=10000 in the same run.
func BenchmarkTimerTick(b *testing.B) {
	for _, open := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("open=%d", open), func(b *testing.B) {
			_, js := natstest.Connect(b, natstest.Server(b, "").ClientURL())
			ctx := context.Background()
			c := &clock{t: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)}
			s, err := Open(ctx, js, "t_bench", 1, c.now, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			for i := range open {
				t := Timer{Key: fmt.Sprintf("conv-%05d", i), Due: c.now().Add(time.Hour), Data: map[string]string{"conv": fmt.Sprint(i)}}
				if err := s.Set(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
			// Let the watch catch up with the writes, so that the ticks
			// are measured alone.
			last, _, _ := s.Get(ctx, fmt.Sprintf("conv-%05d", open-1))
			poll.Until(b, time.Minute, func() error {
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.watched < last.revision {
					return fmt.Errorf("watch at revision %d of %d", s.watched, last.revision)
				}
				return nil
			})
			fn := func(context.Context, Timer) error { return nil }
			b.ResetTimer()
			for b.Loop() {
				if n, err := s.Fire(ctx, fn); n != 0 || err != nil {
					b.Fatalf("fired %d (%v) with nothing due", n, err)
				}
			}
		})
	}
}
