package console

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// The managers' and admins' API.

func (a *api) figures(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	rep, _, err := a.app.Queries.Figures.Handle(r.Context(), figuresQuery(r))
	return respond(w, http.StatusOK, rep, err)
}

func (a *api) users(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	l, err := a.app.Queries.Staff.Handle(r.Context())
	return respond(w, http.StatusOK, l, err)
}

func (a *api) userCreate(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	err := a.app.Commands.AddStaff.Handle(r.Context(), app.AddStaff{Actor: v.Actor(), ID: in.ID, Name: in.Name, Role: in.Role, Password: in.Password})
	return respond(w, http.StatusCreated, views.Created{ID: in.ID}, err)
}

func (a *api) userRole(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Role  string `json:"role"`
		Grant bool   `json:"grant"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cmd := app.ChangeRole{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff"), Role: in.Role, Grant: in.Grant}
	return noContent(w, a.app.Commands.ChangeRole.Handle(r.Context(), cmd))
}

func (a *api) userDisable(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cmd := app.DisableStaff{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff"), Reason: in.Reason}
	return noContent(w, a.app.Commands.DisableStaff.Handle(r.Context(), cmd))
}

func (a *api) audit(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := a.app.Queries.Audit.Handle(r.Context(), app.Audit{Cursor: cursor, Limit: limit})
	return respond(w, http.StatusOK, l, err)
}

func (a *api) config(w http.ResponseWriter, _ *http.Request, _ *auth.Viewer) error {
	writeJSON(w, http.StatusOK, a.app.Queries.Config.Handle())
	return nil
}
