package console

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// pages is the HTML port: each handler reads the form or the query, calls
// the application and renders a typed view model; a form that changes
// something redirects (post/redirect/get).
type pages struct {
	app    app.Application
	auth   *auth.Authenticator
	render *renderer
	lines  []string
}

// login is the sign-in form; next is where signing in returns to (a
// local path only).
func (p *pages) login(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	next := localPath(r.URL.Query().Get("next"))
	if v != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p.render.page(w, http.StatusOK, "login", nil, &views.LoginPage{Chrome: views.Chrome{Title: "Sign in"}, Next: next})
	return nil
}

func (p *pages) loginSubmit(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	next := localPath(r.PostFormValue("next"))
	if _, err := p.auth.SignIn(w, r, r.PostFormValue("id"), r.PostFormValue("password")); err != nil {
		code, msg := statusOf(err)
		if code >= 500 {
			return err
		}
		p.render.page(w, code, "login", nil, &views.LoginPage{Chrome: views.Chrome{Title: "Sign in"}, Error: msg, Next: next})
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (p *pages) logout(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	err := p.auth.SignOut(w, r, v)
	return seeOther(w, r, "/login", err)
}

// home sends each role to its first page.
func (p *pages) home(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	to := map[string]string{events.RoleWorker: "/inbox", events.RoleDuty: "/queue", events.RoleManager: "/dashboard", events.RoleAdmin: "/admin/users"}[v.Role()]
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (p *pages) inbox(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	l, err := p.app.Queries.Inbox.Handle(r.Context(), app.Inbox{Actor: v.Actor(), Cursor: cursor, Limit: limit, State: state})
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "inbox", v, &views.InboxPage{Chrome: views.Chrome{Title: "Inbox", Live: "inbox"}, Inbox: l,
		State: cmp.Or(state, app.StateOpen), HandedOver: r.URL.Query().Get("handed") != ""})
	return nil
}

func (p *pages) queue(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q, err := p.app.Queries.Queue.Handle(r.Context(), app.Queue{Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "queue", v, &views.QueuePage{Chrome: views.Chrome{Title: "Duty queue", Live: "queue"}, Queue: q})
	return nil
}

// escalation shows one escalation to whoever may take it on: what was
// raised and why, who was paged, the Acknowledge button, first (on a
// phone, without scrolling); then, to who may read it, the conversation.
func (p *pages) escalation(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	page, err := p.escalationPage(r, v, chi.URLParam(r, "escalation"))
	if err != nil {
		return err
	}
	page.Acknowledged = r.URL.Query().Get("acknowledged") != ""
	p.render.page(w, http.StatusOK, "escalation", v, page)
	return nil
}

// escalationPage is the escalation and, when the viewer may read it (the
// content rule, audited), its conversation.
func (p *pages) escalationPage(r *http.Request, v *auth.Viewer, id string) (*views.EscalationPage, error) {
	ctx := r.Context()
	e, err := p.app.Queries.Escalation.Handle(ctx, app.Escalation{Actor: v.Actor(), EscalationID: id, Via: "page", Background: auth.Background(r)})
	if err != nil {
		return nil, err
	}
	page := &views.EscalationPage{Chrome: views.Chrome{Title: "Escalation"}, Escalation: e}
	if e.Pseudonym != "" {
		page.Title = "Escalation " + e.Pseudonym
	}
	c, err := p.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: v.Actor(), ConversationID: e.ConversationID, Via: "page",
		Background: auth.Background(r)})
	switch {
	case err == nil:
		page.Conversation = &c
	case !errors.Is(err, app.ErrForbidden):
		return nil, err
	}
	return page, nil
}

// acknowledge records the viewer taking the escalation on. Who may read
// the conversation goes on to it, to answer; anyone else back to the
// escalation. Both are told it worked; who was beaten to it sees the
// escalation as it is now, with who got there first.
func (p *pages) acknowledge(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "escalation")
	conv, err := p.app.Commands.Acknowledge.Handle(r.Context(), app.Acknowledge{Actor: v.Actor(), EscalationID: id})
	var already *app.AlreadyAcknowledgedError
	if errors.As(err, &already) {
		page, gerr := p.escalationPage(r, v, id)
		if gerr != nil {
			return err
		}
		code, msg := statusOf(err)
		page.Error = msg
		p.render.page(w, code, "escalation", v, page)
		return nil
	}
	if err != nil {
		return err
	}
	to := "/queue/" + id + "?acknowledged=1"
	if v.Role() == events.RoleDuty || v.Role() == events.RoleWorker {
		to = "/conversations/" + conv + "?acknowledged=1"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (p *pages) conversation(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	return p.conversationPage(w, r, v, http.StatusOK, "")
}

// conversationPage renders the conversation with status, and refused
// (why a reply was not sent) beside the reply form.
func (p *pages) conversationPage(w http.ResponseWriter, r *http.Request, v *auth.Viewer, status int, refused string) error {
	c, err := p.app.Queries.ReadConversation.Handle(r.Context(), app.ReadConversation{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"), Via: "page",
		Background: auth.Background(r)})
	if err != nil {
		return err
	}
	page := &views.ConversationPage{Chrome: views.Chrome{Title: "Conversation " + c.Pseudonym},
		Conversation: c, ReplyID: events.NewID(), Sent: r.URL.Query().Get("sent") != "", Acknowledged: r.URL.Query().Get("acknowledged") != "",
		EscalationID: events.NewID(), Escalated: r.URL.Query().Get("escalated") != "", Marked: r.URL.Query().Get("marked") != "",
		Reasons: events.ManualReasons, FlagID: events.NewID(), FlagKinds: events.FlagKinds, Flagged: r.URL.Query().Get("flagged") != "",
		Closed: r.URL.Query().Get("closed") != "", NewMessage: r.URL.Query().Get("newmessage") != "", HandOverID: events.NewID(), ReplyRefused: refused}
	if page.Assignees, err = p.app.Queries.Assignees.Handle(r.Context()); err != nil {
		return err
	}
	if page.Taxonomy, err = p.app.Queries.Taxonomy.Handle(c.LineID); err != nil {
		return err
	}
	if c.Open && !page.BreakGlass {
		// Saved replies help; they never stand between a worker and the
		// conversation: unreadable, the reply box offers none.
		sr, err := p.app.Queries.SavedReplies.Handle(r.Context(), app.SavedReplies{Line: c.LineID})
		if err != nil {
			p.render.log.Warn().Err(err).Str("line", c.LineID).Msg("saved replies unavailable for the reply box")
		}
		page.SavedReplies = sr.Replies
	}
	p.render.page(w, status, "conversation", v, page)
	return nil
}

func (p *pages) reply(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	cmd := app.Reply{Actor: v.Actor(), ConversationID: id, ReplyID: r.PostFormValue("reply_id"), Body: r.PostFormValue("body")}
	if _, err := p.app.Commands.Reply.Handle(r.Context(), cmd); err != nil {
		if errors.Is(err, events.ErrOutsideWindow) {
			// Shown on the conversation, beside the reply form: the
			// worker sees why, and the messages it is about.
			code, msg := statusOf(err)
			return p.conversationPage(w, r, v, code, msg)
		}
		return err
	}
	http.Redirect(w, r, "/conversations/"+id+"?sent=1", http.StatusSeeOther)
	return nil
}

func (p *pages) assign(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	cmd := app.Assign{Actor: v.Actor(), ConversationID: id, AssigneeID: strings.TrimSpace(r.PostFormValue("assignee_id")),
		TeamID: strings.TrimSpace(r.PostFormValue("team_id"))}
	err := p.app.Commands.Assign.Handle(r.Context(), cmd)
	return seeOther(w, r, "/conversations/"+id, err)
}

// escalate raises an escalation by hand: the duty worker is paged.
func (p *pages) escalate(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	cmd := app.EscalateByHand{Actor: v.Actor(), ConversationID: id, RequestID: r.PostFormValue("request_id"),
		Reason: r.PostFormValue("reason"), MessageID: r.PostFormValue("message_id")}
	err := p.app.Commands.EscalateByHand.Handle(r.Context(), cmd)
	return seeOther(w, r, "/conversations/"+id+"?escalated=1", err)
}

// flag puts a flag on the conversation's client (kind, reason, last
// day): staff see it until then; triage and paging never read it.
func (p *pages) flag(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	cmd := app.FlagClient{Actor: v.Actor(), ConversationID: id, FlagID: r.PostFormValue("flag_id"), Kind: r.PostFormValue("kind"),
		Reason: r.PostFormValue("reason"), Until: r.PostFormValue("until")}
	err := p.app.Commands.FlagClient.Handle(r.Context(), cmd)
	return seeOther(w, r, "/conversations/"+id+"?flagged=1", err)
}

// close ends the conversation with the worker's wrap-up. A message that
// came after the page was loaded refuses it: the page shows the message
// and says so.
func (p *pages) close(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	if err := r.ParseForm(); err != nil {
		return badRequest("the form could not be read")
	}
	seen, err := strconv.ParseUint(r.PostFormValue("seen_seq"), 10, 64)
	if err != nil {
		return badRequest("the form is out of date: reload the page")
	}
	cmd := app.Close{Actor: v.Actor(), ConversationID: id, Outcome: r.PostFormValue("outcome"), Categories: r.PostForm["category"], SeenSeq: seen,
		FollowUp: followUpForm(r)}
	err = p.app.Commands.Close.Handle(r.Context(), cmd)
	if errors.Is(err, events.ErrNewMessage) {
		http.Redirect(w, r, "/conversations/"+id+"?newmessage=1", http.StatusSeeOther)
		return nil
	}
	return seeOther(w, r, "/conversations/"+id+"?closed=1", err)
}

// followUpForm reads the close form's follow-up: the consent box, and
// either a number of hours or days or a date and time.
func followUpForm(r *http.Request) app.FollowUp {
	f := app.FollowUp{Consent: r.PostFormValue("follow_up_consent") == "yes", At: r.PostFormValue("follow_up_at")}
	if n := strings.TrimSpace(r.PostFormValue("follow_up_in")); n != "" {
		f.In = n + r.PostFormValue("follow_up_unit")
	}
	return f
}

// handOver gives the conversation to another worker or a team with a
// note; the viewer may no longer read it, so they go back to their inbox.
func (p *pages) handOver(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	cmd := app.HandOver{Actor: v.Actor(), ConversationID: id, HandOverID: r.PostFormValue("handover_id"),
		AssigneeID: strings.TrimSpace(r.PostFormValue("assignee_id")), TeamID: strings.TrimSpace(r.PostFormValue("team_id")), Note: r.PostFormValue("note")}
	_, err := p.app.Commands.HandOver.Handle(r.Context(), cmd)
	return seeOther(w, r, "/inbox?handed=1", err)
}

// feedback marks triage's verdict on one message, missed or a false alarm.
func (p *pages) feedback(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	cmd := app.MarkVerdict{Actor: v.Actor(), ConversationID: id, MessageID: chi.URLParam(r, "message"), Feedback: r.PostFormValue("feedback")}
	err := p.app.Commands.MarkVerdict.Handle(r.Context(), cmd)
	return seeOther(w, r, "/conversations/"+id+"?marked=1", err)
}

func (p *pages) breakGlassForm(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "conversation")
	if err := events.ValidateID(id); err != nil {
		return app.ErrNotFound
	}
	p.render.page(w, http.StatusOK, "breakglass", v, &views.BreakGlassPage{Chrome: views.Chrome{Title: "Break-glass reading"}, ConversationID: id})
	return nil
}

func (p *pages) breakGlass(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	c, err := p.app.Queries.ReadConversation.Handle(r.Context(), app.ReadConversation{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"),
		Via: "page", BreakGlass: true, Reason: r.PostFormValue("reason")})
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "conversation", v, &views.ConversationPage{Chrome: views.Chrome{Title: "Break-glass: " + c.Pseudonym}, Conversation: c, BreakGlass: true})
	return nil
}
