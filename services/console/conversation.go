package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// maxReply is the longest reply, in characters (Twilio's limit for one
// message).
const maxReply = 1600

func (s *Service) conversationOf(ctx context.Context, c inbox.Conversation) views.Conversation {
	out := views.Conversation{ID: c.ID, LineID: c.LineID, Pseudonym: c.Pseudonym, Channel: c.Channel, TeamID: c.TeamID,
		AssigneeID: c.AssigneeID, Open: c.Open, StartedAt: c.StartedAt, LastActivityAt: c.LastActivityAt, Unread: c.Unread,
		Risk: c.Risk, Flags: views.NonNil(c.Flags), Categories: views.NonNil(c.Categories), Terms: views.NonNil(c.Terms), Consent: c.Consent, Erased: c.Erased}
	if c.AssigneeID != "" {
		out.AssigneeName = s.staffName(ctx, c.AssigneeID)
	}
	return out
}

// mayRead is the content rule: a duty worker reads any conversation of
// the lines; a worker reads those assigned to them or to one of their
// teams. Managers and admins never read through their role (admins:
// break-glass only).
func (s *Service) mayRead(v *viewer, c inbox.Conversation) bool {
	switch v.Role() {
	case events.RoleDuty:
		return slices.Contains(s.lineIDs, c.LineID)
	case events.RoleWorker:
		return c.AssigneeID == v.ID || (c.TeamID != "" && slices.Contains(s.teams(v.ID), c.TeamID))
	}
	return false
}

// readConversation returns a conversation with its messages decrypted,
// after recording the reading in the audit trail: no content leaves
// without its audit record.
func (s *Service) readConversation(ctx context.Context, v *viewer, id, via, breakGlass string) (views.Conversation, error) {
	if err := events.ValidateID(id); err != nil {
		return views.Conversation{}, errNotFound
	}
	if s.d.Inbox == nil {
		return views.Conversation{}, errUnavailable
	}
	c, err := s.d.Inbox.Get(ctx, id)
	if err != nil {
		return views.Conversation{}, err
	}
	if breakGlass == "" && !s.mayRead(v, c) {
		return views.Conversation{}, errForbidden
	}
	msgs, err := s.d.Inbox.Messages(ctx, id)
	if err != nil {
		return views.Conversation{}, err
	}
	if err := s.audit(ctx, v, id, via, breakGlass, len(msgs)); err != nil {
		return views.Conversation{}, err
	}
	out := s.conversationOf(ctx, c)
	for _, m := range msgs {
		mj := views.Message{ID: m.ID, Direction: m.Direction, At: m.At, SenderName: m.SenderName, Status: m.Status,
			Reason: m.Reason, Risk: m.Risk, Terms: views.NonNil(m.Terms)}
		text, err := inbox.Open(ctx, s.d.Keys, c, m)
		switch {
		case err == nil:
			mj.Text = text
		case errors.Is(err, keyring.ErrErased) || c.Erased:
			mj.Unavailable = true
		default:
			return views.Conversation{}, fmt.Errorf("open message %s: %w", m.ID, err)
		}
		out.Messages = append(out.Messages, mj)
	}
	return out, nil
}

// audit appends one content_read record.
func (s *Service) audit(ctx context.Context, v *viewer, conversationID, via, breakGlass string, n int) error {
	e, err := events.New(v.ID, events.ContentRead{ConversationID: conversationID, Role: v.Role(), Via: via,
		BreakGlassReason: breakGlass, MessagesDisclosed: n}, s.meta())
	if err != nil {
		return err
	}
	if _, err := s.d.Log.AppendAudit(ctx, events.AuditContentRead, e); err != nil {
		return fmt.Errorf("%w: audit: %w", errUnavailable, err)
	}
	return nil
}

// reply records a worker's reply, sealed with the client's key and bound
// to its event. replyID comes from the form (or the API caller), so a
// double submission is one reply: the event id is derived from it and the
// log's dedupe window keeps one.
func (s *Service) reply(ctx context.Context, v *viewer, conversationID, replyID, body string) (string, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return "", badRequest("the reply is empty")
	}
	if utf8.RuneCountInString(body) > maxReply {
		return "", badRequest(fmt.Sprintf("a reply is at most %d characters", maxReply))
	}
	if replyID == "" {
		replyID = events.NewID()
	}
	if err := events.ValidateID(replyID); err != nil || len(replyID) > 40 {
		return "", badRequest("the reply id is not valid")
	}
	if err := events.ValidateID(conversationID); err != nil {
		return "", errNotFound
	}
	if s.d.Inbox == nil {
		return "", errUnavailable
	}
	c, err := s.d.Inbox.Get(ctx, conversationID)
	if err != nil {
		return "", err
	}
	if !s.mayRead(v, c) {
		return "", errForbidden
	}
	conv, _, err := events.LoadConversation(ctx, s.d.Log, conversationID)
	if err != nil {
		return "", err
	}
	if !conv.Started {
		return "", errNotFound
	}
	if conv.Closed {
		return "", events.ErrClosed
	}
	eventID := "rq-" + replyID
	sealed, err := s.d.Keys.Seal(ctx, conv.ClientID, []byte(body), events.BodyAAD(eventID))
	if err != nil {
		return "", fmt.Errorf("seal reply: %w", err)
	}
	e, err := events.NewWithID(eventID, conversationID, events.ReplyRequested{ReplyID: replyID, StaffID: v.ID,
		SenderName: v.FirstName(), Body: events.Sealed{KeyID: conv.ClientID, Data: sealed}}, s.meta())
	if err != nil {
		return "", err
	}
	// Any order with other messages is fine; the check that matters (the
	// conversation is open) was made on the state just loaded.
	if _, err := s.d.Log.Append(ctx, events.ExpectAny, e); err != nil {
		return "", err
	}
	s.log.Info().Str("conversation_id", conversationID).Str("staff_id", v.ID).Str("reply_id", replyID).Msg("reply requested")
	return replyID, nil
}

