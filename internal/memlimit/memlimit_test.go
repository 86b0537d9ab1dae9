package memlimit

import (
	"context"
	"fmt"
	"runtime/debug"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/poll"
)

func TestDecide(t *testing.T) {
	const limit = 100
	for _, c := range []struct {
		live   int64
		lifted bool
		want   bool
	}{
		{live: 10, lifted: false, want: false},
		{live: 75, lifted: false, want: false},
		{live: 76, lifted: false, want: true},
		{live: 200, lifted: false, want: true},
		{live: 76, lifted: true, want: true},
		{live: 50, lifted: true, want: true},
		{live: 49, lifted: true, want: false},
	} {
		if got := decide(c.live, limit, c.lifted); got != c.want {
			t.Errorf("decide(live %d, limit %d, lifted %v) = %v, want %v", c.live, limit, c.lifted, got, c.want)
		}
	}
}

func TestKeepSetsTheLimitAndRestoresIt(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Keep(ctx, 1<<40, time.Millisecond, zerolog.Nop()); close(done) }()
	poll.Until(t, 10*time.Second, func() error {
		if got := debug.SetMemoryLimit(-1); got != 1<<40 {
			return fmt.Errorf("limit %d, want %d", got, int64(1<<40))
		}
		return nil
	})
	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after Keep returned %d, want %d", got, before)
	}
}
