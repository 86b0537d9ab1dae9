package wmjetstream

import (
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
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
