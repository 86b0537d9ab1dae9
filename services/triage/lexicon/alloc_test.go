//go:build !race

// The race detector makes sync.Pool drop items at random, so allocations
// are only counted without it.

package lexicon

import "testing"

func TestClassifyDoesNotAllocateWithoutMatches(t *testing.T) {
	c := defaultClassifier(t)
	c.Classify("warm up")
	if n := testing.AllocsPerRun(100, func() { c.Classify("can I change my appointment to thursday afternoon please") }); n != 0 {
		t.Errorf("%v allocations per message without matches, want 0", n)
	}
}
