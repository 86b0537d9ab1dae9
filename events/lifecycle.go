package events

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A conversation's life cycle: a worker closes it with a wrap-up (an
// outcome and categories from the line's taxonomy); a client's message
// soon after reopens it; a worker hands it over to a colleague or a team
// with a note.

// ErrNewMessage: a client's message arrived after the state a worker acted
// on (they pressed Close on a page loaded before it): they must read it
// first.
var ErrNewMessage = errors.New("a new message arrived, read it first")

// ConversationReopened records that a client's message (MessageID, the
// message's event id) came within the line's reopen window after the
// conversation was closed: it is open again, the same conversation.
type ConversationReopened struct {
	MessageID string `json:"message_id"`
}

// ConversationHandedOver records a transfer of a conversation to a worker
// or a team, with a short note for the new assignee, sealed with the
// client's key and bound to its event (BodyAAD(HandOverEventID(id))): a
// note about a client is content, and goes when the client is erased.
// AssigneeID and TeamID are who has it now ("" none); FromStaffID who had
// it before ("" nobody).
type ConversationHandedOver struct {
	HandOverID  string `json:"handover_id"`
	FromStaffID string `json:"from_staff_id,omitempty"`
	AssigneeID  string `json:"assignee_id,omitempty"`
	TeamID      string `json:"team_id,omitempty"`
	ByStaffID   string `json:"by_staff_id"`
	Note        Sealed `json:"note"`
}

var _ = []bool{
	register(AggregateConversation, TypeConversationClosed, 2, "A worker closed a conversation with a wrap-up: an outcome and categories from the line's taxonomy.",
		func() Payload {
			return ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"reason:mental_health", "risk:low"}}
		}),
	upcast(TypeConversationClosed, 1, func(p Payload) Payload {
		v1 := p.(ConversationClosedV1)
		return ConversationClosed{ByStaffID: v1.ByStaffID, Reason: v1.Reason, Categories: []string{}}
	}),
	register(AggregateConversation, TypeConversationReopened, 1, "A client's message came soon after the conversation was closed: it is open again.",
		func() Payload { return ConversationReopened{MessageID: "sms-sm1"} }),
	register(AggregateConversation, TypeConversationHandedOver, 1, "A conversation was handed over to a worker or a team, with a note sealed with the client's key.",
		func() Payload {
			return ConversationHandedOver{HandOverID: "h1", FromStaffID: "alex", AssigneeID: "sam", TeamID: "day", ByStaffID: "alex",
				Note: Sealed{KeyID: "k1", Data: []byte{1, 2, 3}}}
		}),
}

// WrapUp is how a worker sums a conversation up as they close it.
type WrapUp struct {
	Outcome string
	// Categories are "group:value" codes of the line's taxonomy.
	Categories []string
	// SeenSeq is the conversation's sequence as the worker's page showed
	// it: a client's message after it refuses the close.
	SeenSeq uint64
	// FollowUp, when set, schedules a check-in the client agreed to
	// (ScheduleFollowUp).
	FollowUp *FollowUpPlan
}

// Taxonomy checks a wrap-up against a line's classification of
// conversations (config.Taxonomy).
type Taxonomy interface {
	CheckWrapUp(outcome string, categories []string) error
}

// Close records the end of the conversation with the worker's wrap-up,
// checked against the line's taxonomy. A client's message the worker has
// not seen (after w.SeenSeq) refuses it with ErrNewMessage: the close
// never goes over a message nobody read. The repository appends it with
// the conversation's expected sequence, so a message arriving meanwhile
// makes it decide again, and refuse. A follow-up in the wrap-up is
// recorded with the close, or refuses it.
func (c *Conversation) Close(byStaffID string, w WrapUp, tax Taxonomy, m Meta) error {
	if err := c.mustBeOpen(); err != nil {
		return err
	}
	if err := ValidateID(byStaffID); err != nil {
		return fmt.Errorf("staff id: %w", err)
	}
	if c.LastInboundSeq > w.SeenSeq {
		return fmt.Errorf("conversation %s: %w", c.ID, ErrNewMessage)
	}
	if tax == nil {
		return fmt.Errorf("%w: line %s has no taxonomy", ErrInvalidCommand, c.LineID)
	}
	if err := tax.CheckWrapUp(w.Outcome, w.Categories); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCommand, err)
	}
	cats := slices.Clone(w.Categories)
	if cats == nil {
		cats = []string{}
	}
	slices.Sort(cats)
	if err := c.record(ConversationClosed{ByStaffID: byStaffID, Outcome: w.Outcome, Categories: slices.Compact(cats)}, m); err != nil {
		return err
	}
	if w.FollowUp == nil {
		return nil
	}
	return c.ScheduleFollowUp(byStaffID, *w.FollowUp, m)
}

// reopenFor records that messageID reopens the conversation, when it is
// closed and the message comes within reopenWithin of its closing (0:
// never). Later, the message belongs to the client's next conversation.
func (c *Conversation) reopenFor(messageID string, reopenWithin time.Duration, m Meta) error {
	if !c.Started || !c.Closed || reopenWithin <= 0 || m.OccurredAt.After(c.ClosedAt.Add(reopenWithin)) {
		return nil
	}
	return c.recordWithID(DerivedID("reopen", c.ID, messageID), ConversationReopened{MessageID: messageID}, m)
}

// HandOverEventID is the id of the event that records hand-over id: its
// note is sealed bound to it (BodyAAD(HandOverEventID(id))).
func HandOverEventID(handOverID string) string { return "ho-" + handOverID }

// HandOver records the transfer of the conversation to a worker
// (assigneeID) or a team (teamID), or both, with a note for them. A
// hand-over to a team alone leaves it unassigned within the team. The
// note must not be empty; handing a conversation to who has it already
// is refused. The id derives from the request's (one per button press),
// so a retried request records it once.
func (c *Conversation) HandOver(handOverID, byStaffID, assigneeID, teamID string, note Sealed, m Meta) error {
	if err := c.mustBeOpen(); err != nil {
		return err
	}
	if err := ValidateID(handOverID); err != nil {
		return fmt.Errorf("hand-over id: %w", err)
	}
	eventID := HandOverEventID(handOverID)
	if err := ValidateID(eventID); err != nil {
		return fmt.Errorf("hand-over id: %w", err)
	}
	if c.HandOvers[eventID] {
		return nil
	}
	if err := ValidateID(byStaffID); err != nil {
		return fmt.Errorf("staff id: %w", err)
	}
	if assigneeID == "" && teamID == "" {
		return fmt.Errorf("%w: hand over to a worker or a team", ErrInvalidCommand)
	}
	for what, id := range map[string]string{"assignee": assigneeID, "team": teamID} {
		if id != "" && ValidateID(id) != nil {
			return fmt.Errorf("%w: %s id", ErrInvalidCommand, what)
		}
	}
	if assigneeID == c.AssigneeID && (teamID == "" || teamID == c.TeamID) {
		return fmt.Errorf("%w: the conversation is theirs already", ErrInvalidCommand)
	}
	if len(note.Data) == 0 || note.KeyID != c.ClientID {
		return fmt.Errorf("%w: a hand-over needs a note", ErrInvalidCommand)
	}
	if teamID == "" && assigneeID != "" {
		teamID = c.TeamID
	}
	return c.recordWithID(eventID, ConversationHandedOver{HandOverID: handOverID, FromStaffID: c.AssigneeID, AssigneeID: assigneeID,
		TeamID: teamID, ByStaffID: byStaffID, Note: note}, m)
}
