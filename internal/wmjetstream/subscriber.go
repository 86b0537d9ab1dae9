package wmjetstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/transient"
)

// Metadata keys the Subscriber sets on every message from the JetStream
// delivery. They overwrite metadata of the same name that came in headers.
const (
	// MetadataStream is the stream name.
	MetadataStream = "js_stream"
	// MetadataStreamSeq is the stream sequence (decimal): unique and
	// increasing per stream, the same on every redelivery. Handlers key
	// their idempotency on it.
	MetadataStreamSeq = "js_stream_seq"
	// MetadataConsumerSeq is the consumer's delivery sequence (decimal); it
	// grows with redeliveries.
	MetadataConsumerSeq = "js_consumer_seq"
	// MetadataNumDelivered is how many times this message was delivered to
	// the consumer, this delivery included (decimal, from 1).
	MetadataNumDelivered = "js_num_delivered"
	// MetadataSubject is the subject the message was published on.
	MetadataSubject = "js_subject"
	// MetadataTimestamp is when the stream stored the message (RFC 3339,
	// nanoseconds, UTC).
	MetadataTimestamp = "js_timestamp"
)

const (
	// ackConfirmTimeout bounds waiting for the server to confirm an ack.
	ackConfirmTimeout = 5 * time.Second
	// drainTimeout bounds waiting for buffered messages when a subscription
	// stops; they are nacked so that another subscriber gets them at once.
	drainTimeout = 5 * time.Second
	// pullExpiry and pullHeartbeat: a pull request lasts pullExpiry; a
	// lost request, server or consumer is noticed after two heartbeats.
	// The fault drills (loadtest) showed that after a NATS node dies the
	// handlers whose pull went through it stall for those two heartbeats:
	// a second each keeps a page's delay to a few seconds, not ten.
	pullExpiry    = 30 * time.Second
	pullHeartbeat = time.Second
	// repullCheck is how long a subscription waits for a message before
	// making sure a pull request is outstanding (see next).
	repullCheck = 250 * time.Millisecond
)

// restartRetry is how a failed pull subscription is recreated: every
// error but a closed connection, until the subscription ends, waiting
// from 100 ms up to 5 s between tries.
var restartRetry = transient.Policy{Wait: 100 * time.Millisecond, MaxWait: 5 * time.Second,
	Retry: func(err error) bool { return !errors.Is(err, nats.ErrConnectionClosed) }}

// Subscriber reads topics through durable JetStream pull consumers.
type Subscriber struct {
	js     jetstream.JetStream
	cfg    SubscriberConfig
	logger watermill.LoggerAdapter

	mu      sync.Mutex // guards closed, cancels and wg.Add against Close
	closed  bool
	cancels map[*subscription]context.CancelFunc // of running subscriptions
	wg      sync.WaitGroup
	acks    sync.WaitGroup // ack confirmations in flight
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

// NewSubscriber returns a Subscriber over js. A nil logger logs nothing.
func NewSubscriber(js jetstream.JetStream, cfg SubscriberConfig, logger watermill.LoggerAdapter) (*Subscriber, error) {
	if js == nil {
		return nil, errors.New("wmjetstream: nil JetStream")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wmjetstream: %w", err)
	}
	cfg.setDefaults()
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Subscriber{js: js, cfg: cfg, logger: logger, cancels: map[*subscription]context.CancelFunc{}}, nil
}

// SubscribeInitialize creates or updates topic's durable consumer without
// subscribing.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	_, err := s.consumer(context.Background(), topic)
	return err
}

