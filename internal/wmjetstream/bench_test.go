package wmjetstream

import (
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/helpline-org/helpline/internal/natstest"
)

// BenchmarkPublish measures synchronous publishes (one PubAck each).
func BenchmarkPublish(b *testing.B) {
	_, js := natstest.Connect(b, startServer(b, "", -1).ClientURL())
	createStream(b, js, "BENCHPUB", "benchpub.>")
	pub, err := NewPublisher(js, PublisherConfig{Subject: func(t string) string { return "benchpub." + t }}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := pub.Publish("t", message.NewMessage(watermill.NewUUID(), []byte("x"))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsume measures one subscription handing out and acking
// messages already in the stream, for several FetchBatch values.
func BenchmarkConsume(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("FetchBatch=%d", batch), func(b *testing.B) {
			_, js := natstest.Connect(b, startServer(b, "", -1).ClientURL())
			createStream(b, js, "BENCH", "bench.>")
			subject := func(t string) string { return "bench." + t }
			pub, err := NewPublisher(js, PublisherConfig{Subject: subject}, nil)
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				if err := pub.Publish("t", message.NewMessage(watermill.NewUUID(), []byte("x"))); err != nil {
					b.Fatal(err)
				}
			}
			sub, err := NewSubscriber(js, SubscriberConfig{Stream: "BENCH", ConsumerGroup: "b", FilterSubject: subject, FetchBatch: batch}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Close()
			b.ResetTimer()
			ch, err := sub.Subscribe(b.Context(), "t")
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				select {
				case msg := <-ch:
					msg.Ack()
				case <-time.After(10 * time.Second):
					b.Fatal("stalled")
				}
			}
		})
	}
}
