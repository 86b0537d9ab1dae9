package testbed

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
)

// Drained is how a durable consumer took a backlog handed to it: when its
// handlers started, how long until the backlog was acknowledged, and how
// many events the consumer acknowledged meanwhile.
type Drained struct {
	Start time.Time
	Took  time.Duration
	Acked uint64
}

// DrainBacklog times the durable consumer's taking of a backlog of n
// events: it notes the consumer's position, starts the benchmark's timer
// and the handlers (run returns their stop), waits until every event of
// the backlog was delivered and nothing is pending or unacknowledged (at
// most ten minutes), stops the timer and then the handlers.
func DrainBacklog(b *testing.B, js jetstream.JetStream, consumer string, n int, run func() (stop func())) Drained {
	b.Helper()
	ctx := context.Background()
	cons, err := js.Consumer(ctx, events.DefaultStream, consumer)
	if err != nil {
		b.Fatal(err)
	}
	before, err := cons.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}

	b.StartTimer()
	start := time.Now()
	stop := run()
	var info *jetstream.ConsumerInfo
	for {
		if info, err = cons.Info(ctx); err != nil {
			b.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > before.Delivered.Stream+uint64(n) {
			break
		}
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("not drained after 10 minutes: %d pending", info.NumPending+uint64(info.NumAckPending))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	stop()
	return Drained{Start: start, Took: took, Acked: info.AckFloor.Stream - before.AckFloor.Stream}
}
