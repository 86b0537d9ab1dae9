// Package inbox owns the worker inbox projection: open conversations by
// line, team and assignee, with the client's pseudonym, last activity,
// unread count, triage flags and risk, and each conversation's messages.
// It is driven by projections.Runner like every read model, and kept by a
// memory or a SQL (PostgreSQL/CockroachDB) Store.
//
// Workers see a client's pseudonym and, when they read a conversation, its
// messages. The store keeps message bodies exactly as the log carries them,
// sealed with the client's data key; Open decrypts one for an authorised
// reader, in memory, on demand. The projection never holds a phone number
// or a plaintext body, and drops even the sealed bodies of an erased
// client. It lives in a package (and a SQL schema) of its own so that each
// audience's database role can be granted only its own view.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// Name is the projection's consumer name and checkpoint key. Renaming it
// rebuilds the projection from the log.
const Name = "projection-inbox"

// Errors callers act on.
var (
	// ErrNotFound is returned for a conversation the inbox does not hold.
	ErrNotFound = errors.New("conversation not found")
	// ErrBadQuery is returned for a Query that contradicts itself.
	ErrBadQuery = errors.New("bad inbox query")
	// ErrNoBody is returned by Open for a message without a sealed body
	// (an auto-reply, whose text the log does not carry).
	ErrNoBody = errors.New("message has no body")
)

// Message directions.
const (
	DirectionIn  = "in"  // from the client
	DirectionOut = "out" // to the client: a worker's reply or an auto-reply
	// DirectionNote is a note between staff, never sent to the client: a
	// hand-over's note for the new assignee (Kind KindHandOver).
	DirectionNote = "note"
)

// KindHandOver is the Kind of a hand-over's note. The note's SenderName
// is whom it went to: a staff id, or NoteToTeam and a team id.
const (
	KindHandOver = "handover"
	NoteToTeam   = "team:"
)

// Flags a conversation can carry, besides its risk ("elevated", "crisis").
const (
	FlagOutOfHours = "out_of_hours" // a message arrived while the line was closed
	FlagEscalated  = "escalated"    // an escalation was raised in the conversation
	FlagOptedOut   = "opted_out"    // the client texted STOP (and not START since)
	FlagErased     = "erased"       // the client's data was erased
	// FlagFollowUpReply: the client answered a follow-up check-in; high
	// priority while the conversation stays open.
	FlagFollowUpReply = "follow_up_reply"
)

// Conversation is one row of the inbox.
type Conversation struct {
	ID, LineID, Pseudonym, Channel string
	// ClientID is internal: Open needs it to find the client's key. It is
	// a keyed hash, never shown; the console renders the pseudonym.
	ClientID string
	// TeamID and AssigneeID come from conversation.assigned ("":
	// unassigned).
	TeamID, AssigneeID string
	// Open is false once the conversation is closed.
	Open bool
	// StartedAt, LastActivityAt (the latest message either way) and
	// ClosedAt (zero while open).
	StartedAt, LastActivityAt, ClosedAt time.Time
	// Unread counts the client's messages since the last worker reply.
	Unread int
	// Risk is the highest triage risk seen in the conversation
	// (events.Risk*).
	Risk string
	// Flags are sorted: the risk when above none, and Flag*.
	Flags []string
	// Categories are the signals (and modifiers) triage matched in the
	// conversation: plain, for the listing. The matched terms are derived
	// from the client's words and stay sealed on each message (Terms).
	Categories []string
	// Consent is the client's latest opt-in state (events.ConsentOptedOut
	// or events.ConsentOptedIn), or "" when they never texted a keyword.
	// HELP changes nothing, as in events.Client.
	Consent string
	// Erased is set once the client is erased; the messages' bodies are
	// dropped then.
	Erased bool
	// ClientFlags are the staff's flags on the client, current or not,
	// in the order they were made: the console shows those current at
	// its clock.
	ClientFlags []ClientFlag
	// LastInboundSeq is the stream sequence of the client's latest
	// message: a worker's close names it (events.WrapUp.SeenSeq), so a
	// message the page did not show refuses the close.
	LastInboundSeq uint64
	// Outcome is the wrap-up's outcome of a closed conversation ("" while
	// open, and for a close recorded before wrap-ups).
	Outcome string
}

// ClientFlag is a staff flag on a client as the inbox keeps it: its kind
// (events.Flag*) and when it ends. The reason stays sealed in the log.
type ClientFlag struct {
	Kind  string
	Until time.Time
}

// CurrentFlags are the flags that hold at now.
func (c Conversation) CurrentFlags(now time.Time) []ClientFlag {
	var out []ClientFlag
	for _, f := range c.ClientFlags {
		if now.Before(f.Until) {
			out = append(out, f)
		}
	}
	return out
}

// After returns the cursor that continues a listing after c.
func (c Conversation) After() Cursor { return Cursor{At: c.LastActivityAt, ID: c.ID} }

