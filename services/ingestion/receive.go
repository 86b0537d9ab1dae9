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
	"github.com/helpline-org/helpline/internal/consume"
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

// Log is the event log: append, and read an aggregate whole or only what
// it gained since a sequence.
type Log = events.AppendLog

// Index remembers, per client, that it is registered and which
// conversation is open. It holds ids only. A new conversation is claimed
// in it before it is started, with the revision the claimant read, so two
// first texts of one client arriving at once open one conversation.
type Index interface {
	Get(ctx context.Context, clientID string) (IndexEntry, error)
	// Register records the client with no conversation unless it is
	// registered already.
	Register(ctx context.Context, clientID string) error
	// Claim makes conversationID the client's conversation if the entry
	// is still at rev; an error wrapping ErrClaimed if it moved.
	Claim(ctx context.Context, clientID, conversationID string, rev uint64) error
	// Received returns the conversation a message (by event id) was
	// recorded in, if it is remembered; RecordReceived remembers it.
	Received(ctx context.Context, eventID string) (conversationID string, ok bool, err error)
	RecordReceived(ctx context.Context, eventID, conversationID string) error
}

// IndexEntry is one client's entry in the Index.
type IndexEntry struct {
	// ConversationID is the conversation last claimed for the client ("" for
	// none yet). It may be closed, or claimed and not yet started.
	ConversationID string
	Registered     bool
	Revision       uint64
}

// ErrClaimed means another message of the client's claimed a conversation
// first: follow its claim.
var ErrClaimed = errors.New("the client's conversation was claimed meanwhile")

// Receiver is the use case "a client's message arrives".
type Receiver struct {
	lines   Lines
	ids     Identities
	seal    Sealer
	index   Index
	duty    *Duty
	convs   *events.Conversations
	clients *events.Clients
	now     func() time.Time
	logger  zerolog.Logger
}

// NewReceiver wires the use case. It keeps recently seen conversations
// folded (events.Conversations), so a webhook reads only what a
// conversation gained since the client's last message. duty, when not nil,
// answers texts from staff work phones (nil: every sender is a client).
func NewReceiver(lines Lines, ids Identities, seal Sealer, log Log, index Index, duty *Duty, now func() time.Time, logger zerolog.Logger) *Receiver {
	convs, _ := events.NewConversations(log, events.DefaultConversationCacheSize) // size > 0: cannot fail
	return &Receiver{lines: lines, ids: ids, seal: seal, index: index, duty: duty, convs: convs, clients: events.NewClients(log), now: now, logger: logger}
}

// InboundSMS is one message from Twilio's webhook.
type InboundSMS struct {
	MessageSid string
	From, To   string
	Body       string
}

