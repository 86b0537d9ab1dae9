package twiliofake

import (
	"context"
	"fmt"
)

// Update is one change the fake made: a new message or call, or a new status
// of one, in its new state. Exactly one field is set.
type Update struct {
	Message *SentMessage `json:"message,omitempty"`
	Call    *Call        `json:"call,omitempty"`
}

// subscriber receives updates: offer reports false when its buffer is full.
type subscriber struct {
	offer func(Update) bool
	close func()
}

// Subscribe returns a channel receiving every new message and every status
// change (the message in its new state), and a cancel func. A subscriber that
// falls more than a buffer behind has its channel closed: resync with Sent.
// Close also closes the channel.
func (f *Fake) Subscribe() (<-chan SentMessage, func()) {
	ch := make(chan SentMessage, subscriberBuffer)
	return ch, f.subscribe(subscriber{
		offer: func(u Update) bool { return u.Message == nil || offer(ch, *u.Message) },
		close: func() { close(ch) },
	})
}

// SubscribeUpdates is Subscribe for messages and calls alike: resync with
// Sent and Calls.
func (f *Fake) SubscribeUpdates() (<-chan Update, func()) {
	ch := make(chan Update, subscriberBuffer)
	return ch, f.subscribe(subscriber{
		offer: func(u Update) bool { return offer(ch, u) },
		close: func() { close(ch) },
	})
}

func offer[T any](ch chan T, v T) bool {
	select {
	case ch <- v:
		return true
	default:
		return false
	}
}

// subscribe adds sub and returns its cancel func.
func (f *Fake) subscribe(sub subscriber) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		sub.close()
		return func() {}
	}
	id := f.nextSub
	f.nextSub++
	f.subs[id] = sub
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if s, ok := f.subs[id]; ok {
			s.close()
			delete(f.subs, id)
		}
	}
}

// waitFor returns the first of list's items for which pred is true, calling
// list (under f.mu) again after every change until ctx ends.
func waitFor[T any](ctx context.Context, f *Fake, what string, list func() []T, pred func(T) bool) (T, error) {
	for {
		f.mu.Lock()
		items, changed := list(), f.changed
		f.mu.Unlock()
		for _, it := range items {
			if pred(it) {
				return it, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("wait for %s: %w", what, ctx.Err())
		}
	}
}

// notifyLocked wakes waiters and offers u to every subscriber; f.mu is held.
func (f *Fake) notifyLocked(u Update) {
	close(f.changed)
	f.changed = make(chan struct{})
	for id, sub := range f.subs {
		if !sub.offer(u) {
			// Too slow: cut it off rather than block the API or lose events silently.
			sub.close()
			delete(f.subs, id)
			f.logger.Warn().Int("subscriber", id).Msg("subscriber fell behind; closed")
		}
	}
}
