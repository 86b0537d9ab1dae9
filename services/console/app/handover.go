package app

import (
	"context"
	"slices"

	"github.com/helpline-org/helpline/events"
)

// maxNote is the longest hand-over note, in characters: a short note, not
// a case file.
const maxNote = 500

// HandOver is a worker or duty worker handing a conversation they may read
// to another worker (AssigneeID) or a team (TeamID), with a note for them.
// HandOverID comes from the form, so a double submission is one
// hand-over; empty, a new one is made.
type HandOver struct {
	Actor          Actor
	ConversationID string
	HandOverID     string
	AssigneeID     string
	TeamID         string
	Note           string
}

// HandOverHandler records hand-overs.
type HandOverHandler struct{ d *deps }

// Handle records the hand-over. Who may read the conversation may hand it
// over; to whom: an active account that works conversations (worker or
// duty role), or a team of the configuration. The note is sealed with
// the client's key, bound to its event: it is content, erased with the
// client, and read (audited) on the conversation page like a message.
func (h HandOverHandler) Handle(ctx context.Context, cmd HandOver) (string, error) {
	if err := h.d.mayWorkOn(ctx, cmd.Actor, cmd.ConversationID); err != nil {
		return "", err
	}
	note, err := wordsFor(cmd.Note, maxNote, "write a note for whoever takes it over", "a hand-over note is at most %d characters")
	if err != nil {
		return "", err
	}
	id, err := requestID(cmd.HandOverID, "the form is out of date: reload the page")
	if err != nil {
		return "", err
	}
	if err := h.recipient(ctx, cmd.AssigneeID, cmd.TeamID); err != nil {
		return "", err
	}
	eventID, m := events.HandOverEventID(id), h.d.meta()
	err = h.d.updateSealed(ctx, cmd.ConversationID, note, eventID, func(c *events.Conversation, sealed events.Sealed) error {
		if c.HandOvers[eventID] {
			return nil // a repeated request: recorded once
		}
		if cmd.AssigneeID == c.AssigneeID && (cmd.TeamID == "" || cmd.TeamID == c.TeamID) {
			return badRequest("the conversation is theirs already")
		}
		return c.HandOver(id, cmd.Actor.ID, cmd.AssigneeID, cmd.TeamID, sealed, m)
	})
	if err != nil {
		return "", err
	}
	h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("to_staff_id", cmd.AssigneeID).
		Str("to_team", cmd.TeamID).Str("handover_id", id).Msg("conversation handed over")
	return id, nil
}

// recipient checks whom a conversation is handed to: someone, or a team,
// who works conversations.
func (h HandOverHandler) recipient(ctx context.Context, assigneeID, teamID string) error {
	if assigneeID == "" && teamID == "" {
		return badRequest("choose a person or a team to hand it to")
	}
	if assigneeID != "" {
		a, err := h.d.Staff.Get(ctx, assigneeID)
		switch {
		case errNoAccount(err) || events.ValidateID(assigneeID) != nil:
			return badRequest("no staff account has that id")
		case err != nil:
			return err
		case a.Disabled:
			return badRequest("that account is disabled")
		case !a.Has(events.RoleWorker) && !a.Has(events.RoleDuty):
			return badRequest("they do not work conversations (worker or duty role)")
		}
	}
	if teamID != "" {
		all, err := AssigneesHandler(h).Handle(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(all.Teams, teamID) {
			return badRequest("no one works in that team")
		}
	}
	return nil
}
