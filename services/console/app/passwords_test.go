package app_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// TestMain checks, before any test runs, that importing the package made
// no password hash: the dummy hash for unknown ids is made at the first
// sign-in that needs it, not at start (it used to cost every helpline
// command 64 MiB and a third of a second).
func TestMain(m *testing.M) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.TotalAlloc >= 32<<20 {
		fmt.Fprintf(os.Stderr, "%d MiB allocated before any test ran: a password hash was made at start\n", ms.TotalAlloc>>20)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
