// Package memlimit owns the soft memory limit a long-running helpline
// process gives the Go runtime (issue 17: resident memory of `helpline
// run` under 150 MB). Most of the resident memory of the embedded process
// under load is not live data but garbage the collector has not yet
// reclaimed: with the runtime's default (GOGC=100) the heap grows to twice
// the live heap before a collection, and the runtime keeps what it grew
// to. A soft limit makes the collector run earlier instead, as the process
// nears it, and return freed pages to the system.
//
// A limit below the live heap would make the collector run almost
// continuously (the runtime caps that at half the CPU): Keep watches the
// live heap and lifts the limit while the live heap is above three
// quarters of it, so the process then behaves as without a limit
// (GOGC governs) rather than spending its CPU on collections.
package memlimit

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/rs/zerolog"
)

// DefaultLimit is the soft limit `helpline run` sets when GOMEMLIMIT does
// not set one. The limit counts the memory the Go runtime maps (heap,
// stacks, its metadata), not the binary's pages the process has read
// (about 31 MiB of resident memory under load): 112 MiB keeps the resident
// memory under issue 17's 150 MB while the live heap stays below 84 MiB.
const DefaultLimit = 112 << 20

// liveMetric is the runtime's live heap as of the last collection.
const liveMetric = "/gc/heap/live:bytes"

// Keep sets the runtime's soft memory limit to limit bytes and, every
// interval until ctx ends, lifts it (no limit) while the live heap is above
// three quarters of it, and sets it again once the live heap is below
// half of it. It returns when ctx ends, leaving the limit as it was at
// start.
func Keep(ctx context.Context, limit int64, interval time.Duration, log zerolog.Logger) {
	before := debug.SetMemoryLimit(limit)
	defer debug.SetMemoryLimit(before)
	sample := []metrics.Sample{{Name: liveMetric}}
	t := time.NewTicker(interval)
	defer t.Stop()
	lifted := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			continue
		}
		live := int64(sample[0].Value.Uint64())
		next := decide(live, limit, lifted)
		switch {
		case next && !lifted:
			debug.SetMemoryLimit(math.MaxInt64)
			log.Warn().Int64("live_heap_mib", live>>20).Int64("limit_mib", limit>>20).
				Msg("live heap near the soft memory limit: limit lifted (set GOMEMLIMIT higher)")
		case !next && lifted:
			debug.SetMemoryLimit(limit)
			log.Info().Int64("live_heap_mib", live>>20).Int64("limit_mib", limit>>20).Msg("soft memory limit set again")
		}
		lifted = next
	}
}

// decide says whether the limit should be lifted, given the live heap and
// whether it is lifted now: lift above three quarters of the limit, set
// it again below half (the gap keeps it from flapping).
func decide(live, limit int64, lifted bool) bool {
	if lifted {
		return live >= limit/2
	}
	return live > limit/4*3
}