func (s *Service) conversationPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	c, err := s.readConversation(r.Context(), v, chi.URLParam(r, "conversation"), "page", "")
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "conversation", v, &views.ConversationPage{Chrome: views.Chrome{Title: "Conversation " + c.Pseudonym},
		Conversation: c, ReplyID: events.NewID(), Sent: r.URL.Query().Get("sent") != ""})
	return nil
}

func (s *Service) replySubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := chi.URLParam(r, "conversation")
	if _, err := s.reply(r.Context(), v, id, r.PostFormValue("reply_id"), r.PostFormValue("body")); err != nil {
		return err
	}
	http.Redirect(w, r, "/conversations/"+id+"?sent=1", http.StatusSeeOther)
	return nil
}

func (s *Service) apiConversation(w http.ResponseWriter, r *http.Request, v *viewer) error {
	c, err := s.readConversation(r.Context(), v, chi.URLParam(r, "conversation"), "api", "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Service) apiReply(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		ID   string `json:"id"`
		Body string `json:"body"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.reply(r.Context(), v, chi.URLParam(r, "conversation"), in.ID, in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, views.ReplyAccepted{ReplyID: id})
	return nil
}

// breakGlassReason validates an admin's stated reason.
func breakGlassReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) < 10 {
		return "", badRequest("state the reason for reading this conversation (at least 10 characters)")
	}
	if utf8.RuneCountInString(s) > 500 {
		return "", badRequest("the reason is at most 500 characters")
	}
	return s, nil
}

func (s *Service) breakGlassForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := chi.URLParam(r, "conversation")
	if err := events.ValidateID(id); err != nil {
		return errNotFound
	}
	s.render(w, http.StatusOK, "breakglass", v, &views.BreakGlassPage{Chrome: views.Chrome{Title: "Break-glass reading"}, ConversationID: id})
	return nil
}

func (s *Service) breakGlassSubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	reason, err := breakGlassReason(r.PostFormValue("reason"))
	if err != nil {
		return err
	}
	c, err := s.readConversation(r.Context(), v, chi.URLParam(r, "conversation"), "page", reason)
	if err != nil {
		return err
	}
	s.log.Warn().Str("staff_id", v.ID).Str("conversation_id", c.ID).Msg("break-glass reading")
	s.render(w, http.StatusOK, "conversation", v, &views.ConversationPage{Chrome: views.Chrome{Title: "Break-glass: " + c.Pseudonym}, Conversation: c, BreakGlass: true})
	return nil
}

func (s *Service) apiBreakGlass(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	reason, err := breakGlassReason(in.Reason)
	if err != nil {
		return err
	}
	c, err := s.readConversation(r.Context(), v, chi.URLParam(r, "conversation"), "api", reason)
	if err != nil {
		return err
	}
	s.log.Warn().Str("staff_id", v.ID).Str("conversation_id", c.ID).Msg("break-glass reading")
	writeJSON(w, http.StatusOK, c)
	return nil
}

// assign gives a conversation to a worker (and optionally a team): duty
// workers distribute the work. The assignee must have an account.
func (s *Service) assign(ctx context.Context, v *viewer, conversationID, assigneeID, teamID string) error {
	if err := events.ValidateID(conversationID); err != nil {
		return errNotFound
	}
	if _, err := s.accounts.Get(ctx, assigneeID); err != nil {
		return badRequest("no staff account has that id")
	}
	if teamID != "" && events.ValidateID(teamID) != nil {
		return badRequest("the team id is not valid")
	}
	for attempt := 0; ; attempt++ {
		c, _, err := events.LoadConversation(ctx, s.d.Log, conversationID)
		if err != nil {
			return err
		}
		if !slices.Contains(s.lineIDs, c.LineID) {
			return errNotFound
		}
		if err := c.Assign(assigneeID, teamID, v.ID, s.meta()); err != nil {
			return err
		}
		_, err = s.d.Log.Append(ctx, events.ExpectSeq(c.Version), c.Pending()...)
		if errors.Is(err, events.ErrConcurrency) && attempt < 3 {
			continue
		}
		return err
	}
}

func (s *Service) assignSubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := chi.URLParam(r, "conversation")
	if err := s.assign(r.Context(), v, id, strings.TrimSpace(r.PostFormValue("assignee_id")), strings.TrimSpace(r.PostFormValue("team_id"))); err != nil {
		return err
	}
	http.Redirect(w, r, "/conversations/"+id, http.StatusSeeOther)
	return nil
}

func (s *Service) apiAssign(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		AssigneeID string `json:"assignee_id"`
		TeamID     string `json:"team_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.assign(r.Context(), v, chi.URLParam(r, "conversation"), in.AssigneeID, in.TeamID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
