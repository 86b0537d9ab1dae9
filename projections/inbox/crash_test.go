package inbox

import (
	"context"
	"testing"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// crashingStore is a Store whose transactions die half-way when c says.
type crashingStore struct {
	Store
	c *projectiontest.Crasher
}

func (s crashingStore) UpdateBatch(ctx context.Context, name string, seq uint64, fn func(Tx, uint64) error) (bool, error) {
	return projectiontest.CrashingUpdate(ctx, s.c, s.Store.UpdateBatch, name, seq, fn)
}

// TestCrashThenReplay: a runner dies in the middle of an event's
// transaction; a new runner over the same store replays from the real
// JetStream log (conversation and client subjects interleaved); the rows
// equal a clean rebuild's. Both stores, and at several crash points.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	n := len(scenario(t))
	fixture.CrashThenReplay(t, func(s Store, c *projectiontest.Crasher) Store { return crashingStore{s, c} },
		projectiontest.CrashPoint{Batch: 1, At: 2}, projectiontest.CrashPoint{Batch: 1, At: n / 2}, projectiontest.CrashPoint{Batch: 1, At: n - 3})
}
