package ingestion_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
)

// BenchmarkWebhookVsRaw posts signed Twilio webhooks through the whole
// ingestion path (HTTP, signature, pseudonym, conversation load, sealing,
// fsynced append) and, interleaved in the same run, publishes raw
// messages of the same size to JetStream with the same durability (the
// same fsync-always server). It reports both rates and their ratio. The
// 500 senders have all texted before the timed part: the steady state of a
// line, where most messages continue a conversation.
//
//	go test -run '^$' -bench WebhookVsRaw -benchtime 2000x ./services/ingestion/
func BenchmarkWebhookVsRaw(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			wb := newWebhookBench(b)
			natstest.BenchVersusRaw(b, workers, natstest.Units{Ours: "webhooks/s", Raw: "raw_publishes/s", Ratio: "webhook/raw"},
				func(w int, i int64) (time.Duration, time.Duration, error) {
					t := time.Now()
					if err := wb.webhook(i); err != nil {
						return 0, 0, err
					}
					hook := time.Since(t)
					t = time.Now()
					if err := wb.raw(w, i); err != nil {
						return 0, 0, err
					}
					return hook, time.Since(t), nil
				})
		})
	}
}

// BenchmarkWebhookAlone accounts for what a webhook costs beyond the raw
// publish it ends in: BenchmarkWebhookVsRaw's webhooks alone, then its raw
// publishes alone (16 senders each), each reporting the process's CPU time
// and the NATS messages and bytes the server counted per operation
// (natstest.BenchAlone), so the two can be set side by side.
//
//	go test -run '^$' -bench WebhookAlone -benchtime 2000x ./services/ingestion/
func BenchmarkWebhookAlone(b *testing.B) {
	const workers = 16
	b.Run("op=webhook", func(b *testing.B) {
		wb := newWebhookBench(b)
		natstest.BenchAlone(b, wb.h.nats, workers, func(_ int, i int64) error { return wb.webhook(i) })
	})
	b.Run("op=raw", func(b *testing.B) {
		wb := newWebhookBench(b)
		natstest.BenchAlone(b, wb.h.nats, workers, wb.raw)
	})
}

// webhookBench is the webhook benchmarks' setting: an ingestion harness
// whose benchClients senders have all texted once, and a stream RAW beside
// the log on the same server.
type webhookBench struct {
	b       *testing.B
	h       *harness
	base    int64
	payload []byte
}

// benchClients is how many numbers the benchmarks' webhooks come from.
const benchClients = 500

func benchSender(i int64) string { return fmt.Sprintf("+4477009%05d", i%benchClients) }

func newWebhookBench(b *testing.B) *webhookBench {
	b.Helper()
	wb := &webhookBench{b: b, h: newHarness(b), base: time.Now().UnixNano(), payload: make([]byte, 600)} // about an encoded message_received envelope
	if _, err := wb.h.js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	// Steady state: every sender has texted before. A first message from a
	// new number also creates its data key, registers the client and
	// starts a conversation (four more fsynced writes).
	for i := range int64(benchClients) {
		if code, resp := wb.h.sendSMS(b, fmt.Sprintf("SM%032x", wb.base-i-1), benchSender(i), "hello"); code != http.StatusOK {
			b.Fatalf("warm-up webhook: %d %s", code, resp)
		}
	}
	return wb
}

// webhook posts webhook i, from sender i.
func (wb *webhookBench) webhook(i int64) error {
	if code, resp := wb.h.sendSMS(wb.b, wb.sid(i), benchSender(i), "an ordinary message of ordinary length, nothing more"); code != http.StatusOK {
		return fmt.Errorf("webhook: %d %s", code, resp)
	}
	return nil
}

// raw publishes raw message i of worker w, with webhook i's id for the
// log's duplicate window.
func (wb *webhookBench) raw(w int, i int64) error {
	_, err := wb.h.js.PublishMsg(context.Background(), &nats.Msg{Subject: fmt.Sprintf("raw.%d.%d", w, i%benchClients), Data: wb.payload},
		jetstream.WithMsgID(wb.sid(i)))
	return err
}

func (wb *webhookBench) sid(i int64) string { return fmt.Sprintf("SM%032x", wb.base+i) }
