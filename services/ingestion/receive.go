// Package ingestion takes messages in: Twilio's SMS webhook and delivery
// callbacks, and web chat. It maps a phone number to a pseudonymous client,
// seals bodies and numbers with the client's data key, records consent
// keywords, and answers a provider only once the event is durable in the
// log. Nothing it logs contains a body or a number.
package ingestion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// Errors the HTTP ports map to status codes.
var (
	ErrUnknownLine = errors.New("no line has that number")
	ErrBadInput    = errors.New("bad input")
)

// Lines finds the line clients reach at a number.
type Lines interface {
	LineByNumber(number string) (config.Line, bool)
}

// Identities maps a line and a phone number to the client's current id
// (a keyed hash; a new one after the client was erased) and pseudonym.
type Identities interface {
	ClientID(ctx context.Context, lineID, e164 string) (string, error)
	Pseudonym(clientID string) string
}

// Sealer encrypts content with one client's data key.
type Sealer interface {
	Seal(ctx context.Context, clientID string, plaintext, aad []byte) ([]byte, error)
}

// Log is the event log.
type Log interface {
	Append(ctx context.Context, expect events.Expect, envs ...events.Envelope) ([]events.Appended, error)
	Load(ctx context.Context, aggregateType, aggregateID string) ([]events.Envelope, uint64, error)
}

// Index remembers, per client, that it is registered and which
// conversation is open. It holds ids only.
type Index interface {
	Get(ctx context.Context, clientID string) (conversationID string, registered bool, err error)
	Put(ctx context.Context, clientID, conversationID string) error
}

// Receiver is the use case "a client's message arrives".
type Receiver struct {
	lines  Lines
	ids    Identities
	seal   Sealer
	log    Log
	index  Index
	convs  *convCache
	now    func() time.Time
	logger zerolog.Logger
}

// NewReceiver wires the use case. A log that also offers Since (an
// events.TailReader, as events.Store is) lets it keep recently seen conversations' state and
// read only what was appended since.
func NewReceiver(lines Lines, ids Identities, seal Sealer, log Log, index Index, now func() time.Time, logger zerolog.Logger) *Receiver {
	return &Receiver{lines: lines, ids: ids, seal: seal, log: log, index: index, convs: newConvCache(log), now: now, logger: logger}
}

// InboundSMS is one message from Twilio's webhook.
type InboundSMS struct {
	MessageSid string
	From, To   string
	Body       string
}

// Receipt says where a message went. It holds no content.
type Receipt struct {
	ConversationID string
	ClientID       string
	Pseudonym      string
	EventID        string
	LineID         string
	Duplicate      bool
	Consent        string
}

// unavailable marks a failure of the platform under the use case (the
// key-value store, the keyring): the message is not durable, and the
// provider should try again or use its fallback. A failure the log's
// boundary already classified keeps its class (a permanent one is a 500).
func unavailable(what string, err error) error {
	if errors.Is(err, events.ErrUnavailable) || errors.Is(err, events.ErrPermanent) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", events.ErrUnavailable, what, err)
}

// maxAppendAttempts bounds retries when a conversation changes between
// reading and appending (a worker closing it, say).
const maxAppendAttempts = 8

// ReceiveSMS records an inbound SMS durably. When it returns nil the
// message is in the log; the same MessageSid again is the same event.
func (r *Receiver) ReceiveSMS(ctx context.Context, in InboundSMS) (Receipt, error) {
	line, ok := r.lines.LineByNumber(in.To)
	if !ok {
		return Receipt{}, ErrUnknownLine
	}
	clientID, err := r.ids.ClientID(ctx, line.ID, in.From)
	if err != nil {
		return Receipt{}, unavailable("client id", err)
	}
	rc := Receipt{ClientID: clientID, Pseudonym: r.ids.Pseudonym(clientID), LineID: line.ID,
		EventID: "sms-" + strings.ToLower(in.MessageSid)}
	meta := events.Meta{CorrelationID: rc.EventID, OccurredAt: r.now()}
	if err := r.ensureClient(ctx, line.ID, clientID, rc.Pseudonym, events.ChannelSMS, in.From, meta); err != nil {
		return rc, err
	}
	body, err := r.seal.Seal(ctx, clientID, []byte(in.Body), events.BodyAAD(rc.EventID))
	if err != nil {
		return rc, unavailable("seal body", err)
	}
	msg := events.MessageReceived{MessageID: rc.EventID, LineID: line.ID, ClientID: clientID, Channel: events.ChannelSMS,
		ProviderMessageID: in.MessageSid, Body: events.Sealed{KeyID: clientID, Data: body}, ReceivedAt: meta.OccurredAt}
	// A new conversation takes its id from the message that opened it, so a
	// retried webhook opens the same conversation, not a second one.
	rc.ConversationID, rc.Duplicate, err = r.appendToConversation(ctx, clientID, "cv-"+rc.EventID[len("sms-"):], line.ID, rc.Pseudonym, events.ChannelSMS, msg, meta)
	if err != nil {
		return rc, err
	}
	if kw, consent, ok := ConsentKeyword(in.Body); ok {
		rc.Consent = consent
		e, err := events.NewWithID("consent-"+rc.EventID, clientID, events.ConsentChanged{LineID: line.ID, Consent: consent, Keyword: kw, MessageID: rc.EventID}, meta)
		if err != nil {
			return rc, err
		}
		if _, err := r.log.Append(ctx, events.ExpectAny, e); err != nil {
			return rc, err
		}
	}
	return rc, nil
}