// Subscribe creates or updates topic's durable consumer and returns a
// channel of its messages. The next message is sent once the previous one
// was acked or nacked. The channel is closed when ctx is done, when the
// Subscriber is closed, or when the NATS connection is closed. Subscribing
// several times to a topic (in one process or many) shares the consumer's
// messages between the subscriptions.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	cons, err := s.consumer(ctx, topic)
	if err != nil {
		return nil, err
	}
	it, err := s.messages(cons)
	if err != nil {
		return nil, fmt.Errorf("pull from %s: %w", cons.CachedInfo().Name, err)
	}
	out := make(chan *message.Message)
	sub := &subscription{
		s:       s,
		topic:   topic,
		durable: cons.CachedInfo().Name,
		out:     out,
		logger:  s.logger.With(watermill.LogFields{"topic": topic, "consumer": cons.CachedInfo().Name}),
	}
	if s.cfg.Key != nil {
		sub.keyed = newKeyed(s.cfg.LookAhead, s.cfg.InFlight)
	}
	subCtx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		it.Stop()
		return nil, ErrClosed
	}
	s.cancels[sub] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer s.forget(sub)
		sub.run(subCtx, it)
	}()
	return out, nil
}

func (s *Subscriber) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// forget releases a subscription that ended.
func (s *Subscriber) forget(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancels[sub]()
	delete(s.cancels, sub)
}

// Close stops every subscription, nacks the messages they hold (a handler
// still running loses its ack: the message is redelivered), closes their
// channels and returns when that is done. It does not close the NATS
// connection. Calling it again does nothing.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, cancel := range s.cancels {
		cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.acks.Wait()
	return nil
}

func (s *Subscriber) consumer(ctx context.Context, topic string) (jetstream.Consumer, error) {
	cc, err := s.cfg.consumerConfig(topic)
	if err != nil {
		return nil, err
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.cfg.Stream, cc)
	if err != nil {
		return nil, fmt.Errorf("consumer %s on %s: %w", cc.Durable, s.cfg.Stream, err)
	}
	return cons, nil
}

// messages starts pulling from cons. The server sends a heartbeat every
// pullHeartbeat while a pull request waits; two missed ones make the
// iterator report ErrNoHeartbeat and send a new request.
func (s *Subscriber) messages(cons jetstream.Consumer) (jetstream.MessagesContext, error) {
	return cons.Messages(
		jetstream.PullMaxMessages(s.cfg.FetchBatch),
		jetstream.PullExpiry(pullExpiry),
		jetstream.PullHeartbeat(pullHeartbeat),
	)
}

// subscription is one Subscribe call: one goroutine pulling from the
// consumer and handing messages to out, one at a time or, with a Key, as
// keyed.go says.
type subscription struct {
	s       *Subscriber
	topic   string
	durable string
	out     chan<- *message.Message
	logger  watermill.LoggerAdapter
	keyed   *keyed // nil: one message at a time
}

// run delivers messages until ctx is done or the connection is closed. When
// the pull subscription fails for good (the consumer was deleted, say), it
// recreates the consumer and pulls again.
func (sub *subscription) run(ctx context.Context, it jetstream.MessagesContext) {
	if sub.keyed != nil {
		// Messages in flight end with ctx; out closes after them.
		defer sub.keyed.wg.Wait()
	}
	for {
		err := sub.pull(ctx, it)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, jetstream.ErrConnectionClosed) {
			sub.logger.Error("NATS connection closed; subscription ends", err, nil)
			return
		}
		sub.logger.Error("Pull subscription failed; recreating it", err, nil)
		if it = sub.restart(ctx); it == nil {
			return
		}
	}
}

// pull delivers messages from it until ctx is done or it fails for good,
// then drains it, nacking what it still buffers.
func (sub *subscription) pull(ctx context.Context, it jetstream.MessagesContext) error {
	defer sub.drain(it)
	for {
		jm, err := sub.next(ctx, it)
		switch {
		case err == nil && sub.keyed != nil:
			sub.dispatch(ctx, jm)
		case err == nil:
			sub.deliver(ctx, jm)
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, jetstream.ErrMsgIteratorClosed),
			errors.Is(err, jetstream.ErrConsumerDeleted),
			errors.Is(err, jetstream.ErrBadRequest):
			return err
		case errors.Is(err, jetstream.ErrNoHeartbeat):
			// A single server deletes a consumer without telling the
			// clients pulling from it: they only stop hearing from it.
			if err := sub.checkConsumer(ctx); err != nil {
				return err
			}
		default:
			// Leadership changes and the like: the iterator recovers by
			// itself.
			sub.logger.Debug("Pull subscription reported an error", watermill.LogFields{"err": err})
		}
	}
}

