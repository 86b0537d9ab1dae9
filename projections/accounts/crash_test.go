package accounts

import (
	"testing"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestCrashThenReplay: a runner dies in the middle of an event's
// transaction; a new runner over the same store replays from the real
// JetStream log; the accounts equal a clean rebuild's. Both stores.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	n := len(scenario(t))
	fixture.CrashThenReplay(t, projectiontest.CrashPoint{Batch: 1, At: n / 2}, projectiontest.CrashPoint{Batch: 4, At: 2})
}
