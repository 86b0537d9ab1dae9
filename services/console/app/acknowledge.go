package app

import (
	"context"
	"errors"

	"github.com/helpline-org/helpline/events"
)

// Acknowledge is a duty worker taking an escalation on.
type Acknowledge struct {
	Actor        Actor
	EscalationID string
}

// AcknowledgeHandler records acknowledgements.
type AcknowledgeHandler struct{ d *deps }

// Handle records that the duty worker takes the escalation on and, when
// nobody has the conversation yet, gives it to them; it returns the
// conversation's id. The repository appends with the conversation's
// expected sequence: of two simultaneous acknowledgements one wins, the
// other is decided again on the conversation as the winner left it and
// gets *AlreadyAcknowledgedError, naming who got there first.
func (h AcknowledgeHandler) Handle(ctx context.Context, cmd Acknowledge) (string, error) {
	e, err := h.d.escalation(ctx, cmd.EscalationID)
	if err != nil {
		return "", err
	}
	m := h.d.meta()
	_, err = h.d.Conversations.Update(ctx, e.ConversationID, func(c *events.Conversation) error {
		if err := c.Acknowledge(cmd.EscalationID, cmd.Actor.ID, m); err != nil {
			return err
		}
		if c.AssigneeID != "" || c.Closed {
			return nil
		}
		return c.Assign(cmd.Actor.ID, c.TeamID, cmd.Actor.ID, m)
	})
	var already *events.AlreadyAcknowledgedError
	if errors.As(err, &already) {
		return "", &AlreadyAcknowledgedError{Name: h.d.Staff.Name(ctx, already.StaffID), At: already.At, err: already}
	}
	if err != nil {
		return "", err
	}
	h.d.log.Info().Str("escalation_id", cmd.EscalationID).Str("staff_id", cmd.Actor.ID).Msg("escalation acknowledged")
	return e.ConversationID, nil
}
