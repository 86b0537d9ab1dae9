package events

import (
	"fmt"
	"strings"
	"time"
)

// Follow-up with consent (988 Lifeline practice): as a worker closes a
// conversation, they may schedule one check-in text the client agreed
// to. The notification service sends the line's follow-up text at the
// due time through the normal send path (a send recorded once, by its
// send id FollowUpSendPrefix + the follow-up's id). The client's first
// message after it, within FollowUpReplyWindow, reopens the conversation
// however long ago it closed, and marks it answered: the inbox puts it
// first. A follow-up is never sent to a client who texted STOP after it
// was scheduled, nor once the client came back to the conversation: it
// is cancelled, with the reason.

// FollowUpReplyWindow is how long after a follow-up was sent the client's
// reply still reopens its conversation, outside the line's reopen window.
const FollowUpReplyWindow = 7 * 24 * time.Hour

// Reasons a follow-up is cancelled.
const (
	// FollowUpOptedOut: the client texted STOP after it was scheduled.
	FollowUpOptedOut = "opted_out"
	// FollowUpErased: the client's data was erased.
	FollowUpErased = "erased"
	// FollowUpClientReturned: the client wrote again and the conversation
	// reopened: whoever closes it next asks again.
	FollowUpClientReturned = "client_returned"
	// FollowUpReplaced: a later close scheduled another one.
	FollowUpReplaced = "replaced"
	// FollowUpNoText: the line no longer has a follow-up text.
	FollowUpNoText = "no_text"
)

// Errors of ScheduleFollowUp callers act on.
var ErrBadFollowUp = fmt.Errorf("%w: follow-up", ErrInvalidCommand)

// FollowUpScheduled records that a worker closing the conversation
// scheduled a check-in the client agreed to, for DueAt. It carries no
// text: the line's follow-up text is configuration.
type FollowUpScheduled struct {
	FollowUpID string    `json:"follow_up_id"`
	DueAt      time.Time `json:"due_at"`
	ByStaffID  string    `json:"by_staff_id"`
}

// FollowUpCancelled records that a scheduled follow-up will not be sent,
// and why (FollowUp* reasons).
type FollowUpCancelled struct {
	FollowUpID string `json:"follow_up_id"`
	Reason     string `json:"reason"`
}

// FollowUpAnswered records that the client's message (MessageID) answered
// a follow-up sent to them: the conversation is open again, with high
// priority.
type FollowUpAnswered struct {
	FollowUpID string `json:"follow_up_id"`
	MessageID  string `json:"message_id"`
}

var _ = []bool{
	register(AggregateConversation, TypeFollowUpScheduled, 1, "A worker closing the conversation scheduled a follow-up check-in the client agreed to.",
		func() Payload {
			return FollowUpScheduled{FollowUpID: "f1", DueAt: exampleTime.Add(48 * time.Hour), ByStaffID: "alex"}
		}),
	register(AggregateConversation, TypeFollowUpCancelled, 1, "A scheduled follow-up will not be sent (the client opted out, was erased, or came back).",
		func() Payload { return FollowUpCancelled{FollowUpID: "f1", Reason: FollowUpOptedOut} }),
	register(AggregateConversation, TypeFollowUpAnswered, 1, "The client replied to a follow-up: the conversation is open again with high priority.",
		func() Payload { return FollowUpAnswered{FollowUpID: "f1", MessageID: "sms-sm1"} }),
}

// FollowUp is the state of one follow-up of a conversation.
type FollowUp struct {
	ID                 string
	DueAt, ScheduledAt time.Time
	// SentAt is when the text went (zero until then).
	SentAt time.Time
	// Outcome is "" while it waits, then "sent", "failed", "blocked" (as
	// the send's) or "cancelled"; Reason says why it was cancelled.
	Outcome, Reason string
	Answered        bool
}

// Pending reports whether the follow-up still waits for its time.
func (f FollowUp) Pending() bool { return f.Outcome == "" }

// FollowUpPlan is a worker's request for a follow-up at wrap-up.
type FollowUpPlan struct {
	// Consent: the client agreed to be contacted. Without it, nothing is
	// scheduled.
	Consent bool
	Due     time.Time
	// Within is the line's furthest follow-up (lines[].follow_up_max); 0:
	// the line sends no follow-ups.
	Within time.Duration
}

// FollowUpSendID is the send id of follow-up id's text.
func FollowUpSendID(id string) string { return FollowUpSendPrefix + id }

