package console

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// api is the JSON port: the same use cases as the pages, over the same
// view models, decoded from and encoded to JSON (contracts/openapi.yaml).
type api struct {
	app  app.Application
	auth *auth.Authenticator
}

func (a *api) signIn(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	var in struct {
		StaffID  string `json:"staff_id"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := a.auth.SignIn(w, r, in.StaffID, in.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.auth.Session(v))
	return nil
}

func (a *api) session(w http.ResponseWriter, _ *http.Request, v *auth.Viewer) error {
	writeJSON(w, http.StatusOK, a.auth.Session(v))
	return nil
}

func (a *api) signOut(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	return noContent(w, a.auth.SignOut(w, r, v))
}

func (a *api) inbox(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := a.app.Queries.Inbox.Handle(r.Context(), app.Inbox{Actor: v.Actor(), Cursor: cursor, Limit: limit, State: r.URL.Query().Get("state")})
	return respond(w, http.StatusOK, l, err)
}

func (a *api) queue(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q, err := a.app.Queries.Queue.Handle(r.Context(), app.Queue{Cursor: cursor, Limit: limit})
	return respond(w, http.StatusOK, q, err)
}

func (a *api) escalation(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	e, err := a.app.Queries.Escalation.Handle(r.Context(), app.Escalation{Actor: v.Actor(), EscalationID: chi.URLParam(r, "escalation"), Via: "api",
		Background: auth.Background(r)})
	return respond(w, http.StatusOK, e, err)
}

func (a *api) acknowledge(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id := chi.URLParam(r, "escalation")
	conv, err := a.app.Commands.Acknowledge.Handle(r.Context(), app.Acknowledge{Actor: v.Actor(), EscalationID: id})
	return respond(w, http.StatusOK, views.Acknowledged{EscalationID: id, ConversationID: conv, AcknowledgedBy: v.ID}, err)
}

func (a *api) conversation(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	c, err := a.app.Queries.ReadConversation.Handle(r.Context(), app.ReadConversation{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"), Via: "api",
		Background: auth.Background(r)})
	return respond(w, http.StatusOK, c, err)
}

func (a *api) reply(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		ID   string `json:"id"`
		Body string `json:"body"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := a.app.Commands.Reply.Handle(r.Context(), app.Reply{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"), ReplyID: in.ID, Body: in.Body})
	return respond(w, http.StatusAccepted, views.ReplyAccepted{ReplyID: id}, err)
}

// flag puts a flag on the conversation's client: 204, or 400 saying what
// is wrong.
func (a *api) flag(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		ID     string `json:"id"`
		Kind   string `json:"kind"`
		Reason string `json:"reason"`
		Until  string `json:"until"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cmd := app.FlagClient{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"), FlagID: in.ID, Kind: in.Kind, Reason: in.Reason, Until: in.Until}
	return noContent(w, a.app.Commands.FlagClient.Handle(r.Context(), cmd))
}

func (a *api) assign(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		AssigneeID string `json:"assignee_id"`
		TeamID     string `json:"team_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cmd := app.Assign{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"), AssigneeID: in.AssigneeID, TeamID: in.TeamID}
	return noContent(w, a.app.Commands.Assign.Handle(r.Context(), cmd))
}

func (a *api) close(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Outcome    string   `json:"outcome"`
		Categories []string `json:"categories"`
		SeenSeq    uint64   `json:"seen_seq"`
		FollowUp   struct {
			Consent bool   `json:"consent"`
			In      string `json:"in"`
			At      string `json:"at"`
		} `json:"follow_up"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cmd := app.Close{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"), Outcome: in.Outcome, Categories: in.Categories, SeenSeq: in.SeenSeq,
		FollowUp: app.FollowUp(in.FollowUp)}
	return noContent(w, a.app.Commands.Close.Handle(r.Context(), cmd))
}

func (a *api) handOver(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		ID         string `json:"id"`
		AssigneeID string `json:"assignee_id"`
		TeamID     string `json:"team_id"`
		Note       string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := a.app.Commands.HandOver.Handle(r.Context(), app.HandOver{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"),
		HandOverID: in.ID, AssigneeID: in.AssigneeID, TeamID: in.TeamID, Note: in.Note})
	return respond(w, http.StatusOK, views.HandedOver{HandOverID: id}, err)
}

func (a *api) breakGlass(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := a.app.Queries.ReadConversation.Handle(r.Context(), app.ReadConversation{Actor: v.Actor(), ConversationID: chi.URLParam(r, "conversation"),
		Via: "api", BreakGlass: true, Reason: in.Reason})
	return respond(w, http.StatusOK, c, err)
}
