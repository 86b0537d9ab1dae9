package escalations

import (
	"testing"

	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestCrashThenReplay: a runner dies in the middle of an event's
// transaction; a new runner over the same store replays from the real
// JetStream log; the rows equal a clean rebuild's. Both stores.
func TestCrashThenReplay(t *testing.T) {
	t.Parallel()
	fixture.CrashThenReplay(t, projectiontest.CrashPoint{Batch: 1, At: len(scenario(t)) / 2})
}
