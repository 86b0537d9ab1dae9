package wmjetstream

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	defaultAckWait    = 30 * time.Second
	defaultMaxDeliver = 10
	defaultFetchBatch = 1
	defaultInFlight   = 64
	// maxDurableLen keeps generated consumer names short enough to be
	// directory names in the server's file store.
	maxDurableLen = 128
)

// SubscriberConfig configures a Subscriber. Zero values take the defaults
// given per field.
type SubscriberConfig struct {
	// Stream is the stream holding the subscribed subjects. Required; the
	// stream must exist.
	Stream string

	// ConsumerGroup names the durable consumers when Durable is nil: one
	// consumer per group and topic, shared by every Subscriber (and every
	// process) using the same group. Required unless Durable is set.
	ConsumerGroup string

	// Durable returns the durable consumer name for a topic. Default:
	// ConsumerGroup + "_" + topic with every character other than ASCII
	// letters, digits, '-' and '_' replaced by '_'; when anything was
	// replaced or the name is longer than 128 bytes, it is shortened and a
	// hash of the original is appended, so two topics never share a name.
	Durable func(topic string) string

	// FilterSubject returns the consumer's filter subject for a topic.
	// Default: the topic itself. It should match what
	// PublisherConfig.Subject returns for the same topic.
	FilterSubject func(topic string) string

	// AckWait is how long the server waits for an ack before redelivering.
	// Default 30s, or BackOff[0] when BackOff is set (the server uses
	// BackOff[0] as the ack wait; another value is an error). A running
	// handler keeps its message with InProgress, so this bounds how long a
	// crashed process holds a message, not how long a handler may take.
	AckWait time.Duration

	// MaxDeliver is how many times a message is delivered before the server
	// gives up on it for this consumer (it stays in the stream, and the
	// server publishes a MAX_DELIVERIES advisory). Default 10; -1 means no
	// limit.
	MaxDeliver int

	// BackOff, when set, is the server's redelivery wait after each
	// delivery that was neither acked nor nacked (BackOff[n-1] after the
	// n-th delivery, the last value repeating). It is also the nack delay
	// when NackDelay is zero. At most MaxDeliver entries.
	BackOff []time.Duration

	// MaxAckPending is how many messages the consumer may have delivered
	// and unacked across all subscribers. Zero: the server's default
	// (1000); -1: no limit.
	MaxAckPending int

	// FetchBatch is how many messages one pull request asks for. Default 1:
	// a subscription then holds only the message its handler has. With
	// more, the next messages wait in the client's buffer while their ack
	// wait runs, unprotected by InProgress: keep FetchBatch times the
	// typical handler time well below AckWait.
	FetchBatch int

	// Key, when set, lets a subscription hand the handler several messages
	// at once: messages whose keys differ (say, two conversations) are
	// handled in parallel, messages with the same key one after another in
	// the order the consumer delivered them. A nacked message keeps its
	// key: it is handed over again in this process after NackDelay, before
	// any later message of that key, instead of going back to the server.
	// The key is computed from the subject. Nil: one message at a time.
	Key func(subject string) string

	// InFlight is how many messages a keyed subscription holds at once,
	// handled or waiting behind one of their key (Key only). Default 64.
	// Keep it at most MaxAckPending divided by the number of subscribers.
	InFlight int

	// Urgent, when set (Key only), is asked of every message a keyed
	// subscription receives, with its subject and data: true puts its key
	// first. Of the messages waiting for a turn to be handed over (more
	// are held than InFlight are handled: LookAhead), the next is the
	// first one of a key holding an urgent message, before those that
	// came earlier: the urgent message itself or, in the key's order, the
	// ones before it. A crisis text found behind a backlog is handled
	// before the backlog, its conversation's earlier messages first.
	Urgent func(ctx context.Context, subject string, data []byte) bool

	// LookAhead is how many messages a keyed subscription holds at once
	// (Key only), of which InFlight are handed over at a time; the rest
	// wait their turn, and Urgent picks who goes first. Default, and at
	// least, InFlight. Keep it at most MaxAckPending divided by the number
	// of subscribers. Every message held is unacknowledged: one that a
	// process dying holds is redelivered after AckWait.
	LookAhead int

	// NackDelay is how long the server waits before redelivering a nacked
	// message. Zero: BackOff[n-1] for the n-th delivery when BackOff is
	// set, otherwise immediately.
	NackDelay time.Duration

	// DeliverPolicy is where a new consumer starts: DeliverAllPolicy (the
	// default), DeliverLastPolicy, DeliverNewPolicy or
	// DeliverLastPerSubjectPolicy. An existing consumer keeps its position.
	DeliverPolicy jetstream.DeliverPolicy

	// Unmarshaler turns received messages into watermill messages. Default
	// HeaderMarshaler.
	Unmarshaler Unmarshaler
}

