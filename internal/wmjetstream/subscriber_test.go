package wmjetstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

// setup starts a server with one stream for the test and returns its
// JetStream context, the stream name and a config pair whose topics map to
// subjects of that stream.
func setup(t *testing.T) (jetstream.JetStream, SubscriberConfig, PublisherConfig) {
	t.Helper()
	s := startServer(t, "", -1)
	_, js := natstest.Connect(t, s.ClientURL())
	sc, pc := streamConfigs(t, js)
	return js, sc, pc
}

func streamConfigs(t *testing.T, js jetstream.JetStream) (SubscriberConfig, PublisherConfig) {
	t.Helper()
	stream, prefix := streamName(t)
	createStream(t, js, stream, prefix+".>")
	subject := func(topic string) string { return prefix + "." + topic }
	return SubscriberConfig{Stream: stream, ConsumerGroup: "test", FilterSubject: subject},
		PublisherConfig{Subject: subject}
}

func ack(t *testing.T, msg *message.Message) {
	t.Helper()
	if !msg.Ack() {
		t.Fatalf("Ack of %s refused", msg.UUID)
	}
}

func TestRestartedSubscriberResumesAfterLastAck(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	pub := newTestPublisher(t, js, pc)
	publish(t, pub, "orders", "1", "2", "3", "4", "5")

	first := newTestSubscriber(t, js, sc)
	ch := subscribe(t, first, "orders")
	for want := range 3 {
		msg := receive(t, ch, 5*time.Second)
		if got := string(msg.Payload); got != strconv.Itoa(want+1) {
			t.Fatalf("payload %q, want %d", got, want+1)
		}
		ack(t, msg)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// A durable consumer, kept however long no one pulls: an ephemeral one
	// (what watermill-nats creates) is deleted after 5 s idle.
	info := consumerInfo(t, js, sc.Stream, "test_orders")
	if info.Config.Durable != "test_orders" || info.Config.InactiveThreshold != 0 {
		t.Fatalf("consumer durable %q inactive threshold %s, want test_orders and 0", info.Config.Durable, info.Config.InactiveThreshold)
	}
	if info.AckFloor.Stream != 3 {
		t.Fatalf("ack floor %d after Close, want 3: acks not confirmed before Close returned", info.AckFloor.Stream)
	}
	ephemeral, err := js.CreateOrUpdateConsumer(context.Background(), sc.Stream, jetstream.ConsumerConfig{Name: "ephemeral", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	if got := ephemeral.CachedInfo().Config.InactiveThreshold; got != 5*time.Second {
		t.Errorf("control: ephemeral consumer inactive threshold %s, want the server's 5s", got)
	}

	publish(t, pub, "orders", "6")
	second := newTestSubscriber(t, js, sc)
	ch = subscribe(t, second, "orders")
	for want := 4; want <= 6; want++ {
		msg := receive(t, ch, 5*time.Second)
		if got := string(msg.Payload); got != strconv.Itoa(want) {
			t.Fatalf("payload %q, want %d", got, want)
		}
		if got := msg.Metadata.Get(MetadataStreamSeq); got != strconv.Itoa(want) {
			t.Fatalf("stream seq %s, want %d", got, want)
		}
		ack(t, msg)
	}
	expectNone(t, ch, 200*time.Millisecond)
}

func TestNackedMessageIsRedelivered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		nackDelay time.Duration
		backOff   []time.Duration
		minWait   time.Duration
	}{
		{"at once", 0, nil, 0},
		{"after NackDelay", 400 * time.Millisecond, nil, 400 * time.Millisecond},
		{"after BackOff", 0, []time.Duration{400 * time.Millisecond, time.Minute}, 400 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			js, sc, pc := setup(t)
			sc.NackDelay, sc.BackOff = tt.nackDelay, tt.backOff
			sent := publish(t, newTestPublisher(t, js, pc), "jobs", "a", "b")[0]
			ch := subscribe(t, newTestSubscriber(t, js, sc), "jobs")

			first := receive(t, ch, 5*time.Second)
			if first.UUID != sent.UUID {
				t.Fatalf("first message %q, want a", first.Payload)
			}
			first.Nack()
			nacked := time.Now()
			// "b" may come first (always when the nack is delayed).
			again := receive(t, ch, 5*time.Second)
			if string(again.Payload) == "b" {
				ack(t, again)
				again = receive(t, ch, 5*time.Second)
			}
			waited := time.Since(nacked)
			if again.UUID != sent.UUID || again.Metadata.Get(MetadataStreamSeq) != "1" {
				t.Fatalf("redelivered %s seq %s, want %s seq 1", again.UUID, again.Metadata.Get(MetadataStreamSeq), sent.UUID)
			}
			if got := again.Metadata.Get(MetadataNumDelivered); got != "2" {
				t.Errorf("num delivered %s, want 2", got)
			}
			if waited < tt.minWait-50*time.Millisecond {
				t.Errorf("redelivered after %s, want at least %s", waited, tt.minWait)
			}
			ack(t, again)
		})
	}
}

