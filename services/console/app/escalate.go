package app

import (
	"context"
	"slices"

	"github.com/helpline-org/helpline/events"
)

// EscalateByHand is a worker or duty worker raising an escalation in a
// conversation they may read, with a reason code (events.ManualReasons)
// and, optionally, the message that prompted it. RequestID is one per
// press of the button, so a repeated request raises it once (at most 40
// characters; an API caller that gives none gets a new one).
type EscalateByHand struct {
	Actor          Actor
	ConversationID string
	RequestID      string
	Reason         string
	MessageID      string
}

// EscalateByHandHandler records manual escalations.
type EscalateByHandHandler struct{ d *deps }

// Handle records the escalation: notification pages it like any other.
// While another escalation of the conversation is open it records
// nothing and returns an error wrapping events.ErrAlreadyEscalated.
func (h EscalateByHandHandler) Handle(ctx context.Context, cmd EscalateByHand) error {
	if err := h.d.mayWorkOn(ctx, cmd.Actor, cmd.ConversationID); err != nil {
		return err
	}
	reqID, err := requestID(cmd.RequestID, "the form is out of date: reload the page")
	if err != nil {
		return err
	}
	cmd.RequestID = reqID
	if !slices.Contains(events.ManualReasons, cmd.Reason) {
		return badRequest("choose a reason")
	}
	m := h.d.meta()
	_, err = h.d.Conversations.Update(ctx, cmd.ConversationID, func(c *events.Conversation) error {
		return c.EscalateByHand(cmd.RequestID, cmd.Actor.ID, cmd.Reason, cmd.MessageID, m)
	})
	if err == nil {
		h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("reason", cmd.Reason).Msg("escalated by hand")
	}
	return err
}

// MarkVerdict is a worker or duty worker marking triage's verdict on one
// message: missed (it should have escalated) or a false alarm.
type MarkVerdict struct {
	Actor          Actor
	ConversationID string
	MessageID      string
	Feedback       string // events.FeedbackMissed or events.FeedbackFalseAlarm
}

// MarkVerdictHandler records triage feedback.
type MarkVerdictHandler struct{ d *deps }

// Handle records the mark, once per staff member, message and mark; it
// is what `helpline triage feedback` lists.
func (h MarkVerdictHandler) Handle(ctx context.Context, cmd MarkVerdict) error {
	if err := h.d.mayWorkOn(ctx, cmd.Actor, cmd.ConversationID); err != nil {
		return err
	}
	if cmd.Feedback != events.FeedbackMissed && cmd.Feedback != events.FeedbackFalseAlarm {
		return badRequest("mark the verdict missed or false_alarm")
	}
	m := h.d.meta()
	_, err := h.d.Conversations.Update(ctx, cmd.ConversationID, func(c *events.Conversation) error {
		return c.RecordTriageFeedback(cmd.MessageID, cmd.Actor.ID, cmd.Feedback, m)
	})
	return err
}

// mayWorkOn is the content rule for a command on a conversation: who may
// read it may act on it; another line's is not found.
func (d *deps) mayWorkOn(ctx context.Context, a Actor, conversationID string) error {
	if events.ValidateID(conversationID) != nil {
		return ErrNotFound
	}
	if d.Inbox == nil {
		return ErrUnavailable
	}
	c, err := d.Inbox.Get(ctx, conversationID)
	if err != nil {
		return err
	}
	if !d.Staff.serves(c.LineID) {
		return ErrNotFound
	}
	if !d.mayRead(a, c) {
		return ErrForbidden
	}
	return nil
}
