// Package memlimit owns the soft memory limit of `helpline run` (issue 17:
// resident memory under 150 MB at the highest sustained rate). Most of the
// embedded process's resident memory under load is not live data but
// garbage the collector has not reclaimed yet and pages it has not given
// back: with the runtime's default (GOGC=100) the heap grows to twice the
// live heap before a collection. A soft limit makes the collector run
// earlier as the process nears it, and return freed pages.
//
// A fixed limit near the live heap starves the process exactly when it is
// busiest: a backlog grows the live heap toward the limit and the
// collector runs almost continuously (the runtime caps it at half the
// CPU), so the backlog grows further. Measured so (loadtest/README.md,
// sixth session: GOMEMLIMIT=112MiB sustained 200 texts/s instead of 500).
// Keep therefore lets the limit take the collector's room over the live
// heap down from GOGC's 100% to MinHeadroom at the least, and no further:
// once the live heap needs more than the limit with that room, Keep
// raises the runtime's limit to what the live heap needs with GOGC's
// whole room (a backlog pays no more collections than without a limit),
// and lowers it back as the live heap shrinks, after every collection.
// So the process collects at most as often as with GOGC=MinHeadroom, and
// only while its live heap is small, never continuously.
package memlimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/rs/zerolog"
)

// MinHeadroom is the least room over the live heap, in percent of it, that
// the limit leaves the collector; GOGCHeadroom is the runtime's default's
// (GOGC=100), which it leaves once the live heap needs more.
const (
	MinHeadroom  = 50
	GOGCHeadroom = 100
)

// The runtime's figures Keep reads after each collection.
const (
	liveMetric     = "/gc/heap/live:bytes"
	totalMetric    = "/memory/classes/total:bytes"
	releasedMetric = "/memory/classes/heap/released:bytes"
	freeMetric     = "/memory/classes/heap/free:bytes"
	objectsMetric  = "/memory/classes/heap/objects:bytes"
)

// Floor is the least limit under which the runtime's heap goal leaves
// the collector headroom percent over a live heap of live bytes. The runtime
// (mgcpacer.go, memoryLimitHeapGoal) takes from the limit what it holds
// besides heap objects and free pages (nonHeap: goroutine stacks, its
// metadata, and the unused room of the heap's spans, which a fragmented
// heap has much of), then what it holds mapped (mapped: all but the
// released) beyond the limit, then 3% of what is left (at least 1 MiB).
func Floor(headroom, live, nonHeap, mapped uint64) int64 {
	if max(live, nonHeap, mapped) > 1<<60 {
		return math.MaxInt64 // nothing real; and no overflow below
	}
	want := live + live*headroom/100
	goal := want + max(want*3/97+1, 1<<20)
	floor := goal + nonHeap
	if floor < mapped {
		// Above the limit by mapped-floor, the runtime lowers its goal by
		// as much again: halfway between is where the two meet.
		floor += (mapped - floor + 1) / 2
	}
	return int64(floor)
}

// Effective is the limit to give the runtime: the configured limit while
// it leaves the collector MinHeadroom over the live heap, else the limit
// that leaves it GOGCHeadroom.
func Effective(limit int64, live, nonHeap, mapped uint64) int64 {
	if Floor(MinHeadroom, live, nonHeap, mapped) <= limit {
		return limit
	}
	return max(limit, Floor(GOGCHeadroom, live, nonHeap, mapped))
}

// Keep sets the runtime's soft memory limit to limit bytes and, after
// every collection until ctx ends, to Effective of the runtime's figures
// then. It logs when the live heap needs an eighth
// more than the limit and when it fits again. It returns when ctx ends,
// leaving the limit as it was at start.
func Keep(ctx context.Context, limit int64, log zerolog.Logger) {
	before := debug.SetMemoryLimit(limit)
	defer debug.SetMemoryLimit(before)
	collected := afterCollections(ctx)
	samples := []metrics.Sample{{Name: liveMetric}, {Name: totalMetric}, {Name: releasedMetric},
		{Name: freeMetric}, {Name: objectsMetric}}
	set, above := limit, false
	for {
		select {
		case <-ctx.Done():
			return
		case <-collected:
		}
		metrics.Read(samples)
		v := make([]uint64, len(samples))
		ok := true
		for i, s := range samples {
			if s.Value.Kind() != metrics.KindUint64 {
				ok = false
				break
			}
			v[i] = s.Value.Uint64()
		}
		if !ok {
			continue
		}
		live, mapped := v[0], v[1]-min(v[1], v[2])
		nonHeap := mapped - min(mapped, v[3]+v[4])
		next := Effective(limit, live, nonHeap, mapped)
		if next != set {
			debug.SetMemoryLimit(next)
			set = next
		}
		// Logged with some hysteresis: a live heap near the limit's floor
		// moves it a little at every collection. At info, not warn: with
		// the default limit a freshly started helpline run (its live heap
		// about 76 MiB with the lexicon and its model loaded) is raised at
		// once, and a warning at every start teaches operators to ignore
		// warnings.
		switch {
		case next > limit+limit/8 && !above:
			log.Info().Uint64("live_heap_mib", live>>20).Int64("limit_mib", limit>>20).Int64("raised_to_mib", next>>20).
				Msg("live heap needs more than the soft memory limit: raised while it does")
			above = true
		case next == limit && above:
			log.Info().Uint64("live_heap_mib", live>>20).Int64("limit_mib", limit>>20).Msg("live heap fits the soft memory limit again")
			above = false
		}
	}
}

// afterCollections returns a channel that receives (without blocking the
// runtime: one pending signal at most) after each garbage collection
// until ctx ends: a sentinel object's cleanup runs once a collection found
// it unreachable, and arms the next one.
func afterCollections(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	var arm func()
	arm = func() {
		s := new(sentinel)
		runtime.AddCleanup(s, func(struct{}) {
			if ctx.Err() != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
			arm()
		}, struct{}{})
	}
	arm()
	return ch
}

// sentinel holds a pointer so that the allocator gives it an object of
// its own (the tiny allocator packs small pointer-free ones together,
// and such an object's cleanup may never run).
type sentinel struct{ _ *int }

// Parse reads a limit the way GOMEMLIMIT is written: a number of bytes
// with an optional unit (B, KiB, MiB, GiB, TiB), or "off" (0: no limit).
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return 0, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, shift = n, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, errors.New(`want a size such as 120MiB, or "off"`)
	}
	return n << shift, nil
}

// Format writes a limit as Parse reads it.
func Format(limit int64) string {
	switch {
	case limit <= 0:
		return "off"
	case limit%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", limit>>30)
	case limit%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", limit>>20)
	default:
		return fmt.Sprintf("%dB", limit)
	}
}