// Message is one message of a conversation, either way.
type Message struct {
	// ID is the message id (inbound) or the reply or send id (outbound).
	ID string
	// EventID is the envelope id of the event that carried the body: the
	// body's additional data is events.BodyAAD(EventID).
	EventID   string
	Direction string // DirectionIn or DirectionOut
	// Kind is, for an outbound message, events.SendReply or
	// events.SendAutoReply; KindHandOver for a note; "" for an inbound
	// one.
	Kind string
	At   time.Time
	// StaffID and SenderName (a first name at most) are a reply's; a
	// note's StaffID is who wrote it, its SenderName whom it went to
	// (KindHandOver).
	StaffID, SenderName string
	// Body is as in the event: still sealed. Empty for an auto-reply and
	// once the client is erased.
	Body events.Sealed
	// Status is the latest known: "received" for an inbound message;
	// "requested", then the sender's and the provider's ("sent",
	// "delivered", "failed", "blocked", ...) for an outbound one. It never
	// moves back (a late "sent" callback after "delivered" is ignored).
	// A web chat reply stays "requested": it reaches the client through
	// the chat stream, and no send is recorded for it.
	Status string
	// Reason says why a send was blocked or failed.
	Reason string
	// Risk and Terms are triage's verdict on an inbound message, once
	// triaged: the terms that scored still sealed with the client's key as
	// the verdict carries them (events.TermsAAD of ID; empty when none
	// scored, and once the client is erased). OpenTerms opens them.
	Risk  string
	Terms events.Sealed
	// ProviderMessageID is the provider's id of an outbound SMS (no
	// content), to match delivery callbacks.
	ProviderMessageID string
}

// Client is the working state kept per client: what its conversations
// copy.
type Client struct {
	Consent string
	Erased  bool
	Flags   []ClientFlag
}

// Delivery is the best delivery status a provider reported for one SMS,
// kept by provider id because a callback may be in the log before the
// send that it reports on.
type Delivery struct {
	Status string
	Reason string
}

// Cursor is a position in a listing, which is ordered by last activity,
// newest first, then by id (descending). Activity moves conversations up
// while someone pages: a conversation may then appear again on a later
// page's top, or be missed until the next listing; the console refreshes
// from the start on live updates.
type Cursor = projections.Cursor

// ParseCursor decodes a cursor made by Cursor.String.
func ParseCursor(s string) (Cursor, error) { return projections.ParseCursor(s) }

// before reports whether a comes before b in a listing: newer activity
// first, then the greater id.
func before(a, b Cursor) bool {
	if !a.At.Equal(b.At) {
		return a.At.After(b.At)
	}
	return a.ID > b.ID
}

// Query selects conversations. Filters combine with AND. Which lines and
// teams a reader may see is the console's decision, made before it asks.
type Query struct {
	LineIDs            []string // empty: all lines
	TeamID, AssigneeID string   // "": any
	Unassigned         bool     // only conversations nobody is assigned to
	IncludeClosed      bool
	OnlyClosed         bool // only closed conversations (implies IncludeClosed)
	After              Cursor
	Limit              int // DefaultLimit when 0, at most MaxLimit
}

