package wmjetstream

import (
	"context"
	"slices"
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
// per message it holds (LookAhead), and for each key the end of its chain,
// the last message of that key handed over or waiting. A message waits for
// the one before it of its key to be acked, so one key's messages are
// handled in the order the consumer delivered them, and different keys in
// parallel, InFlight at a time: a message whose turn came waits for a free
// turn. With SubscriberConfig.Urgent, turns go first to keys holding an
// urgent message, and such a key keeps its turn from one message to the
// next until the urgent one is handled; while any key holds one, the
// other keys' messages hold at most a quarter of the turns, so that the
// urgent ones do not queue behind them at the server either.
type keyed struct {
	slots chan struct{}
	wg    sync.WaitGroup // messages held

	mu      sync.Mutex
	tails   map[string]chan struct{} // closed when that message is settled
	urgent  map[string]int           // urgent messages held, by key
	kept    map[string]int           // turns kept for a key's next message
	free    int                      // turns free: InFlight less those held or kept
	others  int                      // turns held by messages of keys without an urgent one
	share   int                      // the most of those while a key holds an urgent one
	waiting []*turn                  // messages waiting for a turn, in order
}

// turn is one message waiting for its turn to be handed over.
type turn struct {
	key     string
	ready   chan struct{} // closed when granted
	granted bool
	other   bool // granted as one of others
}

func newKeyed(lookAhead, inFlight int) *keyed {
	return &keyed{slots: make(chan struct{}, lookAhead), tails: map[string]chan struct{}{}, urgent: map[string]int{},
		kept: map[string]int{}, free: inFlight, share: max(1, inFlight/4)}
}

// dispatch takes a slot (waiting while LookAhead messages are held), puts
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
		urgent := sub.s.cfg.Urgent != nil && sub.s.cfg.Urgent(ctx, jm.Subject(), jm.Data())
		if urgent {
			k.mark(key, 1)
			defer k.mark(key, -1)
		}
		sub.inTurn(ctx, jm, key, urgent, prev)
	}()
}

// mark counts an urgent message of key in (1) or out (-1).
func (k *keyed) mark(key string, n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.urgent[key] += n; k.urgent[key] <= 0 {
		delete(k.urgent, key)
	}
	k.grant()
}

// inTurn waits for the message before jm of its key (when prev is not
// nil), then hands jm over, in a turn of its own, until it is acked: a
// nack gives the turn back, waits the nack delay and hands it over again
// in a new turn, keeping its place in the key's order. urgent says
// whether jm is itself urgent.
func (sub *subscription) inTurn(ctx context.Context, jm jetstream.Msg, key string, urgent bool, prev <-chan struct{}) {
	if prev != nil && !sub.holdUntil(ctx, jm, prev) {
		sub.nakOnClose(jm, nil)
		return
	}
	k := sub.keyed
	for {
		other, ok := sub.take(ctx, jm, key)
		if !ok {
			sub.nakOnClose(jm, nil)
			return
		}
		if !sub.hand(ctx, jm, true) {
			k.pass(key, urgent, other)
			return
		}
		k.give(other)
		var delay time.Duration
		if meta, err := jm.Metadata(); err == nil {
			delay = sub.s.cfg.nackDelayFor(meta.NumDelivered)
		}
		waited := make(chan struct{})
		t := time.AfterFunc(max(delay, minRehand), func() { close(waited) })
		ok = sub.holdUntil(ctx, jm, waited)
		t.Stop()
		if !ok {
			sub.nakOnClose(jm, nil)
			return
		}
	}
}

// take waits for a turn for jm, of key, telling the server meanwhile that
// jm is in progress; ok is false if ctx ends first. other says the turn
// counts among others (give it back with that).
func (sub *subscription) take(ctx context.Context, jm jetstream.Msg, key string) (other, ok bool) {
	k := sub.keyed
	k.mu.Lock()
	if k.kept[key] > 0 {
		if k.kept[key]--; k.kept[key] == 0 {
			delete(k.kept, key)
		}
		k.mu.Unlock()
		return false, true
	}
	t := &turn{key: key, ready: make(chan struct{})}
	k.waiting = append(k.waiting, t)
	k.grant()
	k.mu.Unlock()
	if sub.holdUntil(ctx, jm, t.ready) {
		return t.other, true
	}
	k.mu.Lock()
	granted := t.granted
	if !granted {
		k.waiting = slices.DeleteFunc(k.waiting, func(w *turn) bool { return w == t })
	}
	k.mu.Unlock()
	if granted {
		k.give(t.other)
	}
	return false, false
}

// pass is give for a message of key that was handled (acked): while key
// still holds an urgent message after it (urgent: it was one itself), the
// turn is kept for key's next message, which asks for it once this one is
// settled, instead of going to another key.
func (k *keyed) pass(key string, urgent, other bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := k.urgent[key]
	if urgent {
		n--
	}
	if n <= 0 {
		k.release(other)
		return
	}
	if other {
		k.others--
	}
	k.kept[key]++
}

// give hands a turn back (other: it counted among others).
func (k *keyed) give(other bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.release(other)
}

// release frees a turn and grants what it can. Called with mu held.
func (k *keyed) release(other bool) {
	if other {
		k.others--
	}
	k.free++
	k.grant()
}

// grant hands the free turns to waiting messages: first to those of keys
// holding an urgent message, then in order, while others may hold more.
// Called with mu held.
func (k *keyed) grant() {
	for k.free > 0 && len(k.waiting) > 0 {
		i := -1
		if len(k.urgent) > 0 {
			i = slices.IndexFunc(k.waiting, func(w *turn) bool { return k.urgent[w.key] > 0 })
		}
		if i < 0 && (len(k.urgent) == 0 || k.others < k.share) {
			i = 0
		}
		if i < 0 {
			return
		}
		t := k.waiting[i]
		k.waiting = slices.Delete(k.waiting, i, i+1)
		k.free--
		if t.other = k.urgent[t.key] == 0; t.other {
			k.others++
		}
		t.granted = true
		close(t.ready)
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