// Receipt says where a message went. It holds no content.
type Receipt struct {
	// StaffID is set when the text came from a staff work phone: it went
	// to no conversation, and Answer is what to text back. A client's
	// HELP is answered too (the line's help_reply).
	StaffID        string
	Answer         string
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

// ReceiveSMS records an inbound SMS durably. When it returns nil the
// message is in the log; the same MessageSid again is the same event.
func (r *Receiver) ReceiveSMS(ctx context.Context, in InboundSMS) (Receipt, error) {
	line, ok := r.lines.LineByNumber(in.To)
	if !ok {
		return Receipt{}, ErrUnknownLine
	}
	// A staff work phone answering a page is never a client: nothing of
	// it enters a conversation but the answer's decision.
	if st, ok := r.staff(in.From); ok {
		answer, err := r.duty.Answer(ctx, st, line, in)
		return Receipt{StaffID: st.ID, Answer: answer, LineID: line.ID, EventID: "sms-" + strings.ToLower(in.MessageSid)}, err
	}
	eventID := "sms-" + strings.ToLower(in.MessageSid)
	// The same message again (a retry, a replay) records nothing, even
	// once its conversation has closed and another opened.
	if convID, seen, err := r.index.Received(ctx, eventID); err != nil {
		return Receipt{}, unavailable("message index", err)
	} else if seen {
		// A retried HELP gets its answer again: Twilio retries only when
		// our first answer did not reach it, so the client never got it.
		return Receipt{LineID: line.ID, EventID: eventID, ConversationID: convID, Duplicate: true, Answer: helpAnswer(line, in.Body)}, nil
	}
	clientID, err := r.ids.ClientID(ctx, line.ID, in.From)
	if err != nil {
		return Receipt{}, unavailable("client id", err)
	}
	rc := Receipt{ClientID: clientID, Pseudonym: r.ids.Pseudonym(clientID), LineID: line.ID, EventID: eventID}
	meta := events.Meta{CorrelationID: rc.EventID, OccurredAt: r.now()}
	entry, err := r.ensureClient(ctx, line.ID, clientID, rc.Pseudonym, events.ChannelSMS, in.From, meta)
	if err != nil {
		return rc, err
	}
	body, err := r.seal.Seal(ctx, clientID, []byte(in.Body), events.BodyAAD(rc.EventID))
	if err != nil {
		return rc, unavailable("seal body", err)
	}
	receive := func(c *events.Conversation) error {
		// An option number in answer to the survey of a closed
		// conversation is its answer, not a message: it does not reopen.
		if answered, err := c.AnswerSurvey(rc.EventID, in.Body, line.AnswerWindow(), meta); err != nil || answered {
			return err
		}
		return c.Receive(rc.EventID, in.MessageSid, events.Sealed{KeyID: clientID, Data: body}, line.ReopenWindow.Duration, meta)
	}
	start := func(c *events.Conversation) error {
		return c.Start(line.ID, clientID, rc.Pseudonym, events.ChannelSMS, meta)
	}
	// A new conversation takes its id from the message that opened it, so a
	// retried webhook opens the same conversation, not a second one.
	rc.ConversationID, rc.Duplicate, err = r.appendToConversation(ctx, clientID, entry, "cv-"+rc.EventID[len("sms-"):], start, receive)
	if err != nil {
		return rc, err
	}
	if kw, consent, ok := ConsentKeyword(in.Body); ok {
		rc.Consent = consent
		if _, err := r.clients.Update(ctx, clientID, func(c *events.Client) error { return c.ChangeConsent(consent, kw, rc.EventID, meta) }); err != nil {
			return rc, err
		}
	}
	if rc.Answer = helpAnswer(line, in.Body); rc.Answer != "" {
		// Recorded before it is answered, so the worker sees what the
		// client was told; the message itself stays in the conversation
		// for triage and a worker ("HELP" may be a cry, not a keyword).
		sendID := events.HelpSendPrefix + rc.EventID
		if _, err := r.convs.Update(ctx, rc.ConversationID, func(c *events.Conversation) error {
			return c.RecordSent(sendID, events.SendAutoReply, "", meta)
		}); err != nil {
			return rc, err
		}
	}
	if err := r.index.RecordReceived(ctx, rc.EventID, rc.ConversationID); err != nil {
		// The message is durable: a retry finds it in its conversation.
		r.logger.Warn().Err(err).Str("event", rc.EventID).Msg("message index not updated")
	}
	return rc, nil
}

// helpAnswer is the line's help_reply when body is HELP or INFO (as the
// carriers match keywords), else "".
func helpAnswer(line config.Line, body string) string {
	if _, consent, ok := ConsentKeyword(body); ok && consent == events.ConsentHelpRequested {
		return line.HelpReply
	}
	return ""
}

// Specs are the receiver's followers of the log: the pages staff were
// sent, which their SMS answers act on (none without staff recognition).
func (r *Receiver) Specs() []consume.Spec {
	if r.duty == nil {
		return nil
	}
	return r.duty.Specs()
}

// Paged returns the pages staffID was sent lately, newest first, as far
// as this process has read the log.
func (r *Receiver) Paged(staffID string) []PageRef {
	if r.duty == nil {
		return nil
	}
	return r.duty.pages.Recent(staffID)
}

func (r *Receiver) staff(e164 string) (config.Staff, bool) {
	if r.duty == nil {
		return config.Staff{}, false
	}
	return r.duty.Staff(e164)
}

// ensureClient registers a client the first time it is seen: its
// pseudonym, and its contact sealed with its own key. It returns the
// client's index entry: the one index read of a returning client's
// message.
func (r *Receiver) ensureClient(ctx context.Context, lineID, clientID, pseudonym, channel, contact string, meta events.Meta) (IndexEntry, error) {
	entry, err := r.index.Get(ctx, clientID)
	if err != nil {
		return IndexEntry{}, unavailable("index", err)
	}
	if entry.Registered {
		return entry, nil
	}
	var sealed []byte
	if contact != "" {
		if sealed, err = r.seal.Seal(ctx, clientID, []byte(contact), events.ContactAAD(clientID)); err != nil {
			return IndexEntry{}, unavailable("seal contact", err)
		}
	}
	// A client registers once: another replica (or an earlier attempt)
	// may have registered it already, and then this records nothing.
	if _, err := r.clients.Create(ctx, clientID, func(c *events.Client) error {
		return c.Register(lineID, pseudonym, channel, events.Sealed{KeyID: clientID, Data: sealed}, meta)
	}); err != nil {
		return IndexEntry{}, err
	}
	if err := r.index.Register(ctx, clientID); err != nil {
		return IndexEntry{}, unavailable("index", err)
	}
	// Read it back for its revision: another first text of the client's
	// may have claimed a conversation in between.
	if entry, err = r.index.Get(ctx, clientID); err != nil {
		return IndexEntry{}, unavailable("index", err)
	}
	return entry, nil
}

// claimAttempts bounds how often one message follows another's claim of
// the client's conversation: each try that loses found a newer claim,
// which only another message of the same client can make.
const claimAttempts = 8

// appendToConversation records a message (receive) in the client's latest
// conversation (reopening it when it was closed within the line's reopen
// window), or, when there is none or it was closed longer ago, in a new
// one, newID, started by start in the same append. Each append carries
// the conversation's expected sequence, so a message never lands in a
// conversation closed a moment before. A new conversation is claimed in
// the index first (compare-and-set on the revision read), so messages of
// one client arriving together all join the one that claimed first; a
// claimed conversation not started yet (its message still on its way, or
// its process died) is started by whichever message gets there first. It
// reports whether the message was in the log already (a retried webhook).
func (r *Receiver) appendToConversation(ctx context.Context, clientID string, entry IndexEntry, newID string, start, receive func(*events.Conversation) error) (string, bool, error) {
	startAndReceive := func(c *events.Conversation) error {
		if err := start(c); err != nil {
			return err
		}
		return receive(c)
	}
	for range claimAttempts {
		if convID := entry.ConversationID; convID != "" {
			saved, err := r.convs.Update(ctx, convID, receive)
			if errors.Is(err, events.ErrNotFound) {
				saved, err = r.convs.Create(ctx, convID, startAndReceive)
			}
			if err == nil {
				return convID, len(saved.Appended) == 0 || saved.Duplicate(), nil
			}
			if !errors.Is(err, events.ErrClosed) {
				return "", false, err
			}
		}
		err := r.index.Claim(ctx, clientID, newID, entry.Revision)
		if err == nil {
			saved, err := r.convs.Create(ctx, newID, startAndReceive)
			if err != nil {
				return "", false, err
			}
			return newID, len(saved.Appended) == 0 || saved.Duplicate(), nil
		}
		if !errors.Is(err, ErrClaimed) {
			return "", false, unavailable("index", err)
		}
		if entry, err = r.index.Get(ctx, clientID); err != nil {
			return "", false, unavailable("index", err)
		}
	}
	return "", false, fmt.Errorf("%w: client %s: its conversation kept being claimed by other messages", events.ErrConcurrency, clientID)
}