func (c *SubscriberConfig) setDefaults() {
	if c.Durable == nil {
		group := c.ConsumerGroup
		c.Durable = func(topic string) string { return durableName(group, topic) }
	}
	if c.FilterSubject == nil {
		c.FilterSubject = func(topic string) string { return topic }
	}
	if c.AckWait == 0 {
		c.AckWait = defaultAckWait
		if len(c.BackOff) > 0 {
			c.AckWait = c.BackOff[0]
		}
	}
	c.MaxDeliver = cmp.Or(c.MaxDeliver, defaultMaxDeliver)
	c.FetchBatch = cmp.Or(c.FetchBatch, defaultFetchBatch)
	if c.Unmarshaler == nil {
		c.Unmarshaler = HeaderMarshaler{}
	}
	c.InFlight = cmp.Or(c.InFlight, defaultInFlight)
	c.LookAhead = max(c.LookAhead, c.InFlight)
}

// Validate reports the first invalid field. Zero values are valid: they
// stand for the defaults.
func (c SubscriberConfig) Validate() error {
	switch {
	case c.Stream == "":
		return errors.New("SubscriberConfig.Stream is empty")
	case c.Durable == nil && c.ConsumerGroup == "":
		return errors.New("SubscriberConfig needs a ConsumerGroup or a Durable function")
	case c.AckWait < 0:
		return fmt.Errorf("SubscriberConfig.AckWait %s is negative", c.AckWait)
	case c.MaxDeliver < -1:
		return fmt.Errorf("SubscriberConfig.MaxDeliver %d: want -1 (no limit), 0 (default) or more", c.MaxDeliver)
	case c.MaxAckPending < -1:
		return fmt.Errorf("SubscriberConfig.MaxAckPending %d: want -1 (no limit), 0 (default) or more", c.MaxAckPending)
	case c.FetchBatch < 0:
		return fmt.Errorf("SubscriberConfig.FetchBatch %d is negative", c.FetchBatch)
	case c.NackDelay < 0:
		return fmt.Errorf("SubscriberConfig.NackDelay %s is negative", c.NackDelay)
	case c.InFlight < 0:
		return fmt.Errorf("SubscriberConfig.InFlight %d is negative", c.InFlight)
	case c.LookAhead < 0:
		return fmt.Errorf("SubscriberConfig.LookAhead %d is negative", c.LookAhead)
	case c.Urgent != nil && c.Key == nil:
		return errors.New("SubscriberConfig.Urgent needs a Key")
	}
	switch c.DeliverPolicy {
	case jetstream.DeliverAllPolicy, jetstream.DeliverLastPolicy, jetstream.DeliverNewPolicy, jetstream.DeliverLastPerSubjectPolicy:
	default:
		return fmt.Errorf("SubscriberConfig.DeliverPolicy %s is not supported", c.DeliverPolicy)
	}
	return c.validateBackOff()
}

func (c SubscriberConfig) validateBackOff() error {
	if len(c.BackOff) == 0 {
		return nil
	}
	for i, d := range c.BackOff {
		if d <= 0 {
			return fmt.Errorf("SubscriberConfig.BackOff[%d] %s is not positive", i, d)
		}
	}
	maxDeliver := c.MaxDeliver
	if maxDeliver == 0 {
		maxDeliver = defaultMaxDeliver
	}
	if maxDeliver != -1 && len(c.BackOff) > maxDeliver {
		return fmt.Errorf("SubscriberConfig.BackOff has %d entries, more than MaxDeliver %d", len(c.BackOff), maxDeliver)
	}
	if c.AckWait != 0 && c.AckWait != c.BackOff[0] {
		return fmt.Errorf("SubscriberConfig.AckWait %s differs from BackOff[0] %s, which the server would use", c.AckWait, c.BackOff[0])
	}
	return nil
}

