package app

import (
	"context"
	"slices"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// Queue asks for one page of the open duty queue of the console's lines,
// oldest first.
type Queue struct {
	Cursor string
	Limit  int // 0: escalations.DefaultLimit
}

// QueueHandler reads the duty queue.
type QueueHandler struct{ d *deps }

// Handle returns one page of the open queue and the cursor of the next.
func (h QueueHandler) Handle(ctx context.Context, q Queue) (views.QueueList, error) {
	after, limit, err := page(q.Cursor, q.Limit, escalations.DefaultLimit)
	if err != nil {
		return views.QueueList{}, err
	}
	rows, err := h.d.Queue.Open(ctx, h.d.Staff.Lines(), limit, after)
	if err != nil {
		return views.QueueList{}, err
	}
	out := views.QueueList{Escalations: []views.Escalation{}}
	for _, e := range rows {
		out.Escalations = append(out.Escalations, h.d.escalationOf(ctx, e))
	}
	if len(rows) == limit {
		out.Next = rows[len(rows)-1].After().String()
	}
	return out, nil
}

// page is a listing's position and size: the cursor decoded, and the
// limit asked for, or def when none was.
func page(cursor string, limit, def int) (projections.Cursor, int, error) {
	after, err := projections.ParseCursor(cursor)
	if err != nil {
		return projections.Cursor{}, 0, badRequest("the cursor is not valid")
	}
	if limit == 0 {
		limit = def
	}
	return after, limit, nil
}

// Escalation asks for one escalation, for the actor. Via says through
// which port ("page" or "api"), for the audit record of its opened terms;
// Background, a reading the page makes by itself (readings.go).
type Escalation struct {
	Actor        Actor
	EscalationID string
	Via          string
	Background   bool
}

// EscalationHandler reads one escalation of the console's lines.
type EscalationHandler struct{ d *deps }

// Handle returns the escalation, open or not, to whoever may take it on
// (mayTake), as the log has it now. Who may not read content (a manager, an admin) gets it
// without the client's pseudonym or the matched terms: the reason, the
// signals, the level and the pages are what they act on. For who reads
// content the matched terms are opened with the client's key, and the
// reading recorded in the audit trail before they leave; once the
// client is erased they show as erased.
func (h EscalationHandler) Handle(ctx context.Context, q Escalation) (views.Escalation, error) {
	e, err := h.d.escalation(ctx, q.EscalationID)
	if err != nil {
		return views.Escalation{}, err
	}
	// The queue may be a moment behind the log: an acknowledgement just
	// made, or a page just sent, are read from the conversation itself.
	var live *events.Escalation
	if e.Open() || !mayTake(q.Actor, e, nil) {
		if live, err = h.d.liveEscalation(ctx, e); err != nil {
			return views.Escalation{}, err
		}
	}
	if !mayTake(q.Actor, e, live) {
		return views.Escalation{}, ErrForbidden
	}
	out := h.d.escalationOf(ctx, e)
	if live != nil && live.Acknowledged && out.Open {
		at := live.AcknowledgedAt
		out.Open, out.AcknowledgedBy, out.AcknowledgedByName, out.AcknowledgedAt = false, live.AcknowledgedBy, h.d.Staff.Name(ctx, live.AcknowledgedBy), &at
	}
	if !contentRole(q.Actor.Role) {
		out.Pseudonym = ""
		return out, nil
	}
	terms, erased, err := h.d.openTerms(ctx, e.MessageID, e.Terms)
	if err != nil {
		return views.Escalation{}, err
	}
	if len(terms) > 0 {
		if err := h.d.record(ctx, reading{actor: q.Actor, conversationID: e.ConversationID, via: q.Via, subject: e.ID,
			disclosed: 1, shown: terms, background: q.Background}); err != nil {
			return views.Escalation{}, err
		}
	}
	// The projection drops an erased client's sealed terms: they show as
	// erased, as those it still holds under a destroyed key do.
	out.Terms, out.TermsErased = terms, erased || e.TermsErased
	return out, nil
}

// openTerms opens a verdict's sealed terms (none for an empty field).
// erased reports that they were sealed with a key that is gone: the
// client was erased, and the words with them.
func (d *deps) openTerms(ctx context.Context, messageID string, s events.Sealed) (terms []string, erased bool, err error) {
	terms, err = inbox.OpenTerms(ctx, d.Keys, messageID, s)
	switch {
	case inbox.Erased(err):
		return []string{}, true, nil
	case err != nil:
		return nil, false, err
	}
	return views.NonNil(terms), false, nil
}

// mayTake is the escalation rule: a duty worker may open and acknowledge
// any escalation of the lines; anyone else, whatever their role (a
// manager or an admin at a later level of the policy, a worker on the
// rota), one they were paged for, as the queue shows it or, a moment
// before, the conversation (live, when read). Reading its conversation
// is still the content rule's to decide.
func mayTake(a Actor, queued escalations.Escalation, live *events.Escalation) bool {
	if a.Role == events.RoleDuty || pagedFor(live, a.ID) {
		return true
	}
	for _, p := range queued.Pages {
		if p.StaffID == a.ID {
			return true
		}
	}
	return false
}

// liveEscalation reads the escalation from its conversation, as the log
// has it now (the queue may be a moment behind).
func (d *deps) liveEscalation(ctx context.Context, e escalations.Escalation) (*events.Escalation, error) {
	var live *events.Escalation
	_, err := d.Conversations.Update(ctx, e.ConversationID, func(c *events.Conversation) error {
		if esc, ok := c.Escalations[e.ID]; ok {
			cp := *esc
			live = &cp
		}
		return nil
	})
	return live, err
}

// pagedFor reports whether staffID was paged, at any step, for esc (nil:
// unknown).
func pagedFor(esc *events.Escalation, staffID string) bool {
	if esc == nil {
		return false
	}
	for _, staff := range esc.Paged {
		if slices.Contains(staff, staffID) {
			return true
		}
	}
	return false
}

// contentRole reports whether a role reads conversations (through the
// content rule); managers and admins never do through their role.
func contentRole(role string) bool { return events.ReadsContent(role) }

// escalation reads one escalation; one of another line's is not found.
func (d *deps) escalation(ctx context.Context, id string) (escalations.Escalation, error) {
	if err := events.ValidateID(id); err != nil {
		return escalations.Escalation{}, ErrNotFound
	}
	e, err := d.Queue.Get(ctx, id)
	if err != nil {
		return e, err
	}
	if !slices.Contains(d.Staff.Lines(), e.LineID) {
		return e, ErrNotFound
	}
	return e, nil
}

// escalationOf is the view of an escalation: staff named, never numbers.
func (d *deps) escalationOf(ctx context.Context, e escalations.Escalation) views.Escalation {
	out := views.Escalation{ID: e.ID, ConversationID: e.ConversationID, LineID: e.LineID, Pseudonym: e.Pseudonym, Reason: e.Reason,
		Risk: e.Risk, Categories: views.NonNil(e.Categories), Terms: []string{}, Level: e.Level, Round: e.Round, RaisedAt: e.RaisedAt,
		Pages: []views.PageSent{}, Exhausted: e.Exhausted, Open: e.Open()}
	for _, p := range e.Pages {
		out.Pages = append(out.Pages, views.PageSent{StaffID: p.StaffID, StaffName: d.Staff.Name(ctx, p.StaffID), LevelName: p.LevelName, Round: p.Round, At: p.At,
			Channel: p.Channel, Delivery: p.Delivery, ErrorCode: p.ErrorCode})
	}
	if !e.AcknowledgedAt.IsZero() {
		at := e.AcknowledgedAt
		out.AcknowledgedBy, out.AcknowledgedByName, out.AcknowledgedAt = e.AcknowledgedBy, d.Staff.Name(ctx, e.AcknowledgedBy), &at
	}
	return out
}
