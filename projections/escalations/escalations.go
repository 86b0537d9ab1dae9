// Package escalations owns the escalation queue projection, the duty
// workers' view: open and recent escalations with why each was raised, who
// was paged when, and who took it on. It is driven by projections.Runner
// like every read model, and kept by a memory or a SQL
// (PostgreSQL/CockroachDB) Store.
//
// Duty workers may see a client's pseudonym, so this projection holds it;
// it never holds a phone number or a message body. It keeps the client's
// id (a keyed pseudonymous id, as the inbox does) only to find the
// client's escalations when the client is erased. It lives in
// a package (and a SQL schema) of its own so that the managers' view in
// package responsetimes stays free of client identifiers.
package escalations

import (
	"context"
	"errors"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// Name is the projection's consumer name and checkpoint key. Renaming it
// rebuilds the projection from the log.
const Name = "projection-escalations"

// ErrNotFound is returned by Get for an escalation the projection does not
// hold.
var ErrNotFound = errors.New("escalation not found")

// Escalation is one row of the queue.
type Escalation struct {
	ID             string
	ConversationID string
	LineID         string
	// Pseudonym is the client's pseudonym (e.g. C-7Q2K), from the
	// conversation's start: what duty workers see instead of a number.
	Pseudonym string
	// ClientID is internal: erasure finds the client's escalations by it.
	ClientID string
	Reason   string // events.Reason*
	Risk     string // events.Risk*
	// Categories are the signals that raised it (plain: routing and
	// pages need them without a key).
	Categories []string
	// MessageID is the message whose verdict raised it ("" for one the
	// clock or a person raised without one).
	MessageID string
	// Terms are the matched terms as the event carries them: sealed with
	// the client's key (events.TermsAAD of MessageID), empty when no words
	// raised it. The console opens them for those who read content.
	Terms events.Sealed
	// TermsErased is set when the client was erased: the sealed terms,
	// unreadable from then on, are dropped, and only content-free figures
	// (reason, risk, signals, pages) remain.
	TermsErased bool
	// Level and Round are where the escalation policy is now: the level
	// last paged or moved to, and the repetition (from 1).
	Level int
	Round int
	// Pages are the pages sent, in log order.
	Pages          []Page
	RaisedAt       time.Time
	AcknowledgedBy string    // staff id; empty until acknowledged
	AcknowledgedAt time.Time // zero until acknowledged
	// Exhausted is set when every level and round was paged without an
	// acknowledgement.
	Exhausted bool
}

// Open reports whether the escalation still needs someone: not
// acknowledged and not exhausted. The same rule as events.Escalation.Open.
func (e Escalation) Open() bool { return e.AcknowledgedAt.IsZero() && !e.Exhausted }

// After returns the cursor that continues a listing after e.
func (e Escalation) After() Cursor { return Cursor{At: e.RaisedAt, ID: e.ID} }

// Page is one page sent for an escalation: an SMS or a voice call, and
// how far it got.
type Page struct {
	StaffID   string
	Level     int
	LevelName string
	Round     int
	At        time.Time
	// Channel is events.PageBySMS or events.PageByCall.
	Channel string
	// ProviderID is the provider's id of the message or call (a Twilio
	// SID: no number, no content); empty for pages recorded without one.
	ProviderID string
	// Delivery is the page's state as the provider last reported it
	// (Delivery*), ErrorCode the provider's code when it failed.
	Delivery  string
	ErrorCode int
}

// Conversation is the working state kept for each conversation until it
// closes: what an escalation raised in it copies.
type Conversation struct {
	LineID    string
	Pseudonym string
	ClientID  string
	// Erased is set when the client was erased while the conversation was
	// open: an escalation raised in it afterwards keeps no terms.
	Erased bool
}

// Cursor is a position in the open queue, which is ordered by raised time
// then id.
type Cursor = projections.Cursor

// ParseCursor decodes a cursor made by Cursor.String.
func ParseCursor(s string) (Cursor, error) { return projections.ParseCursor(s) }

// Limits of one page of the open queue.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// clampLimit maps a requested page size into [1, MaxLimit].
func clampLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// Store keeps the escalation queue, its working state and its checkpoint.
// Two implementations pass one shared suite: MemoryStore and SQLStore.
// An invalid snapshot to Import has an escalation twice.
type Store interface {
	projections.CheckpointedStore[Tx, Snapshot]
	// Open returns up to limit open escalations of the given lines, oldest
	// first, strictly after the cursor. No lines, no rows: a duty worker
	// sees only the lines they are asked to cover.
	Open(ctx context.Context, lineIDs []string, limit int, after Cursor) ([]Escalation, error)
	// Get returns one escalation, open or not, or ErrNotFound.
	Get(ctx context.Context, escalationID string) (Escalation, error)
}

// Snapshot is the projection's whole state: what a rebuild builds in
// memory and swaps into SQL, and what tests compare. Escalations (with
// their pages, in log order) are sorted by id; both are nil when empty.
type Snapshot struct {
	Checkpoint    uint64
	Escalations   []Escalation
	Conversations map[string]Conversation // by conversation id
}

// CheckpointRef implements projections.Snapshot.
func (s *Snapshot) CheckpointRef() *uint64 { return &s.Checkpoint }

// Validate implements projections.Snapshot: it rejects an escalation
// without an id or twice.
func (s *Snapshot) Validate() error {
	_, err := projections.UniqueIDs("escalation", s.Escalations, func(e Escalation) string { return e.ID })
	return err
}

// Tx is what applying one event may read and write.
type Tx interface {
	Conversation(ctx context.Context, conversationID string) (Conversation, bool, error)
	PutConversation(ctx context.Context, conversationID string, c Conversation) error
	DeleteConversation(ctx context.Context, conversationID string) error
	// Escalation reads one escalation with its pages.
	Escalation(ctx context.Context, escalationID string) (Escalation, bool, error)
	// PutEscalation writes every field of e but its pages.
	PutEscalation(ctx context.Context, e Escalation) error
	// AddPage appends one page to an escalation, keyed by the sequence of
	// the page's event: a transaction may apply several events (a batch),
	// so the key cannot be the transaction's.
	AddPage(ctx context.Context, escalationID string, seq uint64, p Page) error
	// SetDelivery moves the page with the provider id sid to delivery
	// state (with the provider's error code) if moves allows it; a sid no
	// page has (a reply's, a client's) changes nothing.
	SetDelivery(ctx context.Context, sid, state string, code int) error
	// EraseClient drops the sealed terms of every escalation of the
	// client (setting TermsErased where there were terms) and marks the
	// client's open conversations erased.
	EraseClient(ctx context.Context, clientID string) error
}

// Queue is the escalation queue projection.
type Queue struct {
	*projections.ReadModel[Tx, Snapshot, *Snapshot] // Name, Filter, Checkpoint, Reset, Apply, ApplyBatch, Scratch
	store                                           Store
}

var _ projections.BatchProjection = (*Queue)(nil)

// NewQueue returns the projection over store.
func NewQueue(store Store) *Queue {
	return &Queue{store: store, ReadModel: projections.NewReadModel[Tx, Snapshot](projections.Model[Tx, Snapshot]{
		Name: Name,
		// Escalations are conversation events; a client's erasure is a
		// client event.
		Filter:   events.SubjectPrefix + ".>",
		Relevant: relevant,
		Apply:    apply,
		Memory:   func() projections.CheckpointedStore[Tx, Snapshot] { return NewMemoryStore() },
	}, store)}
}

// Open returns a page of the open queue of lineIDs; see Store.Open.
func (q *Queue) Open(ctx context.Context, lineIDs []string, limit int, after Cursor) ([]Escalation, error) {
	return q.store.Open(ctx, lineIDs, clampLimit(limit), after)
}

// Get returns one escalation or ErrNotFound.
func (q *Queue) Get(ctx context.Context, escalationID string) (Escalation, error) {
	return q.store.Get(ctx, escalationID)
}

// relevant lists the event types the projection reads.
var relevant = map[string]bool{
	events.TypeConversationStarted:    true,
	events.TypeEscalationRaised:       true,
	events.TypeEscalationPaged:        true,
	events.TypeEscalationReEscalated:  true,
	events.TypeEscalationAcknowledged: true,
	events.TypeEscalationExhausted:    true,
	events.TypeConversationClosed:     true,
	events.TypeDeliveryStatusChanged:  true,
	events.TypeCallStatusChanged:      true,
	events.TypeClientErased:           true,
}

// apply changes the state for one event. Times are the events' own, so a
// replay gives the same rows.
func apply(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error {
	at := projections.Stamp(e.OccurredAt)
	switch p := p.(type) {
	case events.ConversationStarted:
		return tx.PutConversation(ctx, e.AggregateID, Conversation{LineID: p.LineID, Pseudonym: p.Pseudonym, ClientID: p.ClientID})

	case events.EscalationRaised:
		if _, ok, err := tx.Escalation(ctx, p.EscalationID); err != nil || ok {
			return err // raised once: a repeat changes nothing
		}
		conv, _, err := tx.Conversation(ctx, e.AggregateID)
		if err != nil {
			return err
		}
		// The policy starts at level 0, round 1, as in events.Conversation.
		esc := Escalation{
			ID: p.EscalationID, ConversationID: e.AggregateID, LineID: p.LineID, Pseudonym: conv.Pseudonym, ClientID: conv.ClientID,
			Reason: p.Reason, Risk: p.Risk, Categories: projections.NonEmpty(p.Categories),
			MessageID: p.MessageID, Terms: projections.SealedCopy(p.Terms),
			Round: 1, RaisedAt: at,
		}
		if conv.Erased && !esc.Terms.Empty() {
			esc.Terms, esc.TermsErased = events.Sealed{}, true // sealed with a key already destroyed
		}
		return tx.PutEscalation(ctx, esc)

	case events.EscalationPaged:
		esc, ok, err := tx.Escalation(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		esc.Level, esc.Round = p.Level, p.Round
		if err := tx.PutEscalation(ctx, esc); err != nil {
			return err
		}
		return tx.AddPage(ctx, p.EscalationID, e.Sequence, Page{StaffID: p.StaffID, Level: p.Level, LevelName: p.LevelName, Round: p.Round, At: at,
			Channel: p.Channel, ProviderID: p.ProviderMessageID, Delivery: DeliveryQueued})

	case events.DeliveryStatusChanged, events.CallStatusChanged:
		sid, state, code, ok := deliveryOf(p)
		if !ok {
			return nil
		}
		return tx.SetDelivery(ctx, sid, state, code)

	case events.EscalationReEscalated:
		esc, ok, err := tx.Escalation(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		esc.Level, esc.Round = p.ToLevel, p.Round
		return tx.PutEscalation(ctx, esc)

	case events.EscalationAcknowledged:
		// Only the first acknowledgement counts.
		esc, ok, err := tx.Escalation(ctx, p.EscalationID)
		if err != nil || !ok || !esc.AcknowledgedAt.IsZero() {
			return err
		}
		esc.AcknowledgedBy, esc.AcknowledgedAt = p.StaffID, at
		return tx.PutEscalation(ctx, esc)

	case events.EscalationExhausted:
		esc, ok, err := tx.Escalation(ctx, p.EscalationID)
		if err != nil || !ok {
			return err
		}
		esc.Exhausted = true
		return tx.PutEscalation(ctx, esc)

	case events.ClientErased:
		// Erasure destroyed the client's key: the sealed terms can never be
		// opened again, so they go; the figures stay.
		return tx.EraseClient(ctx, e.AggregateID)

	case events.ConversationClosed:
		// The conversation's escalations stay as they are (closing does not
		// acknowledge them); only its working state goes.
		return tx.DeleteConversation(ctx, e.AggregateID)
	}
	return nil
}
