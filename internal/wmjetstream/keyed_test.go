package wmjetstream

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/helpline-org/helpline/internal/poll"
)

// TestKeyedParallelAcrossKeysInOrderWithin: a keyed subscription hands
// over messages of different keys at once, holds a key's next message
// until the one before is acked, and hands a nacked message over again
// before anything later of its key.
func TestKeyedParallelAcrossKeysInOrderWithin(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	prefix := strings.TrimSuffix(sc.FilterSubject("x"), ".x")
	sc.FilterSubject = func(string) string { return prefix + ".keyed.>" }
	sc.Key = func(subject string) string { return subject[strings.LastIndexByte(subject, '.')+1:] }
	sc.FetchBatch, sc.NackDelay = 8, 50*time.Millisecond
	pub := newTestPublisher(t, js, pc)
	for _, m := range []struct{ key, payload string }{{"a", "a1"}, {"b", "b1"}, {"a", "a2"}, {"b", "b2"}, {"a", "a3"}} {
		publish(t, pub, "keyed."+m.key, m.payload)
	}
	ch := subscribe(t, newTestSubscriber(t, js, sc), "keyed")

	held := map[string]*message.Message{}
	for range 2 { // a1 and b1 at once: neither is acked yet
		m := receive(t, ch, 5*time.Second)
		held[string(m.Payload)] = m
	}
	if held["a1"] == nil || held["b1"] == nil {
		t.Fatalf("first two handed over: %v, want a1 and b1", keysOf(held))
	}
	expectNone(t, ch, 300*time.Millisecond) // a2 waits for a1, b2 for b1

	held["a1"].Nack()
	if m := receive(t, ch, 5*time.Second); string(m.Payload) != "a1" {
		t.Fatalf("after a1's nack got %s, want a1 again before a2", m.Payload)
	} else {
		ack(t, m)
	}
	var got []string
	for _, want := range []string{"a2", "a3"} {
		m := receive(t, ch, 5*time.Second)
		got = append(got, string(m.Payload))
		if string(m.Payload) != want {
			t.Fatalf("key a handed over %v, want a2 then a3", got)
		}
		ack(t, m)
	}
	ack(t, held["b1"])
	if m := receive(t, ch, 5*time.Second); string(m.Payload) != "b2" {
		t.Fatalf("after b1 got %s, want b2", m.Payload)
	} else {
		ack(t, m)
	}
}

func keysOf(m map[string]*message.Message) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestKeyedUrgentKeyFirst: with one turn and room to hold more, the
// messages waiting for the turn go urgent key first, the urgent message's
// earlier ones of its key before it, and its key keeps the turn until the
// urgent one is handled; the others follow in the order they asked for a
// turn (b2 asks once b1 is handled, after d1).
func TestKeyedUrgentKeyFirst(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	prefix := strings.TrimSuffix(sc.FilterSubject("x"), ".x")
	sc.FilterSubject = func(string) string { return prefix + ".keyed.>" }
	sc.Key = func(subject string) string { return subject[strings.LastIndexByte(subject, '.')+1:] }
	sc.Urgent = func(_ context.Context, _ string, data []byte) bool { return strings.HasPrefix(string(data), "!") }
	sc.FetchBatch, sc.InFlight, sc.LookAhead = 8, 1, 8
	pub := newTestPublisher(t, js, pc)
	publish(t, pub, "keyed.a", "a1")
	s := newTestSubscriber(t, js, sc)
	ch := subscribe(t, s, "keyed")
	first := receive(t, ch, 5*time.Second) // a1 holds the one turn
	for _, m := range []struct{ key, payload string }{{"b", "b1"}, {"c", "c1"}, {"b", "b2"}, {"c", "!c2"}, {"d", "d1"}} {
		publish(t, pub, "keyed."+m.key, m.payload)
	}
	// b1, c1 and d1 wait for a turn, b2 and !c2 behind their key's first.
	poll.Until(t, 10*time.Second, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		for sub := range s.cancels {
			k := sub.keyed
			k.mu.Lock()
			waiting, urgent := len(k.waiting), k.urgent["c"]
			k.mu.Unlock()
			if waiting != 3 || urgent != 1 {
				return fmt.Errorf("%d waiting for a turn, %d urgent of c; want 3 and 1", waiting, urgent)
			}
		}
		return nil
	})
	ack(t, first)
	var got []string
	for range 5 {
		m := receive(t, ch, 5*time.Second)
		got = append(got, string(m.Payload))
		expectNone(t, ch, 50*time.Millisecond) // one turn: one at a time
		ack(t, m)
	}
	if want := []string{"c1", "!c2", "b1", "d1", "b2"}; !slices.Equal(got, want) {
		t.Fatalf("handed over %v, want %v", got, want)
	}
}
