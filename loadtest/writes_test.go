package loadtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/services/notification"
)

// envWrites asks TestWritesPerMessage for its number of clients.
const envWrites = "HELPLINE_LOAD_WRITES"

// TestWritesPerMessage counts what the log stores for one ordinary
// message, end to end, in the shipped composition (issue 17: with fsync on
// every write each stored message costs the disk one fsync): n clients
// text the line once each from new numbers (a first text: the client's
// registration, its data key, its index entry, a new conversation), then
// once more each (a returning client's text), and after each round, once
// every handler is done, the test prints how many messages each stream
// (the events, and each key-value bucket's) gained per text.
//
//	HELPLINE_LOAD_WRITES=500 go test -run TestWritesPerMessage -v ./loadtest/
func TestWritesPerMessage(t *testing.T) {
	n := loadCount(t, envWrites)
	ctx := context.Background()
	s := startStack(t, Options{})
	var sid atomic.Int64
	sid.Store(time.Now().UnixNano())
	round := func(name string) {
		t.Helper()
		before := natstest.Written(t, s.JS)
		start := time.Now()
		number := func(i int) string { return fmt.Sprintf("+4477007%05d", i) }
		if f := textAll(ctx, s, &sid, n, number, "just checking in about my appointment next week"); f > 0 {
			t.Fatalf("%s: %d of %d webhooks not answered 200", name, f, n)
		}
		answered := time.Since(start)
		settle(t, s.JS)
		done := time.Since(start)
		after := natstest.Written(t, s.JS)
		var b strings.Builder
		total := 0.0
		for _, st := range slices.Sorted(maps.Keys(after)) {
			d := after[st] - before[st]
			if d == 0 {
				continue
			}
			per := float64(d) / float64(n)
			total += per
			fmt.Fprintf(&b, "\n  %-40s %7d  %5.2f per text", st, d, per)
		}
		t.Logf("%s, %d texts from %d senders at once: answered in %s (%.0f texts/s), handled in %s (%.0f texts/s); messages stored%s\n  %-40s %7s  %5.2f per text",
			name, n, textersAtOnce, answered.Round(time.Millisecond), float64(n)/answered.Seconds(), done.Round(time.Millisecond), float64(n)/done.Seconds(),
			b.String(), "total", "", total)
	}
	round("first texts (new clients)")
	round("second texts (returning clients)")
}

// settle waits until the handlers of conversation events have nothing
// pending or unacknowledged and the log stopped growing between two looks.
func settle(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	var last map[string]uint64
	poll.Until(t, 2*time.Minute, func() error {
		for _, name := range []string{"triage", notification.PagerConsumer, notification.BridgeConsumer} {
			c, err := js.Consumer(context.Background(), events.DefaultStream, name)
			if err != nil {
				return err
			}
			info, err := c.Info(context.Background())
			if err != nil {
				return err
			}
			if info.NumPending > 0 || info.NumAckPending > 0 {
				return fmt.Errorf("%s: %d pending, %d unacknowledged", name, info.NumPending, info.NumAckPending)
			}
		}
		now := natstest.Written(t, js)
		defer func() { last = now }()
		if last == nil || !maps.Equal(now, last) {
			return fmt.Errorf("the log is still growing")
		}
		return nil
	})
}