// checkConsumer returns an error when the consumer no longer exists.
func (sub *subscription) checkConsumer(ctx context.Context) error {
	_, err := sub.s.js.Consumer(ctx, sub.s.cfg.Stream, sub.durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return err
	}
	return nil
}

// next waits for the next message.
//
// nats.go v1.55.0's iterator skips sending a pull request when the previous
// one is still marked in flight, which happens when the reply arrives
// before its sending goroutine is done (seen under -race on a loaded
// machine). With no request outstanding, nothing wakes it up until its
// heartbeat check gives up (twice the heartbeat). So the first wait is
// short: calling Next again re-runs that check, and sends the request if it
// was skipped. The second wait is unbounded, which lets the iterator's
// heartbeat check work (it restarts with every Next call).
func (sub *subscription) next(ctx context.Context, it jetstream.MessagesContext) (jetstream.Msg, error) {
	short, cancel := context.WithTimeout(ctx, repullCheck)
	jm, err := it.Next(jetstream.NextContext(short))
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return jm, err
	}
	return it.Next(jetstream.NextContext(ctx))
}

// drain stops it and nacks the messages it had already received, so that
// other subscribers get them without waiting for AckWait.
func (sub *subscription) drain(it jetstream.MessagesContext) {
	it.Drain()
	for {
		jm, err := it.Next(jetstream.NextMaxWait(drainTimeout))
		if err != nil {
			it.Stop()
			return
		}
		if err := jm.Nak(); err != nil {
			sub.logger.Debug("Nak on drain failed", watermill.LogFields{"err": err})
		}
	}
}

// restart recreates the consumer and its pull subscription, after a
// short pause and then waiting longer after each failure (restartRetry);
// it returns nil when ctx is done first or the connection is closed.
func (sub *subscription) restart(ctx context.Context) jetstream.MessagesContext {
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(restartRetry.Wait):
	}
	var it jetstream.MessagesContext
	err := transient.Do(ctx, restartRetry, func(ctx context.Context) error {
		cons, err := sub.s.consumer(ctx, sub.topic)
		if err == nil {
			it, err = sub.s.messages(cons)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, nats.ErrConnectionClosed) {
			sub.logger.Error("Recreating pull subscription failed", err, nil)
		}
		return err
	})
	if errors.Is(err, nats.ErrConnectionClosed) {
		sub.logger.Error("NATS connection closed; subscription ends", err, nil)
	}
	if err != nil {
		return nil
	}
	return it
}

// deliver hands one message to the subscriber's channel and settles it on
// the server once the handler acked or nacked it. Until then it sends
// InProgress so that the server does not redeliver it elsewhere.
func (sub *subscription) deliver(ctx context.Context, jm jetstream.Msg) { sub.hand(ctx, jm, false) }

