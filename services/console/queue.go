package console

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

func (s *Service) escalationOf(ctx context.Context, e escalations.Escalation) views.Escalation {
	out := views.Escalation{ID: e.ID, ConversationID: e.ConversationID, LineID: e.LineID, Pseudonym: e.Pseudonym, Reason: e.Reason,
		Risk: e.Risk, Categories: views.NonNil(e.Categories), Terms: views.NonNil(e.Terms), Level: e.Level, Round: e.Round, RaisedAt: e.RaisedAt,
		Pages: []views.PageSent{}, Exhausted: e.Exhausted, Open: e.Open()}
	for _, p := range e.Pages {
		out.Pages = append(out.Pages, views.PageSent{StaffID: p.StaffID, StaffName: s.staffName(ctx, p.StaffID), LevelName: p.LevelName, Round: p.Round, At: p.At})
	}
	if !e.AcknowledgedAt.IsZero() {
		at := e.AcknowledgedAt
		out.AcknowledgedBy, out.AcknowledgedByName, out.AcknowledgedAt = e.AcknowledgedBy, s.staffName(ctx, e.AcknowledgedBy), &at
	}
	return out
}

// pageParams reads cursor and limit from the query.
func pageParams(r *http.Request) (string, int, error) {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return "", 0, badRequest("limit must be 1 to 500")
		}
		limit = n
	}
	return r.URL.Query().Get("cursor"), limit, nil
}

func (s *Service) queueList(ctx context.Context, cursor string, limit int) (views.QueueList, error) {
	after, err := escalations.ParseCursor(cursor)
	if err != nil {
		return views.QueueList{}, badRequest("the cursor is not valid")
	}
	if limit == 0 {
		limit = escalations.DefaultLimit
	}
	rows, err := s.d.Queue.Open(ctx, s.lineIDs, limit, after)
	if err != nil {
		return views.QueueList{}, err
	}
	out := views.QueueList{Escalations: []views.Escalation{}}
	for _, e := range rows {
		out.Escalations = append(out.Escalations, s.escalationOf(ctx, e))
	}
	if len(rows) == limit {
		out.Next = rows[len(rows)-1].After().String()
	}
	return out, nil
}

func (s *Service) queuePage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q, err := s.queueList(r.Context(), cursor, limit)
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "queue", v, &views.QueuePage{Chrome: views.Chrome{Title: "Duty queue", Live: "queue"}, Queue: q})
	return nil
}

func (s *Service) apiQueue(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q, err := s.queueList(r.Context(), cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Service) escalation(ctx context.Context, id string) (escalations.Escalation, error) {
	if err := events.ValidateID(id); err != nil {
		return escalations.Escalation{}, errNotFound
	}
	e, err := s.d.Queue.Get(ctx, id)
	if err != nil {
		return e, err
	}
	if !slices.Contains(s.lineIDs, e.LineID) {
		return e, errNotFound
	}
	return e, nil
}

func (s *Service) escalationPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	e, err := s.escalation(r.Context(), chi.URLParam(r, "escalation"))
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "escalation", v, &views.EscalationPage{Chrome: views.Chrome{Title: "Escalation " + e.Pseudonym}, Escalation: s.escalationOf(r.Context(), e)})
	return nil
}

