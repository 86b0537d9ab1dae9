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
	"maps"
	"slices"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
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
	// ErasedClientIDs returns the ids the number had on the line before
	// current (each erased), oldest first: none for almost everyone.
	ErasedClientIDs(lineID, e164, current string) []string
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
	// Claim makes conversationID the client's conversation if the entry
	// is still at rev (0: a client with no entry yet, whose first claim
	// writes it); an error wrapping ErrClaimed if it moved.
	// It returns the entry as claimed. first says the client had no
	// conversation before this one (the entry remembers it: Moved).
	Claim(ctx context.Context, clientID, conversationID string, rev uint64, first bool) (IndexEntry, error)
	// Received returns the conversation a message (by event id) was
	// recorded in, if it is remembered; RecordReceived remembers that the
	// messages eventIDs were recorded in conversationID.
	Received(ctx context.Context, eventID string) (conversationID string, ok bool, err error)
	RecordReceived(ctx context.Context, conversationID string, eventIDs []string) error
}

// IndexEntry is one client's entry in the Index.
type IndexEntry struct {
	// ConversationID is the conversation last claimed for the client ("" for
	// none yet). It may be closed, or claimed and not yet started.
	ConversationID string
	Registered     bool
	Revision       uint64
	// Moved is set once the client's entry moved on from an earlier
	// conversation (and for entries written before this was kept): only
	// then may a message of the client's be in a conversation other than
	// ConversationID, and need looking up by its id (Received).
	Moved bool
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
	// entries are clients' index entries as this process last read or
	// wrote them: a returning client's message reads its entry from here.
	// An entry may be stale (another replica claimed a new conversation);
	// it is only ever used to add a message to a conversation still open,
	// which no claim can have replaced (a claim follows a close).
	entries *lru.Cache[string, IndexEntry]
	now     func() time.Time
	logger  zerolog.Logger
}

// entryCacheSize is how many clients' index entries a receiver keeps.
const entryCacheSize = 4096

