package console

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// The admins' page of a line's saved replies, and its forms.

func (p *pages) savedReplies(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	sr, err := p.app.Queries.SavedReplies.Handle(r.Context(), app.SavedReplies{Line: r.URL.Query().Get("line")})
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "replies", v, &views.SavedRepliesPage{Chrome: views.Chrome{Title: "Saved replies: " + sr.LineName},
		SavedReplies: sr, Lines: p.lines, FormID: events.NewID(), Done: r.URL.Query().Get("done")})
	return nil
}

// savedReplyForm is what the add and edit forms send.
func savedReplyForm(r *http.Request, v *auth.Viewer, action, id string) app.ChangeSavedReply {
	return app.ChangeSavedReply{Actor: v.Actor(), Line: chi.URLParam(r, "line"), Action: action, ID: id,
		Language: r.PostFormValue("language"), Shortcut: r.PostFormValue("shortcut"), Title: r.PostFormValue("title"), Text: r.PostFormValue("text")}
}

func (p *pages) savedReplyAdd(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	return p.changeSavedReply(w, r, savedReplyForm(r, v, app.SavedReplyAdd, r.PostFormValue("id")), "added")
}

func (p *pages) savedReplyEdit(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	return p.changeSavedReply(w, r, savedReplyForm(r, v, app.SavedReplyEdit, chi.URLParam(r, "reply")), "edited")
}

func (p *pages) savedReplyRemove(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cmd := app.ChangeSavedReply{Actor: v.Actor(), Line: chi.URLParam(r, "line"), Action: app.SavedReplyRemove, ID: chi.URLParam(r, "reply")}
	return p.changeSavedReply(w, r, cmd, "removed")
}

func (p *pages) changeSavedReply(w http.ResponseWriter, r *http.Request, cmd app.ChangeSavedReply, done string) error {
	_, err := p.app.Commands.ChangeSavedReply.Handle(r.Context(), cmd)
	return seeOther(w, r, "/admin/replies?line="+url.QueryEscape(cmd.Line)+"&done="+done, err)
}

// The same as JSON.

func (a *api) savedReplies(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	sr, err := a.app.Queries.SavedReplies.Handle(r.Context(), app.SavedReplies{Line: chi.URLParam(r, "line")})
	return respond(w, http.StatusOK, sr, err)
}

// savedReplyJSON is what the API's add and edit send.
type savedReplyJSON struct {
	ID       string `json:"id"`
	Language string `json:"language"`
	Shortcut string `json:"shortcut"`
	Title    string `json:"title"`
	Text     string `json:"text"`
}

func (a *api) savedReplyChange(r *http.Request, v *auth.Viewer, action string) (string, error) {
	var in savedReplyJSON
	if action != app.SavedReplyRemove {
		if err := decodeJSON(r, &in); err != nil {
			return "", err
		}
	}
	if action != app.SavedReplyAdd {
		in.ID = chi.URLParam(r, "reply")
	}
	return a.app.Commands.ChangeSavedReply.Handle(r.Context(), app.ChangeSavedReply{Actor: v.Actor(), Line: chi.URLParam(r, "line"), Action: action,
		ID: in.ID, Language: in.Language, Shortcut: in.Shortcut, Title: in.Title, Text: in.Text})
}

func (a *api) savedReplyAdd(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	id, err := a.savedReplyChange(r, v, app.SavedReplyAdd)
	return respond(w, http.StatusCreated, views.Created{ID: id}, err)
}

func (a *api) savedReplyEdit(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	_, err := a.savedReplyChange(r, v, app.SavedReplyEdit)
	return noContent(w, err)
}

func (a *api) savedReplyRemove(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	_, err := a.savedReplyChange(r, v, app.SavedReplyRemove)
	return noContent(w, err)
}
