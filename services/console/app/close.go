package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/console/views"
)

// Close is a worker's wrap-up of a conversation: an outcome and categories
// ("group:value") from the line's taxonomy. SeenSeq is the sequence of the
// client's latest message as the worker's page showed it
// (views.Conversation.LastMessageSeq): a message after it refuses the
// close with events.ErrNewMessage.
type Close struct {
	Actor          Actor
	ConversationID string
	Outcome        string
	Categories     []string
	SeenSeq        uint64
	// FollowUp, when asked for, schedules a check-in the client agreed to.
	FollowUp FollowUp
}

// CloseHandler records wrap-ups.
type CloseHandler struct{ d *deps }

// Handle closes the conversation through the repository, with its
// expected sequence: a client's message appended between the worker's
// page and the close makes the aggregate decide again, and refuse. Who
// may read a conversation may close it.
func (h CloseHandler) Handle(ctx context.Context, cmd Close) error {
	if err := h.d.mayWorkOn(ctx, cmd.Actor, cmd.ConversationID); err != nil {
		return err
	}
	if cmd.SeenSeq == 0 {
		return badRequest("the form is out of date: reload the page")
	}
	cats := make([]string, 0, len(cmd.Categories))
	for _, c := range cmd.Categories {
		if c = strings.TrimSpace(c); c != "" {
			cats = append(cats, c)
		}
	}
	m := h.d.meta()
	_, err := h.d.Conversations.Update(ctx, cmd.ConversationID, func(c *events.Conversation) error {
		tax := h.d.taxonomy(c.LineID)
		if tax == nil {
			return ErrNotFound
		}
		// Checked here first for the worker's own words; the aggregate
		// checks again.
		if err := tax.CheckWrapUp(cmd.Outcome, cats); err != nil {
			return badRequest(err.Error())
		}
		w := events.WrapUp{Outcome: cmd.Outcome, Categories: cats, SeenSeq: cmd.SeenSeq}
		if cmd.FollowUp.asked() {
			line, _ := h.d.File.LineByID(c.LineID) // served: taxonomy found it
			plan, err := cmd.FollowUp.plan(line, m.OccurredAt)
			if err != nil {
				return err
			}
			w.FollowUp = plan
		}
		return c.Close(cmd.Actor.ID, w, tax, m)
	})
	if err == nil {
		h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("outcome", cmd.Outcome).Msg("conversation closed")
	}
	return err
}

// taxonomy is a line's taxonomy, nil for a line the console does not serve.
func (d *deps) taxonomy(lineID string) *config.Taxonomy {
	if !d.Staff.serves(lineID) || d.File == nil {
		return nil
	}
	l, ok := d.File.LineByID(lineID)
	if !ok {
		return nil
	}
	return l.Taxonomy
}

// TaxonomyHandler reads the wrap-up choices of a line.
type TaxonomyHandler struct{ d *deps }

// Handle returns the line's outcomes and groups of categories, as the
// close form offers them.
func (h TaxonomyHandler) Handle(lineID string) (views.Taxonomy, error) {
	tax := h.d.taxonomy(lineID)
	if tax == nil {
		return views.Taxonomy{}, ErrNotFound
	}
	out := views.Taxonomy{Outcomes: choices(tax.Outcomes, "")}
	if line, ok := h.d.File.LineByID(lineID); ok {
		out.FollowUpDays = int(line.FollowUpWithin() / (24 * time.Hour))
	}
	for _, g := range tax.Categories {
		out.Groups = append(out.Groups, views.CategoryGroup{ID: g.ID, Label: g.Label, Required: g.Required, Multiple: g.Multiple,
			Values: choices(g.Values, g.ID)})
	}
	return out, nil
}

// choices are terms as a form offers them; with a group, their values are
// category codes.
func choices(terms []config.Term, group string) []views.Choice {
	return slices.Collect(func(yield func(views.Choice) bool) {
		for _, t := range terms {
			v := t.ID
			if group != "" {
				v = config.CategoryCode(group, t.ID)
			}
			if !yield(views.Choice{Value: v, Label: t.Label}) {
				return
			}
		}
	})
}
