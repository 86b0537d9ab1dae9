package wmjetstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("wmjetstream: closed")

// errCodeTemporarilyUnavailable is JetStream's "expected last sequence per
// subject temporarily unavailable" (HTTP 503): the write may be retried.
const errCodeTemporarilyUnavailable jetstream.ErrorCode = 10163

// Publish retries: attempts in all, and the wait before the first retry,
// doubled for each further one (50+100+200+400 ms).
const (
	publishAttempts   = 5
	publishRetryFirst = 50 * time.Millisecond
)

// Publisher publishes watermill messages to JetStream and waits for each
// PubAck.
type Publisher struct {
	js     jetstream.JetStream
	cfg    PublisherConfig
	logger watermill.LoggerAdapter

	mu     sync.RWMutex
	closed bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher over js. A nil logger logs nothing.
func NewPublisher(js jetstream.JetStream, cfg PublisherConfig, logger watermill.LoggerAdapter) (*Publisher, error) {
	if js == nil {
		return nil, errors.New("wmjetstream: nil JetStream")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wmjetstream: %w", err)
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Publisher{js: js, cfg: cfg, logger: logger}, nil
}

// Publish stores msgs in order, each once the previous one was
// acknowledged by the stream, on the subject cfg.Subject(topic) with
// Nats-Msg-Id set. It stops at the first failure: the messages before it
// are stored. Each publish uses its message's context. A retry of a
// message already stored within the stream's dedupe window is acknowledged
// as a duplicate and not stored again.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	subject := p.cfg.Subject(topic)
	for _, msg := range msgs {
		if err := p.publish(subject, msg); err != nil {
			return fmt.Errorf("publish %s to %s: %w", msg.UUID, subject, err)
		}
	}
	return nil
}

func (p *Publisher) publish(subject string, msg *message.Message) error {
	nm, err := p.cfg.Marshaler.Marshal(subject, msg)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	nm.Subject = subject
	ctx := msg.Context()
	id := p.cfg.MsgID(subject, msg)
	wait := publishRetryFirst
	for attempt := 1; ; attempt++ {
		ack, err := p.js.PublishMsg(ctx, nm, jetstream.WithMsgID(id))
		if err == nil {
			if ack.Duplicate {
				p.logger.Debug("Publish was a duplicate", watermill.LogFields{"uuid": msg.UUID, "subject": subject, "stream_seq": ack.Sequence})
			}
			return nil
		}
		if attempt == publishAttempts || !retryable(ctx, err) {
			return err
		}
		p.logger.Info("Retrying publish", watermill.LogFields{"uuid": msg.UUID, "subject": subject, "attempt": attempt, "err": err})
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// retryable reports whether a failed publish may be sent again. Resending
// is safe because Nats-Msg-Id deduplicates it.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if apiErr, ok := errors.AsType[*jetstream.APIError](err); ok {
		return apiErr.ErrorCode == errCodeTemporarilyUnavailable
	}
	// No stream answered (a leader election) or the request timed out:
	// the message may or may not be stored.
	return errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded)
}

// Close makes further Publish calls fail; it waits for Publish calls in
// progress. It does not close the NATS connection.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