func TestSlowHandlerIsNotRedelivered(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	sc.AckWait = time.Second
	publish(t, newTestPublisher(t, js, pc), "slow", "x")
	// Two instances of the service share the consumer.
	a := subscribe(t, newTestSubscriber(t, js, sc), "slow")
	b := subscribe(t, newTestSubscriber(t, js, sc), "slow")

	var msg *message.Message
	other := b
	select {
	case msg = <-a:
	case msg = <-b:
		other = a
	case <-time.After(5 * time.Second):
		t.Fatal("no message")
	}
	// The handler works for three times AckWait; InProgress keeps the
	// message from going to the other instance meanwhile.
	expectNone(t, other, 3*sc.AckWait)
	ack(t, msg)
	expectNone(t, other, sc.AckWait)

	info := consumerInfo(t, js, sc.Stream, "test_slow")
	if info.NumRedelivered != 0 || info.NumAckPending != 0 || info.AckFloor.Stream != 1 {
		t.Fatalf("consumer redelivered %d, ack pending %d, ack floor %d; want 0, 0, 1",
			info.NumRedelivered, info.NumAckPending, info.AckFloor.Stream)
	}
}

func TestMessagesArriveOneAtATime(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	sc.FetchBatch = 10
	publish(t, newTestPublisher(t, js, pc), "seq", "1", "2", "3")
	ch := subscribe(t, newTestSubscriber(t, js, sc), "seq")

	for want := 1; want <= 3; want++ {
		msg := receive(t, ch, 5*time.Second)
		if got := string(msg.Payload); got != strconv.Itoa(want) {
			t.Fatalf("payload %q, want %d", got, want)
		}
		expectNone(t, ch, 100*time.Millisecond)
		ack(t, msg)
	}
}

func TestDeliveryMetadataAndHeaders(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	pub := newTestPublisher(t, js, pc)
	in := message.NewMessage(watermill.NewUUID(), []byte("body"))
	in.Metadata.Set("correlation_id", "c-1")
	in.Metadata.Set("reason_poisoned", "panic: boom\ngoroutine 1")
	if err := pub.Publish("meta", in); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(context.Background(), pc.Subject("meta"), []byte("foreign")); err != nil {
		t.Fatal(err)
	}
	ch := subscribe(t, newTestSubscriber(t, js, sc), "meta")

	got := receive(t, ch, 5*time.Second)
	want := map[string]string{
		"correlation_id":     "c-1",
		"reason_poisoned":    "panic: boom\ngoroutine 1",
		MetadataStream:       sc.Stream,
		MetadataStreamSeq:    "1",
		MetadataConsumerSeq:  "1",
		MetadataNumDelivered: "1",
		MetadataSubject:      pc.Subject("meta"),
	}
	for k, v := range want {
		if got.Metadata.Get(k) != v {
			t.Errorf("metadata %s = %q, want %q", k, got.Metadata.Get(k), v)
		}
	}
	if got.UUID != in.UUID || string(got.Payload) != "body" {
		t.Errorf("got %s %q, want %s body", got.UUID, got.Payload, in.UUID)
	}
	if _, err := time.Parse(time.RFC3339Nano, got.Metadata.Get(MetadataTimestamp)); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	ack(t, got)

	foreign := receive(t, ch, 5*time.Second)
	if foreign.UUID != sc.Stream+"-2" || string(foreign.Payload) != "foreign" {
		t.Errorf("foreign message %s %q, want %s-2", foreign.UUID, foreign.Payload, sc.Stream)
	}
	ack(t, foreign)

	stored, err := js.Stream(context.Background(), sc.Stream)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := stored.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if id := raw.Header.Get("Nats-Msg-Id"); id != pc.Subject("meta")+":"+in.UUID {
		t.Errorf("Nats-Msg-Id %q", id)
	}
	if id := raw.Header.Get(UUIDHeader); id != in.UUID {
		t.Errorf("%s %q", UUIDHeader, id)
	}
}

