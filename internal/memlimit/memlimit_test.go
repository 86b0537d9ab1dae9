package memlimit

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/poll"
)

func TestEffective(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name                  string
		limit                 int64
		live, nonHeap, mapped uint64
		want                  int64
	}{
		{"a small live heap keeps the limit", 120 * mib, 40 * mib, 10 * mib, 100 * mib, 120 * mib},
		{"the limit while it leaves half the live heap", 120 * mib, 70 * mib, 10 * mib, 110 * mib, 120 * mib},
		{"past that, GOGC's room: twice the live heap, the runtime's 3%, the rest", 120 * mib, 100 * mib, 10 * mib, 150 * mib,
			200*mib + 200*mib*3/97 + 1 + 10*mib},
		{"mapped beyond the floor: halfway", 120 * mib, 100 * mib, 10 * mib, 300 * mib,
			200*mib + 200*mib*3/97 + 1 + 10*mib + (300*mib-(200*mib+200*mib*3/97+1+10*mib)+1)/2},
		{"a small live heap's 1 MiB", 1 * mib, 4 * mib, 1 * mib, 2 * mib, 10 * mib},
		{"never past the largest limit", 120 * mib, math.MaxUint64 / 4, 0, 0, math.MaxInt64},
	} {
		if got := Effective(c.limit, c.live, c.nonHeap, c.mapped); got != c.want {
			t.Errorf("%s: Effective(%d MiB, live %d MiB, non-heap %d MiB, mapped %d MiB) = %d, want %d",
				c.name, c.limit/mib, c.live/mib, c.nonHeap/mib, c.mapped/mib, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"120MiB", 120 << 20}, {"1GiB", 1 << 30}, {"512KiB", 512 << 10}, {"1000000", 1000000}, {"64B", 64}, {"off", 0}, {" 96MiB ", 96 << 20},
	} {
		got, err := Parse(c.in)
		if err != nil || got != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
		if c.want > 0 {
			if back, err := Parse(Format(got)); err != nil || back != got {
				t.Errorf("Parse(Format(%d)) = %d, %v", got, back, err)
			}
		}
	}
	for _, bad := range []string{"", "0", "-1MiB", "12MB", "lots", "1.5GiB", "99999999999TiB"} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", bad, got)
		}
	}
	if Format(0) != "off" {
		t.Errorf("Format(0) = %q", Format(0))
	}
}

// TestKeepRaisesTheLimitOverALiveHeapAndLowersItAfter holds a live heap
// well above a small limit, part of it fragmented (one small object of
// eight kept: the heap's spans hold much unused room, which the runtime
// counts against the limit): after a collection the runtime's own heap
// goal is twice the live heap, as GOGC=100 sets it, so the collector runs
// no more often than without a limit; once the heap is let go the limit
// comes back to the configured one. When Keep returns, the limit is what
// it was.
func TestKeepRaisesTheLimitOverALiveHeapAndLowersItAfter(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	const limit = 16 << 20
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Keep(ctx, limit, zerolog.Nop()); close(done) }()

	held := make([][]byte, 64)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	var small []*[48]byte
	for i := range 32 << 20 / 48 {
		p := new([48]byte)
		if i%8 == 0 {
			small = append(small, p)
		}
	}
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	poll.Until(t, 30*time.Second, func() error {
		runtime.GC()
		metrics.Read(samples)
		live, goal := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		if goal < 2*live-live/32 {
			return fmt.Errorf("heap goal %d MiB over a live heap of %d MiB (limit %d MiB), want about twice the live heap",
				goal>>20, live>>20, debug.SetMemoryLimit(-1)>>20)
		}
		return nil
	})
	runtime.KeepAlive(held)
	runtime.KeepAlive(small)
	held, small = nil, nil
	poll.Until(t, 30*time.Second, func() error {
		runtime.GC()
		if got := debug.SetMemoryLimit(-1); got != limit {
			return fmt.Errorf("limit %d MiB once the heap is let go, want 16", got>>20)
		}
		return nil
	})

	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after Keep returned = %d, want %d as before", got, before)
	}
}
