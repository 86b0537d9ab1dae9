package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpline-org/helpline/events"
)

// Acknowledge is a duty worker, or anyone paged for it, taking an
// escalation on.
type Acknowledge struct {
	Actor        Actor
	EscalationID string
}

// AcknowledgeHandler records acknowledgements.
type AcknowledgeHandler struct{ d *deps }

// Handle records that the actor takes the escalation on (a duty worker
// any of the lines', anyone else one they were paged for: mayTake) and,
// when nobody has the conversation yet and they may read it, gives it to
// them; it returns the
// conversation's id. The acknowledgement is one event appended with the
// conversation's expected sequence: of two simultaneous acknowledgements
// one lands, the other is decided again on the conversation as the winner
// left it and gets *AlreadyAcknowledgedError, naming who got there first.
// The assignment is a second decision, on the conversation as it is then:
// an append of both at once could land the first and conflict on the
// second, and deciding again would then tell the winner they had lost.
func (h AcknowledgeHandler) Handle(ctx context.Context, cmd Acknowledge) (string, error) {
	e, err := h.d.escalation(ctx, cmd.EscalationID)
	if err != nil {
		return "", err
	}
	m := h.d.meta()
	_, err = h.d.Conversations.Update(ctx, e.ConversationID, func(c *events.Conversation) error {
		// Decided on the conversation itself, not the queue: a page the
		// queue does not show yet still lets its recipient acknowledge.
		if !mayTake(cmd.Actor, e, c.Escalations[cmd.EscalationID]) {
			return ErrForbidden
		}
		return c.Acknowledge(cmd.EscalationID, cmd.Actor.ID, m)
	})
	var already *events.AlreadyAcknowledgedError
	if errors.As(err, &already) {
		return "", &AlreadyAcknowledgedError{Name: h.d.Staff.Name(ctx, already.StaffID), At: already.At, err: already}
	}
	if err != nil {
		return "", err
	}
	h.d.log.Info().Str("escalation_id", cmd.EscalationID).Str("staff_id", cmd.Actor.ID).Msg("escalation acknowledged")
	if !contentRole(cmd.Actor.Role) {
		// A manager or an admin takes the escalation on without the
		// conversation: they cannot read it through their role.
		return e.ConversationID, nil
	}
	_, err = h.d.Conversations.Update(ctx, e.ConversationID, func(c *events.Conversation) error {
		if c.AssigneeID != "" || c.Closed {
			return nil
		}
		return c.Assign(cmd.Actor.ID, c.TeamID, cmd.Actor.ID, m)
	})
	if err != nil {
		return "", fmt.Errorf("acknowledged; take over: %w", err)
	}
	return e.ConversationID, nil
}
