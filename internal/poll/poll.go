// Package poll waits in tests for a condition to hold, instead of sleeping
// for a guessed time.
package poll

import (
	"testing"
	"time"
)

// Until calls fn every step until it returns nil or wait has passed, and
// fails the test with fn's last error then.
func Until(t testing.TB, wait time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(wait)
	step := 5 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", wait, err)
		}
		time.Sleep(step)
		step = min(2*step, 100*time.Millisecond)
	}
}
