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

// BenchmarkGroupCommitVsStore appends one event at a time to each
// worker's own conversation, expecting its last sequence, through a
// GroupCommit and through the store, interleaved in one run (the
// "raw" figures are the store's here): what sharing a write between the
// appends of many conversations buys on an fsync-always node. With 16
// workers about half of them wait in the group commit at once, the
// default MinBatch.
//
//	go test -run '^$' -bench GroupCommitVsStore -benchtime 2000x ./events/
func BenchmarkGroupCommitVsStore(b *testing.B) {
	for _, workers := range []int{16, 64} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			_, s := natstest.Log(b)
			g := events.NewGroupCommit(s, events.GroupCommitConfig{})
			ctx := context.Background()
			lastGroup, lastStore := make([]uint64, workers), make([]uint64, workers)
			natstest.BenchVersusRaw(b, workers, natstest.Units{Ours: "group_appends/s", Raw: "store_appends/s", Ratio: "group/store"},
				func(w int, i int64) (time.Duration, time.Duration, error) {
					t := time.Now()
					a, err := g.Append(ctx, events.ExpectSeq(lastGroup[w]), benchEnvelope(b, fmt.Sprintf("group-%d", w), fmt.Sprintf("g-%d", i)))
					if err != nil {
						return 0, 0, err
					}
					lastGroup[w] = a[0].Seq
					group := time.Since(t)
					t = time.Now()
					a, err = s.Append(ctx, events.ExpectSeq(lastStore[w]), benchEnvelope(b, fmt.Sprintf("store-%d", w), fmt.Sprintf("s-%d", i)))
					if err != nil {
						return 0, 0, err
					}
					lastStore[w] = a[0].Seq
					return group, time.Since(t), nil
				})
			st := g.Stats()
			b.ReportMetric(float64(st.Batched)/float64(max(st.Batched+st.Single, 1)), "batched")
		})
	}
}
