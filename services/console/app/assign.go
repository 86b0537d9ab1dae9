package app

import (
	"context"
	"slices"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
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

// AssigneesHandler lists who a conversation may be given to.
type AssigneesHandler struct{ d *deps }

// Handle returns the people of the lines who work conversations (active
// accounts with the worker or duty role), by name, and the teams of the
// configuration: a duty worker picks from them rather than typing an id.
func (h AssigneesHandler) Handle(ctx context.Context) (views.Assignees, error) {
	all, err := h.d.Staff.List(ctx)
	if err != nil {
		return views.Assignees{}, err
	}
	out := views.Assignees{People: []views.Person{}, Teams: []string{}}
	for _, a := range all {
		if !a.Disabled && (a.Has(events.RoleWorker) || a.Has(events.RoleDuty)) {
			out.People = append(out.People, views.Person{ID: a.ID, Name: a.Name})
		}
		for _, t := range h.d.Staff.Teams(a.ID) {
			if !slices.Contains(out.Teams, t) {
				out.Teams = append(out.Teams, t)
			}
		}
	}
	slices.SortFunc(out.People, func(a, b views.Person) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(out.Teams)
	return out, nil
}
