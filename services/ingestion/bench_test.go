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
	const clients = 500
	sender := func(i int) string { return fmt.Sprintf("+4477009%05d", i%clients) }
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			h := newHarness(b)
			ctx := context.Background()
			if _, err := h.js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, 600) // about an encoded message_received envelope
			base := time.Now().UnixNano()
			// Steady state: every sender has texted before. A first message
			// from a new number also creates its data key, registers the
			// client and starts a conversation (four more fsynced writes).
			for i := range clients {
				if code, resp := h.sendSMS(b, fmt.Sprintf("SM%032x", base-int64(i)-1), sender(i), "hello"); code != http.StatusOK {
					b.Fatalf("warm-up webhook: %d %s", code, resp)
				}
			}
			natstest.BenchVersusRaw(b, workers, natstest.Units{Ours: "webhooks/s", Raw: "raw_publishes/s", Ratio: "webhook/raw"},
				func(w int, i int64) (time.Duration, time.Duration, error) {
					sid := fmt.Sprintf("SM%032x", base+i)
					t := time.Now()
					if code, resp := h.sendSMS(b, sid, sender(int(i)), "an ordinary message of ordinary length, nothing more"); code != http.StatusOK {
						return 0, 0, fmt.Errorf("webhook: %d %s", code, resp)
					}
					hook := time.Since(t)
					t = time.Now()
					if _, err := h.js.PublishMsg(ctx, &nats.Msg{Subject: fmt.Sprintf("raw.%d.%d", w, i%500), Data: payload},
						jetstream.WithMsgID(sid)); err != nil {
						return 0, 0, err
					}
					return hook, time.Since(t), nil
				})
		})
	}
}