// ScheduleFollowUp records a check-in the client agreed to, for p.Due:
// in the future, within p.Within, on a conversation by SMS (a web chat
// client cannot be reached once the chat ended). It replaces any
// follow-up still pending. It is recorded by Close, with the close.
func (c *Conversation) ScheduleFollowUp(byStaffID string, p FollowUpPlan, m Meta) error {
	switch {
	case p.Within <= 0:
		return fmt.Errorf("%w: line %s sends no follow-ups", ErrBadFollowUp, c.LineID)
	case c.Channel != ChannelSMS:
		return fmt.Errorf("%w: only a client who texts can be followed up (this is %s)", ErrBadFollowUp, c.Channel)
	case !p.Consent:
		return fmt.Errorf("%w: the client must agree to it", ErrBadFollowUp)
	case !p.Due.After(m.OccurredAt):
		return fmt.Errorf("%w: the time must be in the future", ErrBadFollowUp)
	case p.Due.Sub(m.OccurredAt) > p.Within:
		return fmt.Errorf("%w: at most %s ahead", ErrBadFollowUp, p.Within)
	}
	if err := c.cancelFollowUps(FollowUpReplaced, m); err != nil {
		return err
	}
	return c.record(FollowUpScheduled{FollowUpID: NewID(), DueAt: p.Due.UTC(), ByStaffID: byStaffID}, m)
}

// CancelFollowUp records that follow-up id will not be sent, for reason,
// unless it is no longer pending.
func (c *Conversation) CancelFollowUp(id, reason string, m Meta) error {
	f, ok := c.FollowUps[id]
	if !ok {
		return fmt.Errorf("follow-up %s: %w", id, ErrNotFound)
	}
	if !f.Pending() {
		return nil
	}
	return c.recordWithID(DerivedID("fu-cancel", id), FollowUpCancelled{FollowUpID: id, Reason: reason}, m)
}

func (c *Conversation) cancelFollowUps(reason string, m Meta) error {
	for _, id := range c.followUpOrder {
		if err := c.CancelFollowUp(id, reason, m); err != nil {
			return err
		}
	}
	return nil
}

// answeredFollowUp returns the follow-up a client's message at `at`
// answers: the latest one sent, not yet answered, within
// FollowUpReplyWindow.
func (c *Conversation) answeredFollowUp(at time.Time) (FollowUp, bool) {
	for i := len(c.followUpOrder) - 1; i >= 0; i-- {
		f := c.FollowUps[c.followUpOrder[i]]
		if f.SentAt.IsZero() {
			continue
		}
		if f.Answered || at.After(f.SentAt.Add(FollowUpReplyWindow)) {
			return FollowUp{}, false
		}
		return f, true
	}
	return FollowUp{}, false
}

// receiveFollowUps does what a client's new message means for the
// conversation's follow-ups, before the message is recorded: one that
// answers a follow-up reopens the conversation whenever it closed, and
// marks it answered; any other reopening cancels the follow-ups still
// pending (the client came back).
func (c *Conversation) receiveFollowUps(messageID string, reopenWithin time.Duration, m Meta) error {
	if !c.Started {
		return nil
	}
	if f, ok := c.answeredFollowUp(m.OccurredAt); ok {
		if c.Closed {
			if err := c.recordWithID(DerivedID("reopen", c.ID, messageID), ConversationReopened{MessageID: messageID}, m); err != nil {
				return err
			}
		}
		return c.recordWithID(DerivedID("fu-answered", f.ID), FollowUpAnswered{FollowUpID: f.ID, MessageID: messageID}, m)
	}
	if err := c.reopenFor(messageID, reopenWithin, m); err != nil {
		return err
	}
	if c.Closed {
		return nil // the message starts the client's next conversation
	}
	return c.cancelFollowUps(FollowUpClientReturned, m)
}

// applyFollowUp folds the events about follow-ups, and the outcome of
// their sends.
func (c *Conversation) applyFollowUp(p Payload, at time.Time) {
	switch p := p.(type) {
	case FollowUpScheduled:
		if _, seen := c.FollowUps[p.FollowUpID]; !seen {
			c.FollowUps[p.FollowUpID] = FollowUp{ID: p.FollowUpID, DueAt: p.DueAt, ScheduledAt: at}
			c.followUpOrder = append(c.followUpOrder, p.FollowUpID)
		}
	case FollowUpCancelled:
		c.followUpDone(p.FollowUpID, "cancelled", p.Reason, time.Time{})
	case FollowUpAnswered:
		if f, ok := c.FollowUps[p.FollowUpID]; ok {
			f.Answered = true
			c.FollowUps[p.FollowUpID] = f
		}
	case MessageSent:
		c.followUpDone(p.SendID, "sent", "", at)
	case MessageSendFailed:
		c.followUpDone(p.SendID, "failed", p.Reason, time.Time{})
	case ReplyBlocked:
		c.followUpDone(p.ReplyID, "blocked", p.Reason, time.Time{})
	}
}

// followUpDone marks a follow-up cancelled (id) or its send (a send id)
// done, unless it was already.
func (c *Conversation) followUpDone(id, outcome, reason string, sentAt time.Time) {
	if outcome != "cancelled" {
		sendID, isFollowUp := strings.CutPrefix(id, FollowUpSendPrefix)
		if !isFollowUp {
			return
		}
		id = sendID
	}
	f, ok := c.FollowUps[id]
	if !ok || !f.Pending() {
		return
	}
	f.Outcome, f.Reason, f.SentAt = outcome, reason, sentAt
	c.FollowUps[id] = f
}