// hand is deliver; with keepOnNack a nacked message is not settled on the
// server, and hand reports true: the caller hands it over again.
func (sub *subscription) hand(ctx context.Context, jm jetstream.Msg, keepOnNack bool) (nacked bool) {
	meta, err := jm.Metadata()
	if err != nil {
		// Not a JetStream delivery: nothing to ack, nothing to hand over.
		sub.logger.Error("Message without JetStream metadata dropped", err, watermill.LogFields{"subject": jm.Subject()})
		return false
	}
	fields := watermill.LogFields{"stream_seq": meta.Sequence.Stream, "num_delivered": meta.NumDelivered}
	if ctx.Err() != nil {
		sub.nakOnClose(jm, fields)
		return false
	}
	msg, err := sub.s.cfg.Unmarshaler.Unmarshal(jm)
	if err != nil {
		// It will never decode: stop its redelivery. The server publishes a
		// TERMINATED advisory; the message stays in the stream.
		sub.logger.Error("Undecodable message terminated", err, fields)
		if err := jm.TermWithReason("wmjetstream: unmarshal failed"); err != nil {
			sub.logger.Error("Term failed", err, fields)
		}
		return false
	}
	setDeliveryMetadata(msg, jm, meta)
	fields["uuid"] = msg.UUID

	msgCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	msg.SetContext(msgCtx)

	keepalive := time.NewTicker(max(sub.s.cfg.ackWaitFor(meta.NumDelivered)/3, time.Millisecond))
	defer keepalive.Stop()

	out := sub.out
	for {
		select {
		case out <- msg:
			out = nil
		case <-msg.Acked():
			sub.ack(jm, fields)
			return false
		case <-msg.Nacked():
			if keepOnNack {
				return true
			}
			sub.nack(jm, meta, fields)
			return false
		case <-keepalive.C:
			if err := jm.InProgress(); err != nil {
				sub.logger.Debug("InProgress failed", fields.Add(watermill.LogFields{"err": err}))
			}
		case <-ctx.Done():
			select {
			case <-msg.Acked():
				sub.ack(jm, fields)
			default:
				sub.nakOnClose(jm, fields)
			}
			return false
		}
	}
}

// nakOnClose hands a message back at once when its subscription stops. A
// handler still running will have its ack ignored.
func (sub *subscription) nakOnClose(jm jetstream.Msg, fields watermill.LogFields) {
	if err := jm.Nak(); err != nil {
		sub.logger.Debug("Nak on close failed", fields.Add(watermill.LogFields{"err": err}))
	}
}

// ack sends the ack and has its confirmation awaited in the background,
// so the next message is not held up by the round trip (on a replicated
// consumer the ack is a consensus write). An unconfirmed ack may be lost,
// and the message redelivered: handlers are idempotent, so this is only
// logged. Close waits for the confirmations, so when it returns every ack
// given before has reached the server.
func (sub *subscription) ack(jm jetstream.Msg, fields watermill.LogFields) {
	sub.s.acks.Add(1)
	go func() {
		defer sub.s.acks.Done()
		ctx, cancel := context.WithTimeout(context.Background(), ackConfirmTimeout)
		defer cancel()
		if err := jm.DoubleAck(ctx); err != nil {
			sub.logger.Error("Ack not confirmed; the message may be redelivered", err, fields)
		}
	}()
}

func (sub *subscription) nack(jm jetstream.Msg, meta *jetstream.MsgMetadata, fields watermill.LogFields) {
	cfg := sub.s.cfg
	if cfg.MaxDeliver > 0 && meta.NumDelivered >= uint64(cfg.MaxDeliver) {
		sub.logger.Error("Message nacked on its last delivery; the server will not redeliver it", nil,
			fields.Add(watermill.LogFields{"max_deliver": cfg.MaxDeliver}))
	}
	var err error
	if d := cfg.nackDelayFor(meta.NumDelivered); d > 0 {
		err = jm.NakWithDelay(d)
	} else {
		err = jm.Nak()
	}
	if err != nil {
		sub.logger.Error("Nak failed; the message is redelivered after its ack wait", err, fields)
	}
}

func setDeliveryMetadata(msg *message.Message, jm jetstream.Msg, meta *jetstream.MsgMetadata) {
	msg.Metadata.Set(MetadataStream, meta.Stream)
	msg.Metadata.Set(MetadataStreamSeq, strconv.FormatUint(meta.Sequence.Stream, 10))
	msg.Metadata.Set(MetadataConsumerSeq, strconv.FormatUint(meta.Sequence.Consumer, 10))
	msg.Metadata.Set(MetadataNumDelivered, strconv.FormatUint(meta.NumDelivered, 10))
	msg.Metadata.Set(MetadataSubject, jm.Subject())
	msg.Metadata.Set(MetadataTimestamp, meta.Timestamp.UTC().Format(time.RFC3339Nano))
}
