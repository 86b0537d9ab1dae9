package auth

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"time"
)

// hashMemory is what one argon2id comparison allocates (the parameters
// of app.HashPassword: 64 MiB).
const hashMemory = 64 << 20

// defaultHashes is how many password hashes may run at once: half the
// process's memory limit (GOMEMLIMIT; set it to about 80% of the
// container's limit) in 64 MiB hashes, at least one and at most eight;
// one when no limit is set. Without a limit the garbage collector lets
// the heap grow to twice what is live, so two hashes at once (128 MiB
// live) could take a 256 MiB console pod past its limit; one keeps a
// console under about 200 MiB.
func defaultHashes() int {
	limit := debug.SetMemoryLimit(-1)
	if limit <= 0 || limit == math.MaxInt64 {
		return 1
	}
	return min(max(int(limit/2/hashMemory), 1), 8)
}

// hashGate bounds the password hashes running at once, so sign-in
// attempts cannot take more memory than the process has. A few attempts
// may wait for a turn (queue), each at most wait; any more are refused at
// once (503): a flood is answered quickly, not queued.
type hashGate struct {
	slots chan struct{}
	queue chan struct{}
	wait  time.Duration
}

func newHashGate(n, queue int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, n), queue: make(chan struct{}, queue), wait: wait}
}

// acquire takes a turn, or reports false at once when the queue is full,
// or after waiting wait (or when ctx ends); release gives the turn back.
func (g *hashGate) acquire(ctx context.Context) (release func(), ok bool) {
	select {
	case g.slots <- struct{}{}:
		return g.release, true
	default:
	}
	select {
	case g.queue <- struct{}{}:
		defer func() { <-g.queue }()
	default:
		return nil, false
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// release gives a turn back, after collecting the hash's 64 MiB: it is
// garbage the moment the comparison returns, and left to the collector's
// pace the heap would grow to twice a hash over what is live before it is
// reused (a 50-attempt flood then peaked at 237 MiB with one hash at a
// time; collected at once, 179 MiB). Sign-ins are rare; a collection each is
// cheap beside the hash.
func (g *hashGate) release() {
	runtime.GC()
	<-g.slots
}