// Limits of one page of a listing.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// normalise checks q and clamps its limit.
func (q Query) normalise() (Query, error) {
	if q.Unassigned && q.AssigneeID != "" {
		return q, fmt.Errorf("%w: unassigned and an assignee", ErrBadQuery)
	}
	if q.Limit < 0 {
		return q, fmt.Errorf("%w: limit %d", ErrBadQuery, q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	q.IncludeClosed = q.IncludeClosed || q.OnlyClosed
	q.Limit = min(q.Limit, MaxLimit)
	return q, nil
}

// matches reports whether c passes q's filters (not its cursor).
func (q Query) matches(c Conversation) bool {
	return (c.Open || q.IncludeClosed) && !(q.OnlyClosed && c.Open) &&
		(len(q.LineIDs) == 0 || slices.Contains(q.LineIDs, c.LineID)) &&
		(q.TeamID == "" || c.TeamID == q.TeamID) &&
		(q.AssigneeID == "" || c.AssigneeID == q.AssigneeID) &&
		(!q.Unassigned || c.AssigneeID == "")
}

// Store keeps the inbox, its working state and its checkpoint. Two
// implementations pass one shared suite: MemoryStore and SQLStore. An
// invalid snapshot to Import has a conversation twice, or messages of an
// unknown conversation.
type Store interface {
	projections.CheckpointedStore[Tx, Snapshot]
	// List returns the conversations q selects, newest activity first,
	// strictly after q.After, at most q.Limit (at least 1).
	List(ctx context.Context, q Query) ([]Conversation, error)
	// Get returns one conversation, open or not, or ErrNotFound.
	Get(ctx context.Context, conversationID string) (Conversation, error)
	// Messages returns a conversation's messages in log order, or
	// ErrNotFound for an unknown conversation.
	Messages(ctx context.Context, conversationID string) ([]Message, error)
}

// Snapshot is the projection's whole state: what a rebuild builds in
// memory and swaps into SQL, and what tests compare. Conversations are
// sorted by id, each conversation's messages are in log order, and
// everything is nil when empty. Bodies stay sealed, as everywhere in the
// inbox.
type Snapshot struct {
	Checkpoint    uint64
	Conversations []Conversation
	Messages      map[string][]Message // by conversation id
	Clients       map[string]Client    // by client id
	// Deliveries are by conversation id, then provider message id.
	Deliveries map[string]map[string]Delivery
}

// CheckpointRef implements projections.Snapshot.
func (s *Snapshot) CheckpointRef() *uint64 { return &s.Checkpoint }

// Validate implements projections.Snapshot: it rejects a conversation
// without an id or twice, and messages of an unknown conversation, without
// an id, or twice.
func (s *Snapshot) Validate() error {
	seen, err := projections.UniqueIDs("conversation", s.Conversations, func(c Conversation) string { return c.ID })
	if err != nil {
		return err
	}
	for conv, ms := range s.Messages {
		if !seen[conv] {
			return fmt.Errorf("snapshot: messages of unknown conversation %q", conv)
		}
		if _, err := projections.UniqueIDs("message of "+conv, ms, func(m Message) string { return m.ID }); err != nil {
			return err
		}
	}
	return nil
}

// Tx is what applying one event may read and write.
type Tx interface {
	Conversation(ctx context.Context, conversationID string) (Conversation, bool, error)
	PutConversation(ctx context.Context, c Conversation) error
	// ClientConversations returns the ids of every conversation of a
	// client, open or closed, sorted.
	ClientConversations(ctx context.Context, clientID string) ([]string, error)
	Client(ctx context.Context, clientID string) (Client, bool, error)
	PutClient(ctx context.Context, clientID string, c Client) error
	// Messages returns a conversation's messages in log order.
	Messages(ctx context.Context, conversationID string) ([]Message, error)
	Message(ctx context.Context, conversationID, messageID string) (Message, bool, error)
	// PutMessage writes m; a new message goes after the conversation's
	// others, an existing one (same id) keeps its place.
	PutMessage(ctx context.Context, conversationID string, m Message) error
	Delivery(ctx context.Context, conversationID, providerMessageID string) (Delivery, bool, error)
	PutDelivery(ctx context.Context, conversationID, providerMessageID string, d Delivery) error
}

// View is the inbox projection and its queries.
type View struct {
	*projections.ReadModel[Tx, Snapshot, *Snapshot] // Name, Filter, Checkpoint, Reset, Apply, ApplyBatch, Scratch
	store                                           Store
}

var _ projections.BatchProjection = (*View)(nil)

// NewView returns the projection over s.
func NewView(s Store) *View {
	return &View{store: s, ReadModel: projections.NewReadModel[Tx, Snapshot](projections.Model[Tx, Snapshot]{
		Name: Name,
		// Conversation events, and client events for consent and erasure.
		Filter:   events.SubjectPrefix + ".>",
		Relevant: relevant,
		Apply:    apply,
		Memory:   func() projections.CheckpointedStore[Tx, Snapshot] { return NewMemoryStore() },
	}, s)}
}

// List returns a page of conversations; see Query and Store.List.
func (v *View) List(ctx context.Context, q Query) ([]Conversation, error) {
	q, err := q.normalise()
	if err != nil {
		return nil, err
	}
	return v.store.List(ctx, q)
}

// Get returns one conversation or ErrNotFound.
func (v *View) Get(ctx context.Context, conversationID string) (Conversation, error) {
	return v.store.Get(ctx, conversationID)
}

// Messages returns a conversation's messages, sealed, in log order, or
// ErrNotFound.
func (v *View) Messages(ctx context.Context, conversationID string) ([]Message, error) {
	return v.store.Messages(ctx, conversationID)
}

// relevant lists the event types the projection reads.
var relevant = map[string]bool{
	events.TypeConversationStarted:       true,
	events.TypeMessageReceived:           true,
	events.TypeMessageTriaged:            true,
	events.TypeOutOfHoursContactRecorded: true,
	events.TypeEscalationRaised:          true,
	events.TypeReplyRequested:            true,
	events.TypeSurveyQuestionAsked:       true,
	events.TypeMessageSent:               true,
	events.TypeMessageSendFailed:         true,
	events.TypeReplyBlocked:              true,
	events.TypeDeliveryStatusChanged:     true,
	events.TypeConversationAssigned:      true,
	events.TypeConversationClosed:        true,
	events.TypeConversationReopened:      true,
	events.TypeConversationHandedOver:    true,
	events.TypeFollowUpAnswered:          true,
	events.TypeConsentChanged:            true,
	events.TypeClientErased:              true,
	events.TypeClientFlagged:             true,
}
