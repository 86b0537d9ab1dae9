package app

import (
	"context"

	"github.com/helpline-org/helpline/events"
)

// Assign gives a conversation to a worker, and optionally a team: duty
// workers distribute the work.
type Assign struct {
	Actor          Actor
	ConversationID string
	AssigneeID     string
	TeamID         string
}

// AssignHandler records assignments.
type AssignHandler struct{ d *deps }

// Handle records the assignment. The assignee must have an account; a
// conversation of another line is not found.
func (h AssignHandler) Handle(ctx context.Context, cmd Assign) error {
	if err := events.ValidateID(cmd.ConversationID); err != nil {
		return ErrNotFound
	}
	if _, err := h.d.Staff.Get(ctx, cmd.AssigneeID); err != nil {
		if errNoAccount(err) {
			return badRequest("no staff account has that id")
		}
		return err
	}
	if cmd.TeamID != "" && events.ValidateID(cmd.TeamID) != nil {
		return badRequest("the team id is not valid")
	}
	m := h.d.meta()
	_, err := h.d.Conversations.Update(ctx, cmd.ConversationID, func(c *events.Conversation) error {
		if !h.d.Staff.serves(c.LineID) {
			return ErrNotFound
		}
		return c.Assign(cmd.AssigneeID, cmd.TeamID, cmd.Actor.ID, m)
	})
	return err
}
