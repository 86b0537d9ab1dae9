package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
)

// BenchmarkAppendVsRaw appends through the store and publishes the same
// envelopes raw to JetStream (same subject, same msg-id header, same
// fsync-every-write file storage), interleaved in one run so machine noise
// hits both alike, and reports both rates and their ratio.
//
//	go test -run '^$' -bench AppendVsRaw -benchtime 3000x ./events/
func BenchmarkAppendVsRaw(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			js, s := natstest.Log(b)
			ctx := context.Background()
			natstest.BenchVersusRaw(b, workers, natstest.Units{Ours: "store_appends/s", Raw: "raw_publishes/s", Ratio: "store/raw"},
				func(w int, i int64) (time.Duration, time.Duration, error) {
					conv := fmt.Sprintf("bench-%d-%d", w, i%64)
					storeEnv := benchEnvelope(b, conv, fmt.Sprintf("s-%d", i))
					rawEnv := benchEnvelope(b, conv, fmt.Sprintf("r-%d", i))
					rawMsg, err := events.Marshal(rawEnv)
					if err != nil {
						return 0, 0, err
					}
					t := time.Now()
					if _, err := s.Append(ctx, events.ExpectAny, storeEnv); err != nil {
						return 0, 0, err
					}
					store := time.Since(t)
					t = time.Now()
					if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: rawMsg.Subject, Data: rawMsg.Data, Header: rawMsg.Header},
						jetstream.WithMsgID(rawEnv.ID)); err != nil {
						return 0, 0, err
					}
					return store, time.Since(t), nil
				})
		})
	}
}

func benchEnvelope(b *testing.B, conv, id string) events.Envelope {
	e, err := events.NewWithID(id, conv, events.MessageReceived{MessageID: id, LineID: "main", ClientID: "c1",
		Channel: events.ChannelSMS, Body: events.Sealed{KeyID: "c1", Data: make([]byte, 200)}, ReceivedAt: t0},
		events.Meta{OccurredAt: t0})
	if err != nil {
		b.Fatal(err)
	}
	return e
}
