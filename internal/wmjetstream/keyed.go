package wmjetstream

import (
	"context"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/nats-io/nats.go/jetstream"
)

// minRehand is the shortest wait before a nacked message of a keyed
// subscription is handed over again, so that a handler failing at once
// does not spin.
const minRehand = 10 * time.Millisecond

// keyed is what a keyed subscription (SubscriberConfig.Key) keeps: a slot
// per message it holds, and for each key the end of its chain, the last
// message of that key handed over or waiting. A message waits for the one
// before it of its key to be acked, so one key's messages are handled in
// the order the consumer delivered them, and different keys in parallel.
type keyed struct {
	slots chan struct{}
	wg    sync.WaitGroup // messages held

	mu    sync.Mutex
	tails map[string]chan struct{} // closed when that message is settled
}

func newKeyed(inFlight int) *keyed {
	return &keyed{slots: make(chan struct{}, inFlight), tails: map[string]chan struct{}{}}
}

// dispatch takes a slot (waiting while InFlight messages are held), puts
// jm at the end of its key's chain and hands it over in its turn.
func (sub *subscription) dispatch(ctx context.Context, jm jetstream.Msg) {
	k := sub.keyed
	select {
	case k.slots <- struct{}{}:
	case <-ctx.Done():
		sub.nakOnClose(jm, nil)
		return
	}
	key := sub.s.cfg.Key(jm.Subject())
	done := make(chan struct{})
	k.mu.Lock()
	prev := k.tails[key]
	k.tails[key] = done
	k.mu.Unlock()
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer func() { <-k.slots }()
		defer func() {
			k.mu.Lock()
			if k.tails[key] == done {
				delete(k.tails, key)
			}
			k.mu.Unlock()
			close(done)
		}()
		sub.inTurn(ctx, jm, prev)
	}()
}

// inTurn waits for the message before jm of its key (when prev is not
// nil), then hands jm over until it is acked: a nack waits the nack delay
// and hands it over again, keeping its place in the key's order.
func (sub *subscription) inTurn(ctx context.Context, jm jetstream.Msg, prev <-chan struct{}) {
	if prev != nil && !sub.holdUntil(ctx, jm, prev) {
		sub.nakOnClose(jm, nil)
		return
	}
	for sub.hand(ctx, jm, true) {
		var delay time.Duration
		if meta, err := jm.Metadata(); err == nil {
			delay = sub.s.cfg.nackDelayFor(meta.NumDelivered)
		}
		waited := make(chan struct{})
		t := time.AfterFunc(max(delay, minRehand), func() { close(waited) })
		ok := sub.holdUntil(ctx, jm, waited)
		t.Stop()
		if !ok {
			sub.nakOnClose(jm, nil)
			return
		}
	}
}

// holdUntil waits for ch, telling the server meanwhile that jm is in
// progress so that it is not redelivered elsewhere; false if ctx ends
// first.
func (sub *subscription) holdUntil(ctx context.Context, jm jetstream.Msg, ch <-chan struct{}) bool {
	wait := sub.s.cfg.AckWait
	if meta, err := jm.Metadata(); err == nil {
		wait = sub.s.cfg.ackWaitFor(meta.NumDelivered)
	}
	keepalive := time.NewTicker(max(wait/3, time.Millisecond))
	defer keepalive.Stop()
	for {
		select {
		case <-ch:
			return true
		case <-ctx.Done():
			return false
		case <-keepalive.C:
			if err := jm.InProgress(); err != nil {
				sub.logger.Debug("InProgress failed", watermill.LogFields{"err": err})
			}
		}
	}
}