func (s *Service) apiEscalation(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	e, err := s.escalation(r.Context(), chi.URLParam(r, "escalation"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.escalationOf(r.Context(), e))
	return nil
}

// acknowledge records that the duty worker takes the escalation on, and
// assigns them the conversation if nobody has it. It appends with the
// conversation's expected sequence: of two simultaneous acknowledgements
// one wins; the other reloads and gets *events.AlreadyAcknowledgedError,
// naming who did.
func (s *Service) acknowledge(ctx context.Context, v *viewer, escalationID string) (string, error) {
	e, err := s.escalation(ctx, escalationID)
	if err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		c, _, err := events.LoadConversation(ctx, s.d.Log, e.ConversationID)
		if err != nil {
			return "", err
		}
		m := s.meta()
		if err := c.Acknowledge(escalationID, v.ID, m); err != nil {
			return "", err
		}
		if c.AssigneeID == "" && !c.Closed {
			if err := c.Assign(v.ID, c.TeamID, v.ID, m); err != nil {
				return "", err
			}
		}
		_, err = s.d.Log.Append(ctx, events.ExpectSeq(c.Version), c.Pending()...)
		if errors.Is(err, events.ErrConcurrency) && attempt < 3 {
			continue // something happened in the conversation: decide again
		}
		if err != nil {
			return "", err
		}
		s.log.Info().Str("escalation_id", escalationID).Str("staff_id", v.ID).Msg("escalation acknowledged")
		return e.ConversationID, nil
	}
}

func (s *Service) ackSubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	conv, err := s.acknowledge(r.Context(), v, chi.URLParam(r, "escalation"))
	var already *events.AlreadyAcknowledgedError
	if errors.As(err, &already) {
		// Show the escalation as it is now, with who got there first.
		e, gerr := s.escalation(r.Context(), chi.URLParam(r, "escalation"))
		if gerr != nil {
			return err
		}
		code, msg := s.statusOf(r.Context(), err)
		s.render(w, code, "escalation", v, &views.EscalationPage{Chrome: views.Chrome{Title: "Escalation " + e.Pseudonym}, Escalation: s.escalationOf(r.Context(), e), Error: msg})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/conversations/"+conv+"?acknowledged=1", http.StatusSeeOther)
	return nil
}

func (s *Service) apiAck(w http.ResponseWriter, r *http.Request, v *viewer) error {
	conv, err := s.acknowledge(r.Context(), v, chi.URLParam(r, "escalation"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, views.Acknowledged{EscalationID: chi.URLParam(r, "escalation"), ConversationID: conv, AcknowledgedBy: v.ID})
	return nil
}

// inboxQueries are the inbox queries whose union is what v may see: all
// open conversations of the lines for duty; for a worker, their own and
// their teams'.
func (s *Service) inboxQueries(v *viewer, after inbox.Cursor, limit int) []inbox.Query {
	if v.Role() == events.RoleDuty {
		return []inbox.Query{{LineIDs: s.lineIDs, After: after, Limit: limit}}
	}
	qs := []inbox.Query{{LineIDs: s.lineIDs, AssigneeID: v.ID, After: after, Limit: limit}}
	for _, t := range s.teams(v.ID) {
		qs = append(qs, inbox.Query{LineIDs: s.lineIDs, TeamID: t, After: after, Limit: limit})
	}
	return qs
}

func (s *Service) inboxList(ctx context.Context, v *viewer, cursor string, limit int) (views.InboxList, error) {
	after, err := inbox.ParseCursor(cursor)
	if err != nil {
		return views.InboxList{}, badRequest("the cursor is not valid")
	}
	if limit == 0 {
		limit = 50
	}
	if s.d.Inbox == nil {
		return views.InboxList{}, errUnavailable
	}
	seen := map[string]bool{}
	var all []inbox.Conversation
	for _, q := range s.inboxQueries(v, after, limit) {
		rows, err := s.d.Inbox.List(ctx, q)
		if err != nil {
			return views.InboxList{}, err
		}
		for _, c := range rows {
			if !seen[c.ID] && s.mayRead(v, c) {
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
	for _, c := range all {
		out.Conversations = append(out.Conversations, s.conversationOf(ctx, c))
	}
	if len(all) == limit {
		last := all[len(all)-1]
		out.Next = last.After().String()
	}
	return out, nil
}

func (s *Service) inboxPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := s.inboxList(r.Context(), v, cursor, limit)
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "inbox", v, &views.InboxPage{Chrome: views.Chrome{Title: "Inbox", Live: "inbox"}, Inbox: l})
	return nil
}

func (s *Service) apiInbox(w http.ResponseWriter, r *http.Request, v *viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := s.inboxList(r.Context(), v, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}
