package wmjetstream

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
)

// TestPubSub runs watermill's universal Pub/Sub suite against a real
// in-process server. The suite's random topics map to "wmtest.<topic>", all
// in one stream.
func TestPubSub(t *testing.T) {
	s := startServer(t, "", -1)
	_, js := natstest.Connect(t, s.ClientURL())
	createStream(t, js, "WMTEST", "wmtest.>")

	features := tests.Features{
		// One durable consumer per group and topic: subscribers of a group
		// share its messages.
		ConsumerGroups: true,
		// At least once: redeliveries happen.
		ExactlyOnceDelivery: false,
		// A subscription gets messages in stream order, one at a time; with
		// several subscribers on one consumer the order between them is
		// not kept, nor after a nack.
		GuaranteedOrder:                     true,
		GuaranteedOrderWithSingleSubscriber: true,
		// Stored in the stream; a new Subscriber resumes its durable.
		Persistent: true,
		// The suite restarts brokers with a shell command; this package
		// tests a restart of the in-process server in
		// TestSubscriptionSurvivesServerRestart instead.
		RestartServiceCommand: nil,
		RequireSingleInstance: false,
		// A new subscriber of the same group does not get the messages the
		// group already acked (it would with its own group).
		NewSubscriberReceivesOldMessages: false,
		ContextPreserved:                 false,
		// The full sizes (10000 messages) pass; -short uses the small ones.
		ForceShort: testing.Short(),
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newSuitePubSub(t, js, "wmtest")
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return newSuitePubSub(t, js, group)
		},
	)
}

func newSuitePubSub(t *testing.T, js jetstream.JetStream, group string) (message.Publisher, message.Subscriber) {
	subject := func(topic string) string { return "wmtest." + topic }
	logger := watermill.NewStdLogger(false, false)
	pub, err := NewPublisher(js, PublisherConfig{Subject: subject}, logger)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := NewSubscriber(js, SubscriberConfig{
		Stream:        "WMTEST",
		ConsumerGroup: group,
		FilterSubject: subject,
		// TestContinueAfterErrors nacks up to 300 times over 50 messages,
		// and a nacked message comes back first: with a limit the
		// consumer would give up on some of them.
		MaxDeliver: -1,
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	return pub, sub
}
