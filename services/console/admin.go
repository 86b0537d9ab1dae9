package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/views"
)

func (s *Service) users(ctx context.Context) ([]views.User, error) {
	all, err := s.accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []views.User{}
	for _, a := range all {
		_, inConfig := s.staff[a.ID]
		out = append(out, views.User{ID: a.ID, Name: a.Name, Roles: views.NonNil(a.Roles), Disabled: a.Disabled, Teams: views.NonNil(s.teams(a.ID)), InConfig: inConfig})
	}
	return out, nil
}

func (s *Service) usersPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.accounts.Refresh(r.Context()); err != nil {
		return err
	}
	users, err := s.users(r.Context())
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "users", v, &views.UsersPage{Chrome: views.Chrome{Title: "Staff accounts"}, Users: users, Roles: accounts.Roles(), Done: r.URL.Query().Get("done")})
	return nil
}

func (s *Service) apiUsers(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	if err := s.accounts.Refresh(r.Context()); err != nil {
		return err
	}
	users, err := s.users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, views.UserList{Users: users})
	return nil
}

func (s *Service) createUser(ctx context.Context, v *viewer, id, name, role, password string) error {
	return s.accounts.Register(ctx, strings.TrimSpace(id), strings.TrimSpace(name), role, password, v.ID, s.meta())
}

func (s *Service) userCreateSubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.createUser(r.Context(), v, r.PostFormValue("id"), r.PostFormValue("name"), r.PostFormValue("role"), r.PostFormValue("password")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?done=created", http.StatusSeeOther)
	return nil
}

func (s *Service) apiUserCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.createUser(r.Context(), v, in.ID, in.Name, in.Role, in.Password); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, views.Created{ID: in.ID})
	return nil
}

// changeRole grants or revokes a role. An admin cannot take their own
// admin role away (someone must be left to manage accounts).
func (s *Service) changeRole(ctx context.Context, v *viewer, id, role string, grant bool) error {
	if !events.ValidRole(role) {
		return ErrBadRole
	}
	if err := events.ValidateID(id); err != nil {
		return errNotFound
	}
	if !grant && id == v.ID && role == events.RoleAdmin {
		return badRequest("you cannot revoke your own admin role")
	}
	if grant {
		return s.accounts.Grant(ctx, id, role, v.ID, s.meta())
	}
	return s.accounts.Revoke(ctx, id, role, v.ID, s.meta())
}

func (s *Service) userRoleSubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	grant := r.PostFormValue("action") != "revoke"
	if err := s.changeRole(r.Context(), v, chi.URLParam(r, "staff"), r.PostFormValue("role"), grant); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?done=role", http.StatusSeeOther)
	return nil
}

func (s *Service) apiUserRole(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		Role  string `json:"role"`
		Grant bool   `json:"grant"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.changeRole(r.Context(), v, chi.URLParam(r, "staff"), in.Role, in.Grant); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) disableUser(ctx context.Context, v *viewer, id, reason string) error {
	if err := events.ValidateID(id); err != nil {
		return errNotFound
	}
	if id == v.ID {
		return badRequest("you cannot disable your own account")
	}
	if len(reason) > 500 {
		return badRequest("the reason is at most 500 characters")
	}
	return s.accounts.Disable(ctx, id, v.ID, strings.TrimSpace(reason), s.meta())
}

func (s *Service) userDisableSubmit(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.disableUser(r.Context(), v, chi.URLParam(r, "staff"), r.PostFormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?done=disabled", http.StatusSeeOther)
	return nil
}

func (s *Service) apiUserDisable(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.disableUser(r.Context(), v, chi.URLParam(r, "staff"), in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditTrail returns up to limit records after the sequence cursor, oldest
// first.
func (s *Service) auditTrail(ctx context.Context, cursor string, limit int) (views.AuditList, error) {
	var after uint64
	if cursor != "" {
		n, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil {
			return views.AuditList{}, badRequest("the cursor is not valid")
		}
		after = n
	}
	if limit == 0 {
		limit = 100
	}
	out := views.AuditList{Records: []views.AuditRecord{}}
	_, err := s.d.Log.ReadAudit(ctx, after, func(e events.Envelope) error {
		p, err := e.Decode()
		if err != nil {
			return err
		}
		if cr, ok := p.(events.ContentRead); ok {
			out.Records = append(out.Records, views.AuditRecord{Seq: e.Sequence, At: e.OccurredAt, StaffID: e.AggregateID, StaffName: s.staffName(ctx, e.AggregateID),
				Role: cr.Role, ConversationID: cr.ConversationID, Via: cr.Via, BreakGlassReason: cr.BreakGlassReason, Messages: cr.MessagesDisclosed})
		}
		if len(out.Records) == limit {
			out.Next = strconv.FormatUint(e.Sequence, 10)
			return errPageFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return views.AuditList{}, err
	}
	return out, nil
}

var errPageFull = errors.New("page full")

func (s *Service) auditPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := s.auditTrail(r.Context(), cursor, limit)
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "audit", v, &views.AuditPage{Chrome: views.Chrome{Title: "Audit trail"}, Audit: l})
	return nil
}

func (s *Service) apiAudit(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := s.auditTrail(r.Context(), cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Service) configView() views.Config {
	out := views.Config{Lines: []views.Line{}, Staff: []views.StaffMember{}, Rota: []views.Shift{}}
	for _, l := range s.d.File.Lines {
		out.Lines = append(out.Lines, views.Line{ID: l.ID, Name: l.Name, Timezone: l.Timezone, AlwaysOpen: l.AlwaysOpen,
			FirstResponseTarget: l.FirstResponseTarget.Duration.String(), Policy: l.Policy})
	}
	for _, st := range s.d.File.Staff {
		out.Staff = append(out.Staff, views.StaffMember{ID: st.ID, Name: st.Name, Role: st.Role, Teams: views.NonNil(st.Teams), HasWorkPhone: st.WorkPhone != ""})
	}
	for _, sh := range s.d.File.Rota {
		out.Rota = append(out.Rota, views.Shift{Line: sh.Line, Level: sh.Level, Staff: sh.Staff, Days: views.NonNil(sh.Days), Hours: sh.Hours})
	}
	return out
}

func (s *Service) configPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	s.render(w, http.StatusOK, "config", v, &views.ConfigPage{Chrome: views.Chrome{Title: "Configuration"}, Config: s.configView()})
	return nil
}

func (s *Service) apiConfig(w http.ResponseWriter, _ *http.Request, _ *viewer) error {
	writeJSON(w, http.StatusOK, s.configView())
	return nil
}
