package inbox

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// TestMemoryStoreBytesPerMessage holds what the memory store (the read
// model of `helpline run`) keeps per message, which grows with the
// process's history (issue 17): 300 conversations of 30 texts with sealed
// bodies the size of a short SMS, each triaged, and an automatic reply
// per conversation, applied as the log carries them; the heap after
// two collections, against the empty store's.
func TestMemoryStoreBytesPerMessage(t *testing.T) {
	const convs, texts = 300, 30
	ctx := context.Background()
	v := NewView(NewMemoryStore())
	seq := uint64(0)
	apply := func(conv string, at time.Time, p events.Payload) {
		seq++
		e, err := events.NewWithID(fmt.Sprintf("%08x-0000-4000-8000-%012x", seq, seq), conv, p, events.Meta{OccurredAt: at})
		if err != nil {
			t.Fatal(err)
		}
		e.Sequence = seq
		if _, err := v.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	base := heapLive()
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	body := make([]byte, 12+100+16) // nonce, a 100-byte text, tag
	for c := range convs {
		conv, client := fmt.Sprintf("conv-%04d", c), fmt.Sprintf("client-key-%040d", c)
		apply(conv, start, events.ConversationStarted{LineID: "main", ClientID: client, Pseudonym: fmt.Sprintf("C-%04X", c), Channel: events.ChannelSMS})
		for m := range texts {
			at := start.Add(time.Duration(m) * time.Minute)
			id := fmt.Sprintf("SM%032x", c*texts+m)
			apply(conv, at, events.MessageReceived{MessageID: id, LineID: "main", ClientID: client, Channel: events.ChannelSMS,
				ProviderMessageID: id, Body: events.Sealed{KeyID: client, Data: append([]byte(nil), body...)}, ReceivedAt: at})
			apply(conv, at.Add(time.Second), events.MessageTriaged{MessageID: id, Risk: events.RiskNone, LexiconVersion: "2026.12.7.52"})
			if m == 0 {
				apply(conv, at.Add(2*time.Second), events.MessageSent{SendID: "wait-" + id, Kind: events.SendAutoReply, Recipient: "client", ProviderMessageID: "SMo" + id[2:]})
			}
		}
	}
	perMessage := float64(heapLive()-base) / float64(convs*(texts+1))
	runtime.KeepAlive(v)
	t.Logf("%.0f bytes of heap a message (%d conversations of %d texts and an automatic reply)", perMessage, convs, texts)
	if perMessage > 450 {
		t.Errorf("%.0f bytes of heap a message, want at most 450", perMessage)
	}
}

// heapLive is the heap's live bytes after two collections.
func heapLive() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