func TestCloseHandsBackHeldMessageAndClosesChannels(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	publish(t, newTestPublisher(t, js, pc), "held", "x")
	first := newTestSubscriber(t, js, sc)
	ch := subscribe(t, first, "held")
	idle := subscribe(t, first, "other")
	msg := receive(t, ch, 5*time.Second)

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []<-chan *message.Message{ch, idle} {
		if _, open := <-c; open {
			t.Fatal("channel still open after Close")
		}
	}
	select {
	case <-msg.Context().Done():
	default:
		t.Error("message context not canceled by Close")
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := first.Subscribe(context.Background(), "held"); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}

	// Nacked on Close: back at once (within 5 s), not after AckWait (30 s).
	// Delivered at least twice: a fetch the closing subscriber still had
	// out may take the nacked message once more and hand it back too (seen
	// on a loaded machine: three deliveries), which is no loss.
	again := receive(t, subscribe(t, newTestSubscriber(t, js, sc), "held"), 5*time.Second)
	if n, _ := strconv.Atoi(again.Metadata.Get(MetadataNumDelivered)); again.UUID != msg.UUID || n < 2 {
		t.Fatalf("got %s delivered %s times, want %s again", again.UUID, again.Metadata.Get(MetadataNumDelivered), msg.UUID)
	}
	ack(t, again)
}

func TestSubscribeContextEndsSubscription(t *testing.T) {
	t.Parallel()
	js, sc, _ := setup(t)
	sub := newTestSubscriber(t, js, sc)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, "ctx")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, open := <-ch:
		if open {
			t.Fatal("message on an empty topic")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after the context was canceled")
	}
}

func TestSubscriptionRecreatesDeletedConsumer(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	sc.DeliverPolicy = jetstream.DeliverNewPolicy
	pub := newTestPublisher(t, js, pc)
	ch := subscribe(t, newTestSubscriber(t, js, sc), "gone")

	if err := js.DeleteConsumer(context.Background(), sc.Stream, "test_gone"); err != nil {
		t.Fatal(err)
	}
	// A single server does not tell the puller; it notices after two
	// missed heartbeats (10 s) and recreates the consumer.
	poll.Until(t, 30*time.Second, func() error {
		_, err := js.Consumer(context.Background(), sc.Stream, "test_gone")
		return err
	})
	publish(t, pub, "gone", "after")
	msg := receive(t, ch, 10*time.Second)
	if string(msg.Payload) != "after" {
		t.Fatalf("payload %q, want after", msg.Payload)
	}
	ack(t, msg)
}

func TestSubscriptionSurvivesServerRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir, -1)
	port := s.Addr().(*net.TCPAddr).Port
	_, js := natstest.Connect(t, s.ClientURL())
	sc, pc := streamConfigs(t, js)
	pub := newTestPublisher(t, js, pc)
	ch := subscribe(t, newTestSubscriber(t, js, sc), "restart")
	publish(t, pub, "restart", "before")
	ack(t, receive(t, ch, 5*time.Second))
	poll.Until(t, 5*time.Second, func() error {
		if f := consumerInfo(t, js, sc.Stream, "test_restart").AckFloor.Stream; f != 1 {
			return fmt.Errorf("ack floor %d", f)
		}
		return nil
	})

	s.Shutdown()
	s.WaitForShutdown()
	startServer(t, dir, port)

	after := message.NewMessage(watermill.NewUUID(), []byte("after"))
	poll.Until(t, 15*time.Second, func() error { return pub.Publish("restart", after) })
	msg := receive(t, ch, 15*time.Second)
	if msg.UUID != after.UUID {
		t.Fatalf("got %s %q, want the message published after the restart", msg.UUID, msg.Payload)
	}
	ack(t, msg)
}

func TestNewSubscriberRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	js, _, _ := setup(t)
	if _, err := NewSubscriber(js, SubscriberConfig{ConsumerGroup: "g"}, nil); err == nil {
		t.Error("NewSubscriber accepted a config without Stream")
	}
	sub, err := NewSubscriber(js, SubscriberConfig{Stream: "MISSING", ConsumerGroup: "g"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Subscribe(context.Background(), "t"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("Subscribe on a missing stream = %v, want ErrStreamNotFound", err)
	}
}

// TestCloseIsQuickWithManySubscriptions checks that many subscriptions on
// one Subscriber stop together and quickly.
func TestCloseIsQuickWithManySubscriptions(t *testing.T) {
	t.Parallel()
	js, sc, _ := setup(t)
	sub := newTestSubscriber(t, js, sc)
	for i := range 20 {
		subscribe(t, sub, fmt.Sprintf("t%d", i))
	}
	start := time.Now()
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %s", d)
	}
}

// failingUnmarshaler cannot decode payloads that say "bad".
type failingUnmarshaler struct{ HeaderMarshaler }

func (u failingUnmarshaler) Unmarshal(jm jetstream.Msg) (*message.Message, error) {
	if string(jm.Data()) == "bad" {
		return nil, errors.New("cannot decode")
	}
	return u.HeaderMarshaler.Unmarshal(jm)
}

func TestUndecodableMessageIsTerminated(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	sc.Unmarshaler = failingUnmarshaler{}
	publish(t, newTestPublisher(t, js, pc), "mixed", "bad", "good")
	ch := subscribe(t, newTestSubscriber(t, js, sc), "mixed")

	msg := receive(t, ch, 5*time.Second)
	if string(msg.Payload) != "good" {
		t.Fatalf("payload %q, want good", msg.Payload)
	}
	ack(t, msg)
	poll.Until(t, 5*time.Second, func() error {
		info := consumerInfo(t, js, sc.Stream, "test_mixed")
		if info.AckFloor.Stream != 2 || info.NumAckPending != 0 || info.NumRedelivered != 0 {
			return fmt.Errorf("ack floor %d, ack pending %d, redelivered %d", info.AckFloor.Stream, info.NumAckPending, info.NumRedelivered)
		}
		return nil
	})
}

// TestCloseLeavesNoGoroutines is not parallel: it looks at every goroutine.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	js, sc, pc := setup(t)
	sc.FetchBatch = 5
	publish(t, newTestPublisher(t, js, pc), "leak", "1", "2", "3")
	sub := newTestSubscriber(t, js, sc)
	held := receive(t, subscribe(t, sub, "leak"), 5*time.Second) // not acked
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := sub.Subscribe(ctx, "leak-too"); err != nil {
		t.Fatal(err)
	}
	cancel()
	for i := range 3 {
		subscribe(t, sub, fmt.Sprintf("idle-%d", i))
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	_ = held
	poll.Until(t, 5*time.Second, func() error {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		for _, frame := range []string{"wmjetstream.(*subscription)", "wmjetstream.(*Subscriber)", "jetstream.(*pullSubscription)"} {
			if strings.Contains(stacks, frame) {
				return fmt.Errorf("a goroutine in %s is still running:\n%s", frame, stacks)
			}
		}
		return nil
	})
}

func TestChannelClosesWhenConnectionCloses(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", -1)
	nc, js := natstest.Connect(t, s.ClientURL())
	sc, _ := streamConfigs(t, js)
	sub := newTestSubscriber(t, js, sc)
	ch := subscribe(t, sub, "conn")

	nc.Close()
	select {
	case _, open := <-ch:
		if open {
			t.Fatal("message on an empty topic")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed after the connection closed")
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
}
