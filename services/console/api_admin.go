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
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (a *api) users(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	l, err := a.app.Queries.Staff.Handle(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
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
	if err := a.app.Commands.AddStaff.Handle(r.Context(), app.AddStaff{Actor: v.Actor(), ID: in.ID, Name: in.Name, Role: in.Role, Password: in.Password}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, views.Created{ID: in.ID})
	return nil
}

func (a *api) userRole(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Role  string `json:"role"`
		Grant bool   `json:"grant"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.app.Commands.ChangeRole.Handle(r.Context(), app.ChangeRole{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff"), Role: in.Role, Grant: in.Grant}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) userDisable(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := a.app.Commands.DisableStaff.Handle(r.Context(), app.DisableStaff{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff"), Reason: in.Reason}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) audit(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := a.app.Queries.Audit.Handle(r.Context(), app.Audit{Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (a *api) config(w http.ResponseWriter, _ *http.Request, _ *auth.Viewer) error {
	writeJSON(w, http.StatusOK, a.app.Queries.Config.Handle())
	return nil
}
