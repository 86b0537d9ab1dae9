package wmjetstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/transient"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("wmjetstream: closed")

// publishRetry is how a publish is retried through what passes by itself
// (a leader election, a lost request): 5 tries, waiting 50, 100, 200 and
// 400 ms (about) between them.
var publishRetry = transient.Policy{Attempts: 5, Wait: 50 * time.Millisecond}

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
	// Resending is safe because Nats-Msg-Id deduplicates it.
	attempt := 0
	return transient.Do(ctx, publishRetry, func(ctx context.Context) error {
		if attempt++; attempt > 1 {
			p.logger.Info("Retrying publish", watermill.LogFields{"uuid": msg.UUID, "subject": subject, "attempt": attempt})
		}
		ack, err := p.js.PublishMsg(ctx, nm, jetstream.WithMsgID(id))
		if err == nil && ack.Duplicate {
			p.logger.Debug("Publish was a duplicate", watermill.LogFields{"uuid": msg.UUID, "subject": subject, "stream_seq": ack.Sequence})
		}
		return err
	})
}

// Close makes further Publish calls fail; it waits for Publish calls in
// progress. It does not close the NATS connection.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}
