package ingestion_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
			var hookNs, rawNs atomic.Int64
			var next atomic.Int64
			base := time.Now().UnixNano()
			// Steady state: every sender has texted before. A first message
			// from a new number also creates its data key, registers the
			// client and starts a conversation (four more fsynced writes).
			for i := range clients {
				if code, resp := h.sendSMS(b, fmt.Sprintf("SM%032x", base-int64(i)-1), sender(i), "hello"); code != http.StatusOK {
					b.Fatalf("warm-up webhook: %d %s", code, resp)
				}
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						sid := fmt.Sprintf("SM%032x", base+i)
						from := sender(int(i))
						t := time.Now()
						if code, resp := h.sendSMS(b, sid, from, "an ordinary message of ordinary length, nothing more"); code != http.StatusOK {
							b.Errorf("webhook: %d %s", code, resp)
							return
						}
						hookNs.Add(int64(time.Since(t)))
						t = time.Now()
						if _, err := h.js.PublishMsg(ctx, &nats.Msg{Subject: fmt.Sprintf("raw.%d.%d", w, i%500), Data: payload},
							jetstream.WithMsgID(sid)); err != nil {
							b.Error(err)
							return
						}
						rawNs.Add(int64(time.Since(t)))
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			hookRate := float64(b.N) / (float64(hookNs.Load()) / 1e9) * float64(workers)
			rawRate := float64(b.N) / (float64(rawNs.Load()) / 1e9) * float64(workers)
			b.ReportMetric(hookRate, "webhooks/s")
			b.ReportMetric(rawRate, "raw_publishes/s")
			b.ReportMetric(hookRate/rawRate, "webhook/raw")
		})
	}
}
