package freeport

import (
	"net"
	"strconv"
	"testing"
)

// TestPortsAreFreeOutsideTheEphemeralRangeAndNeverTwice: every port can be
// bound, lies below the range outgoing connections take their source
// ports from, and is handed out once.
func TestPortsAreFreeOutsideTheEphemeralRangeAndNeverTwice(t *testing.T) {
	lo := ephemeralLow()
	seen := map[int]bool{}
	for range 200 {
		p, err := Port()
		if err != nil {
			t.Fatal(err)
		}
		if lo > lowest+1 && (p < lowest || p >= lo) {
			t.Fatalf("port %d outside [%d, %d)", p, lowest, lo)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		l.Close()
	}
}