// ensureClient registers a client the first time it is seen: its
// pseudonym, and its contact sealed with its own key.
func (r *Receiver) ensureClient(ctx context.Context, lineID, clientID, pseudonym, channel, contact string, meta events.Meta) error {
	_, registered, err := r.index.Get(ctx, clientID)
	if err != nil {
		return unavailable("index", err)
	}
	if registered {
		return nil
	}
	var sealed []byte
	if contact != "" {
		if sealed, err = r.seal.Seal(ctx, clientID, []byte(contact), events.ContactAAD(clientID)); err != nil {
			return unavailable("seal contact", err)
		}
	}
	e, err := events.NewWithID("reg-"+clientID, clientID, events.ClientRegistered{LineID: lineID, Pseudonym: pseudonym, Channel: channel,
		Contact: events.Sealed{KeyID: clientID, Data: sealed}}, meta)
	if err != nil {
		return err
	}
	// ExpectNew: a client registers once. A conflict means another replica
	// (or an earlier attempt) registered it: fine.
	if _, err := r.log.Append(ctx, events.ExpectNew, e); err != nil && !errors.Is(err, events.ErrConcurrency) {
		return err
	}
	if err := r.index.Put(ctx, clientID, ""); err != nil {
		return unavailable("index", err)
	}
	return nil
}

// appendToConversation appends msg to the client's open conversation,
// opening one (with id newID) when there is none or the last was closed.
// The append carries the conversation's expected sequence, so a message
// never lands in a conversation closed a moment before.
func (r *Receiver) appendToConversation(ctx context.Context, clientID, newID, lineID, pseudonym, channel string, msg events.Payload, meta events.Meta) (string, bool, error) {
	for attempt := 0; attempt < maxAppendAttempts; attempt++ {
		convID, _, err := r.index.Get(ctx, clientID)
		if err != nil {
			return "", false, unavailable("index", err)
		}
		var conv convStatus
		if convID != "" {
			if conv, err = r.convs.status(ctx, convID); err != nil {
				return "", false, err
			}
		}
		if !conv.Started || conv.Closed {
			convID = newID
			if conv, err = r.openConversation(ctx, convID, lineID, clientID, pseudonym, channel, meta); err != nil {
				return "", false, err
			}
			if err := r.index.Put(ctx, clientID, convID); err != nil {
				return "", false, unavailable("index", err)
			}
		}
		eventID := meta.CorrelationID
		e, err := events.NewWithID(eventID, convID, msg, meta)
		if err != nil {
			return "", false, err
		}
		acks, err := r.log.Append(ctx, events.ExpectSeq(conv.Version), e)
		if errors.Is(err, events.ErrConcurrency) {
			continue // the conversation moved on: look again
		}
		if err != nil {
			return "", false, err
		}
		r.convs.appended(conv.Version, e, acks[0])
		return convID, acks[0].Duplicate, nil
	}
	return "", false, fmt.Errorf("conversation kept changing: %w", events.ErrConcurrency)
}

// openConversation starts conversation id, or finds it already started
// by an earlier attempt at the same message.
func (r *Receiver) openConversation(ctx context.Context, id, lineID, clientID, pseudonym, channel string, meta events.Meta) (convStatus, error) {
	e, err := events.NewWithID("start-"+id, id, events.ConversationStarted{LineID: lineID, ClientID: clientID, Pseudonym: pseudonym, Channel: channel}, meta)
	if err != nil {
		return convStatus{}, err
	}
	acks, err := r.log.Append(ctx, events.ExpectNew, e)
	if err != nil && !errors.Is(err, events.ErrConcurrency) {
		return convStatus{}, err
	}
	if err == nil {
		r.convs.appended(0, e, acks[0])
	}
	return r.convs.status(ctx, id)
}
