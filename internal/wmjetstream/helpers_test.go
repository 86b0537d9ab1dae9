package wmjetstream

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/natstest"
)

// startServer starts a JetStream server storing in dir (a fresh temporary
// directory when empty) on port (a free one when -1). It does not fsync
// every write: these tests are about delivery, not durability.
func startServer(t testing.TB, dir string, port int) *server.Server {
	t.Helper()
	return natstest.ServerWith(t, dir, func(o *server.Options) { o.Host, o.Port, o.SyncAlways = "127.0.0.1", port, false })
}

// createStream creates a file-stored stream named name over subjects.
func createStream(t testing.TB, js jetstream.JetStream, name string, subjects ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: subjects, Storage: jetstream.FileStorage}); err != nil {
		t.Fatalf("create stream %s: %v", name, err)
	}
}

// streamName returns a stream name and a subject prefix unique to the test.
func streamName(t *testing.T) (name, prefix string) {
	t.Helper()
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	return name, strings.ToLower(name)
}

func newTestPublisher(t *testing.T, js jetstream.JetStream, cfg PublisherConfig) *Publisher {
	t.Helper()
	p, err := NewPublisher(js, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("new publisher: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newTestSubscriber(t *testing.T, js jetstream.JetStream, cfg SubscriberConfig) *Subscriber {
	t.Helper()
	s, err := NewSubscriber(js, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("new subscriber: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func subscribe(t *testing.T, s *Subscriber, topic string) <-chan *message.Message {
	t.Helper()
	ch, err := s.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatalf("subscribe %s: %v", topic, err)
	}
	return ch
}

func publish(t *testing.T, p *Publisher, topic string, payloads ...string) []*message.Message {
	t.Helper()
	var msgs []*message.Message
	for _, pl := range payloads {
		msgs = append(msgs, message.NewMessage(watermill.NewUUID(), []byte(pl)))
	}
	if err := p.Publish(topic, msgs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return msgs
}

// receive waits up to wait for the next message.
func receive(t *testing.T, ch <-chan *message.Message, wait time.Duration) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return msg
	case <-time.After(wait):
		t.Fatalf("no message within %s", wait)
		return nil
	}
}

// expectNone fails if a message arrives within wait.
func expectNone(t *testing.T, ch <-chan *message.Message, wait time.Duration) {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if ok {
			t.Fatalf("unexpected message %s (payload %q, metadata %v)", msg.UUID, msg.Payload, msg.Metadata)
		}
	case <-time.After(wait):
	}
}

func consumerInfo(t *testing.T, js jetstream.JetStream, stream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, name)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer info %s: %v", name, err)
	}
	return info
}

// testLogger logs errors and infos through t, so they show with the test
// that caused them.
func testLogger(t *testing.T) watermill.LoggerAdapter { return tLogger{t: t} }

type tLogger struct {
	t      *testing.T
	fields watermill.LogFields
}

func (l tLogger) log(level, msg string, fields watermill.LogFields) {
	l.t.Helper()
	defer func() { _ = recover() }() // a log line after the test ended
	l.t.Logf("%s %s %v", level, msg, l.fields.Add(fields))
}

func (l tLogger) Error(msg string, err error, fields watermill.LogFields) {
	l.log("ERROR", fmt.Sprintf("%s: %v", msg, err), fields)
}
func (l tLogger) Info(msg string, fields watermill.LogFields) { l.log("INFO", msg, fields) }
func (l tLogger) Debug(msg string, f watermill.LogFields)     { l.log("DEBUG", msg, f) }
func (l tLogger) Trace(string, watermill.LogFields)           {}
func (l tLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return tLogger{t: l.t, fields: l.fields.Add(fields)}
}
