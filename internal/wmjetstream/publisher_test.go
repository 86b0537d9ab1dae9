package wmjetstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestPublishDeduplicatesPerSubject(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	pub := newTestPublisher(t, js, pc)
	msg := message.NewMessage(watermill.NewUUID(), []byte("x"))

	for range 3 { // a retried publish
		if err := pub.Publish("a", msg); err != nil {
			t.Fatal(err)
		}
	}
	if n := streamMsgs(t, js, sc.Stream); n != 1 {
		t.Fatalf("stream holds %d messages after three publishes of one, want 1", n)
	}
	// The same message to another topic (a poison queue, a forward) is
	// stored: the dedupe id includes the subject.
	if err := pub.Publish("b", msg); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, js, sc.Stream); n != 2 {
		t.Fatalf("stream holds %d messages, want 2", n)
	}
}

func TestPublishAfterClose(t *testing.T) {
	t.Parallel()
	js, _, pc := setup(t)
	pub := newTestPublisher(t, js, pc)
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("a", message.NewMessage("id", nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close = %v, want ErrClosed", err)
	}
}

func TestPublishRejectsUnsendableMetadata(t *testing.T) {
	t.Parallel()
	js, sc, pc := setup(t)
	pub := newTestPublisher(t, js, pc)
	msg := message.NewMessage("id", nil)
	msg.Metadata.Set("Nats-Expected-Last-Sequence", "1")
	if err := pub.Publish("a", msg); err == nil {
		t.Fatal("Publish accepted a reserved header as metadata")
	}
	if n := streamMsgs(t, js, sc.Stream); n != 0 {
		t.Fatalf("stream holds %d messages, want 0", n)
	}
}

// flakyJS fails the first failures publishes with err, then publishes.
type flakyJS struct {
	jetstream.JetStream
	err error

	mu       sync.Mutex
	failures int
	calls    int
}

func (f *flakyJS) PublishMsg(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	f.mu.Lock()
	f.calls++
	fail := f.failures > 0
	f.failures--
	f.mu.Unlock()
	if fail {
		return nil, f.err
	}
	return f.JetStream.PublishMsg(ctx, m, opts...)
}

func TestPublishRetries(t *testing.T) {
	t.Parallel()
	unavailable := fmt.Errorf("nats: %w", &jetstream.APIError{Code: 503, ErrorCode: 10163, Description: "expected last sequence per subject temporarily unavailable"})
	wrongSeq := fmt.Errorf("nats: %w", &jetstream.APIError{Code: 400, ErrorCode: 10071, Description: "wrong last sequence: 3"})
	tests := []struct {
		name      string
		err       error
		failures  int
		wantCalls int
		wantMsgs  uint64
		wantErr   error
	}{
		{"temporarily unavailable, then stored", unavailable, 2, 3, 1, nil},
		{"temporarily unavailable throughout", unavailable, 10, publishRetry.Attempts, 0, unavailable},
		{"no stream response, then stored", jetstream.ErrNoStreamResponse, 1, 2, 1, nil},
		{"not retryable", wrongSeq, 1, 1, 0, wrongSeq},
	}
	js, _, _ := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, pc := streamConfigs(t, js)
			flaky := &flakyJS{JetStream: js, err: tt.err, failures: tt.failures}
			pub := newTestPublisher(t, flaky, pc)
			err := pub.Publish("t", message.NewMessage(watermill.NewUUID(), []byte("x")))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Publish = %v, want %v", err, tt.wantErr)
			}
			if flaky.calls != tt.wantCalls {
				t.Errorf("%d attempts, want %d", flaky.calls, tt.wantCalls)
			}
			if n := streamMsgs(t, js, sc.Stream); n != tt.wantMsgs {
				t.Errorf("stream holds %d messages, want %d", n, tt.wantMsgs)
			}
		})
	}
}
