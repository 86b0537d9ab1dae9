package app

import (
	"cmp"
	"context"
	"slices"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// Inbox asks for one page of the conversations the actor may read, most
// recent activity first.
type Inbox struct {
	Actor  Actor
	Cursor string
	Limit  int // 0: 50
	// State is "open" (also ""), "closed" or "all".
	State string
}

// Inbox states.
const (
	StateOpen   = "open"
	StateClosed = "closed"
	StateAll    = "all"
)

// InboxHandler reads a worker's or duty worker's inbox.
type InboxHandler struct{ d *deps }

// Handle returns one page of the inbox and the cursor of the next.
func (h InboxHandler) Handle(ctx context.Context, q Inbox) (views.InboxList, error) {
	after, limit, err := page(q.Cursor, q.Limit, 50)
	if err != nil {
		return views.InboxList{}, err
	}
	if h.d.Inbox == nil {
		return views.InboxList{}, ErrUnavailable
	}
	if !slices.Contains([]string{"", StateOpen, StateClosed, StateAll}, q.State) {
		return views.InboxList{}, badRequest("state is open, closed or all")
	}
	seen := map[string]bool{}
	var all []inbox.Conversation
	for _, iq := range h.d.inboxQueries(q.Actor, after, limit) {
		iq.IncludeClosed, iq.OnlyClosed = q.State == StateAll || q.State == StateClosed, q.State == StateClosed
		rows, err := h.d.Inbox.List(ctx, iq)
		if err != nil {
			return views.InboxList{}, err
		}
		for _, c := range rows {
			if !seen[c.ID] && h.d.mayRead(q.Actor, c) {
				seen[c.ID] = true
				all = append(all, c)
			}
		}
	}
	// Each query is a page from the same cursor in the inbox's order
	// (newest activity first, then the greater id), so the first limit of
	// their union is the union's page.
	slices.SortFunc(all, func(a, b inbox.Conversation) int {
		if c := b.LastActivityAt.Compare(a.LastActivityAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	out := views.InboxList{Conversations: []views.Conversation{}}
	if len(all) > limit {
		all = all[:limit]
	}
	if len(all) == limit {
		out.Next = all[len(all)-1].After().String()
	}
	// High priority first: a client's reply to a follow-up, until a
	// worker answers it (the page's own order otherwise).
	slices.SortStableFunc(all, func(a, b inbox.Conversation) int { return cmp.Compare(priority(b), priority(a)) })
	for _, c := range all {
		out.Conversations = append(out.Conversations, h.d.conversationOf(ctx, c))
	}
	return out, nil
}

// priority ranks a conversation in the inbox: 1 for a client's reply to
// a follow-up nobody has answered yet, else 0.
func priority(c inbox.Conversation) int {
	if c.Unread > 0 && slices.Contains(c.Flags, inbox.FlagFollowUpReply) {
		return 1
	}
	return 0
}

// inboxQueries are the inbox queries whose union is what a may see: all
// open conversations of the lines for duty; for a worker, their own and
// their teams'.
func (d *deps) inboxQueries(a Actor, after inbox.Cursor, limit int) []inbox.Query {
	lines := d.Staff.Lines()
	if a.Role == events.RoleDuty {
		return []inbox.Query{{LineIDs: lines, After: after, Limit: limit}}
	}
	qs := []inbox.Query{{LineIDs: lines, AssigneeID: a.ID, After: after, Limit: limit}}
	for _, t := range d.Staff.Teams(a.ID) {
		qs = append(qs, inbox.Query{LineIDs: lines, TeamID: t, After: after, Limit: limit})
	}
	return qs
}

// mayRead is the content rule: a duty worker reads any conversation of
// the lines; a worker reads those assigned to them or to one of their
// teams. Managers and admins never read through their role (admins:
// break-glass only).
func (d *deps) mayRead(a Actor, c inbox.Conversation) bool {
	switch a.Role {
	case events.RoleDuty:
		return d.Staff.serves(c.LineID)
	case events.RoleWorker:
		return c.AssigneeID == a.ID || (c.TeamID != "" && slices.Contains(d.Staff.Teams(a.ID), c.TeamID))
	}
	return false
}

// conversationOf is the view of a conversation without its messages.
func (d *deps) conversationOf(ctx context.Context, c inbox.Conversation) views.Conversation {
	out := views.Conversation{ID: c.ID, LineID: c.LineID, Pseudonym: c.Pseudonym, Channel: c.Channel, TeamID: c.TeamID,
		AssigneeID: c.AssigneeID, Open: c.Open, StartedAt: c.StartedAt, LastActivityAt: c.LastActivityAt, Unread: c.Unread,
		Risk: c.Risk, Flags: views.NonNil(c.Flags), Categories: views.NonNil(c.Categories), Consent: c.Consent, Erased: c.Erased,
		ClientFlags: currentFlags(c, d.Now()), LastMessageSeq: c.LastInboundSeq, Outcome: c.Outcome}
	if c.AssigneeID != "" {
		out.AssigneeName = d.Staff.Name(ctx, c.AssigneeID)
	}
	return out
}