// consumerConfig is the durable consumer for topic.
func (c SubscriberConfig) consumerConfig(topic string) (jetstream.ConsumerConfig, error) {
	name := c.Durable(topic)
	if err := checkName(name); err != nil {
		return jetstream.ConsumerConfig{}, fmt.Errorf("durable name for topic %q: %w", topic, err)
	}
	filter := c.FilterSubject(topic)
	if filter == "" {
		return jetstream.ConsumerConfig{}, fmt.Errorf("empty filter subject for topic %q", topic)
	}
	return jetstream.ConsumerConfig{
		Durable:       name,
		Description:   "watermill subscription to " + topic,
		DeliverPolicy: c.DeliverPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    c.MaxDeliver,
		BackOff:       c.BackOff,
		FilterSubject: filter,
		MaxAckPending: c.MaxAckPending,
	}, nil
}

// ackWaitFor is the server's redelivery wait for the numDelivered-th
// delivery of a message.
func (c SubscriberConfig) ackWaitFor(numDelivered uint64) time.Duration {
	if len(c.BackOff) == 0 {
		return c.AckWait
	}
	i := min(int(max(numDelivered, 1)-1), len(c.BackOff)-1)
	return c.BackOff[i]
}

// nackDelayFor is the redelivery delay asked for when the numDelivered-th
// delivery is nacked; zero means at once.
func (c SubscriberConfig) nackDelayFor(numDelivered uint64) time.Duration {
	if c.NackDelay > 0 || len(c.BackOff) == 0 {
		return c.NackDelay
	}
	return c.ackWaitFor(numDelivered)
}

// checkName rejects what JetStream does not accept in a consumer name.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > 255 {
		return fmt.Errorf("name %q is longer than 255 bytes", name)
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(".*>/\\", r) {
			return fmt.Errorf("name %q contains %q", name, r)
		}
	}
	return nil
}

// durableName derives a consumer name from a group and a topic that is
// valid, at most maxDurableLen bytes, and distinct for distinct inputs.
func durableName(group, topic string) string {
	raw := group + "_" + topic
	var b strings.Builder
	changed := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		changed = true
	}
	name := b.String()
	if !changed && len(name) <= maxDurableLen {
		return name
	}
	sum := sha256.Sum256([]byte(raw))
	suffix := "_" + hex.EncodeToString(sum[:6])
	if len(name) > maxDurableLen-len(suffix) {
		name = name[:maxDurableLen-len(suffix)]
	}
	return name + suffix
}

// PublisherConfig configures a Publisher. Zero values take the defaults
// given per field.
type PublisherConfig struct {
	// Subject returns the subject a topic's messages are published on.
	// Default: the topic itself. A stream must cover it.
	Subject func(topic string) string

	// Marshaler turns watermill messages into NATS messages. Default
	// HeaderMarshaler.
	Marshaler Marshaler

	// MsgID returns the Nats-Msg-Id the stream deduplicates by. Default:
	// subject + ":" + msg.UUID. The subject is part of it because watermill
	// republishes a message with the same UUID to other topics (the poison
	// queue, forwarders, fan-out), which a stream covering both subjects
	// would otherwise drop as a duplicate within its dedupe window.
	MsgID func(subject string, msg *message.Message) string
}

func (c *PublisherConfig) setDefaults() {
	if c.Subject == nil {
		c.Subject = func(topic string) string { return topic }
	}
	if c.Marshaler == nil {
		c.Marshaler = HeaderMarshaler{}
	}
	if c.MsgID == nil {
		c.MsgID = func(subject string, msg *message.Message) string { return subject + ":" + msg.UUID }
	}
}

// Validate reports the first invalid field. Every field may be left zero.
func (c PublisherConfig) Validate() error {
	return nil
}