// NewReceiver wires the use case. It changes conversations through convs,
// the process's repository, whose cache a follower of the log keeps
// current (consume.FollowConversations): a returning client's message is
// decided on what triage and notification appended since without reading
// the log (one fsynced append, checked by the conversation's expected
// sequence). duty, when not nil, answers texts from staff work phones
// (nil: every sender is a client).
func NewReceiver(lines Lines, ids Identities, seal Sealer, log Log, convs *events.Conversations, index Index, duty *Duty, now func() time.Time, logger zerolog.Logger) *Receiver {
	entries, _ := lru.New[string, IndexEntry](entryCacheSize) // size > 0: cannot fail
	return &Receiver{lines: lines, ids: ids, seal: seal, index: index, duty: duty, convs: convs, clients: events.NewClients(log),
		entries: entries, now: now, logger: logger}
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
	channel, err := channelOf(in.From, in.To)
	if err != nil {
		return Receipt{}, err
	}
	line, ok := r.lines.LineByNumber(in.To)
	if !ok {
		return Receipt{}, ErrUnknownLine
	}
	// A staff work phone answering a page is never a client: nothing of
	// it enters a conversation but the answer's decision. Pages go by SMS,
	// and are answered by SMS: a WhatsApp message is always a client's.
	if st, ok := r.staff(in.From); ok && channel == events.ChannelSMS {
		answer, err := r.duty.Answer(ctx, st, line, in)
		return Receipt{StaffID: st.ID, Answer: answer, LineID: line.ID, EventID: "sms-" + strings.ToLower(in.MessageSid)}, err
	}
	eventID := "sms-" + strings.ToLower(in.MessageSid)
	clientID, err := r.ids.ClientID(ctx, line.ID, in.From)
	if err != nil {
		return Receipt{}, unavailable("client id", err)
	}
	rc := Receipt{ClientID: clientID, Pseudonym: r.ids.Pseudonym(clientID), LineID: line.ID, EventID: eventID}
	meta := events.Meta{CorrelationID: rc.EventID, OccurredAt: r.now()}
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
		return c.Start(line.ID, clientID, rc.Pseudonym, channel, meta)
	}
	// A new conversation takes its id from the message that opened it, so a
	// retried webhook opens the same conversation, not a second one.
	var seen bool
	// The contact sealed is the address replies go to: the number, or the
	// WhatsApp address.
	rc.ConversationID, rc.Duplicate, seen, err = r.record(ctx, line.ID, rc, channel, in.From, meta, "cv-"+rc.EventID[len("sms-"):], start, receive)
	if err != nil {
		return rc, err
	}
	if seen {
		// The same message again (a retry, a replay) records nothing, even
		// once its conversation has closed and another opened. A retried
		// HELP gets its answer again: Twilio retries only when our first
		// answer did not reach it, so the client never got it.
		return Receipt{LineID: line.ID, EventID: eventID, ConversationID: rc.ConversationID, Duplicate: true, Answer: helpAnswer(line, in.Body)}, nil
	}
	if kw, consent, ok := ConsentKeyword(in.Body); ok {
		rc.Consent = consent
		// The keyword is the client's word: sealed with their key, so
		// erasure takes it; the consent itself stays plain for the send path.
		sealed, err := r.seal.Seal(ctx, clientID, []byte(kw), events.KeywordAAD(rc.EventID))
		if err != nil {
			return rc, unavailable("seal keyword", err)
		}
		keyword := events.Sealed{KeyID: clientID, Data: sealed}
		if _, err := r.clients.Update(ctx, clientID, func(c *events.Client) error { return c.ChangeConsent(consent, keyword, rc.EventID, meta) }); err != nil {
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
// The conversations it keeps are the process's (consume.FollowConversations).
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
// client's index entry, and whether the client was not registered before.
func (r *Receiver) ensureClient(ctx context.Context, lineID, clientID, pseudonym, channel, contact string, meta events.Meta) (IndexEntry, bool, error) {
	entry, err := r.index.Get(ctx, clientID)
	if err != nil {
		return IndexEntry{}, false, unavailable("index", err)
	}
	if entry.Registered {
		return entry, false, nil
	}
	var sealed []byte
	if contact != "" {
		if sealed, err = r.seal.Seal(ctx, clientID, []byte(contact), events.ContactAAD(clientID)); err != nil {
			return IndexEntry{}, false, unavailable("seal contact", err)
		}
	}
	// A client registers once: another replica (or an earlier attempt)
	// may have registered it already, and then this records nothing.
	if _, err := r.clients.Create(ctx, clientID, func(c *events.Client) error {
		return c.Register(lineID, pseudonym, channel, events.Sealed{KeyID: clientID, Data: sealed}, meta)
	}); err != nil {
		return IndexEntry{}, false, err
	}
	// The client's index entry is written by the claim of its first
	// conversation (at revision 0: only if nothing was ever written under
	// it), one write: another first text of the client's that claimed
	// before makes that claim fail, and this message follows it.
	return IndexEntry{}, true, nil
}

// errNotOpen refuses a message the fast path of record cannot place: the
// conversation its cached entry names is closed or not started.
var errNotOpen = errors.New("conversation not open")

// record adds a client's message (receive) to the client's conversation,
// or to a new one (newID, started by start), registering the client if it
// is new. It returns the conversation, whether the log held the message
// already (dup), and whether the message was found by its id in an
// earlier conversation of the client's (seen: nothing recorded; convID is
// that conversation).
//
// A returning client's message costs one fsynced append: the client's
// index entry comes from memory, the conversation as this process follows
// it from the log (Specs; one read of what it gained since when the
// follower lags or does not keep it), and the message's id is looked up
// (Received) only for a client who has had an earlier conversation.
// The ids of a conversation's messages are written to the index when the
// client's entry moves on from it (appendToConversation), not with each
// message: until then a message brought again lands in that same
// conversation, whose own record of its messages refuses it.
func (r *Receiver) record(ctx context.Context, lineID string, rc Receipt, channel, contact string, meta events.Meta, newID string, start, receive func(*events.Conversation) error) (convID string, dup, seen bool, err error) {
	checked := false
	lookup := func() (string, bool, error) {
		checked = true
		convID, ok, err := r.index.Received(ctx, rc.EventID)
		if err != nil {
			return "", false, unavailable("message index", err)
		}
		return convID, ok, nil
	}
	if entry, ok := r.entries.Get(rc.ClientID); ok && entry.ConversationID != "" {
		if entry.Moved {
			if convID, ok, err := lookup(); err != nil || ok {
				return convID, ok, ok, err
			}
		}
		saved, err := r.convs.Update(ctx, entry.ConversationID, func(c *events.Conversation) error {
			if !c.Started || c.Closed {
				return errNotOpen
			}
			return receive(c)
		})
		if err == nil {
			return entry.ConversationID, len(saved.Appended) == 0 || saved.Duplicate(), false, nil
		}
		if !errors.Is(err, errNotOpen) {
			return "", false, false, err
		}
	}
	entry, isNew, err := r.ensureClient(ctx, lineID, rc.ClientID, rc.Pseudonym, channel, contact, meta)
	if err != nil {
		return "", false, false, err
	}
	if isNew {
		// A number whose client was erased comes back as a new client:
		// the erased identity's last conversation is left behind like a
		// closed one, so its messages' ids are written first.
		for _, erased := range r.ids.ErasedClientIDs(lineID, contact, rc.ClientID) {
			prev, err := r.index.Get(ctx, erased)
			if err != nil {
				return "", false, false, unavailable("index", err)
			}
			if prev.ConversationID != "" {
				if err := r.rememberReceived(ctx, prev.ConversationID); err != nil {
					return "", false, false, err
				}
				entry.Moved = true // look this message up too
			}
		}
	}
	if entry.Moved && !checked {
		if convID, ok, err := lookup(); err != nil || ok {
			return convID, ok, ok, err
		}
	}
	wasOpen := true
	receiveNoting := func(c *events.Conversation) error {
		wasOpen = c.Started && !c.Closed
		return receive(c)
	}
	convID, dup, entry, err = r.appendToConversation(ctx, rc.ClientID, entry, newID, start, receiveNoting)
	if err != nil {
		return "", false, false, err
	}
	if wasOpen {
		// Not after a reopen: two replicas may disagree at the edge of the
		// reopen window, and the index, not this process, decides then.
		r.entries.Add(rc.ClientID, entry)
	}
	return convID, dup, false, nil
}

// rememberReceived writes the ids of conversation convID's messages to
// the index before the client's entry moves on from it: from then on, a
// message of it brought again would be added to the client's next
// conversation unless looked up by its id (Received).
func (r *Receiver) rememberReceived(ctx context.Context, convID string) error {
	conv, err := r.convs.Load(ctx, convID)
	if err == nil && conv.Forgets() {
		// The folded copy keeps only the latest ids: every one is read.
		conv, err = r.convs.LoadWhole(ctx, convID)
	}
	if err != nil {
		return err
	}
	if err := r.index.RecordReceived(ctx, convID, slices.Collect(maps.Keys(conv.Messages))); err != nil {
		return unavailable("message index", err)
	}
	return nil
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
// reports whether the message was in the log already (a retried webhook),
// and returns the client's entry as it stands after the message.
func (r *Receiver) appendToConversation(ctx context.Context, clientID string, entry IndexEntry, newID string, start, receive func(*events.Conversation) error) (string, bool, IndexEntry, error) {
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
				return convID, len(saved.Appended) == 0 || saved.Duplicate(), entry, nil
			}
			if !errors.Is(err, events.ErrClosed) {
				return "", false, entry, err
			}
			// The entry moves on from convID: its messages' ids first.
			if err := r.rememberReceived(ctx, convID); err != nil {
				return "", false, entry, err
			}
		}
		claimed, err := r.index.Claim(ctx, clientID, newID, entry.Revision, entry.ConversationID == "" && !entry.Moved)
		if err == nil {
			saved, err := r.convs.Create(ctx, newID, startAndReceive)
			if err != nil {
				return "", false, entry, err
			}
			return newID, len(saved.Appended) == 0 || saved.Duplicate(), claimed, nil
		}
		if !errors.Is(err, ErrClaimed) {
			return "", false, entry, unavailable("index", err)
		}
		if entry, err = r.index.Get(ctx, clientID); err != nil {
			return "", false, entry, unavailable("index", err)
		}
	}
	return "", false, entry, fmt.Errorf("%w: client %s: its conversation kept being claimed by other messages", events.ErrConcurrency, clientID)
}
