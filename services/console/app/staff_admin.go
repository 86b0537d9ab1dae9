package app

import (
	"context"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
)

// StaffHandler lists the staff accounts for admins.
type StaffHandler struct{ d *deps }

// Handle returns every account as admins see it (no hash, no number),
// caught up with the log first.
func (h StaffHandler) Handle(ctx context.Context) (views.UserList, error) {
	if err := h.d.Staff.CatchUp(ctx); err != nil {
		return views.UserList{}, err
	}
	all, err := h.d.Staff.List(ctx)
	if err != nil {
		return views.UserList{}, err
	}
	out := views.UserList{Users: []views.User{}}
	for _, a := range all {
		_, inConfig := h.d.Staff.config[a.ID]
		out.Users = append(out.Users, views.User{ID: a.ID, Name: a.Name, Roles: views.NonNil(a.Roles), Disabled: a.Disabled,
			Teams: views.NonNil(h.d.Staff.Teams(a.ID)), InConfig: inConfig})
	}
	return out, nil
}

// AddStaff is an admin creating an account with one role.
type AddStaff struct {
	Actor    Actor
	ID       string
	Name     string
	Role     string
	Password string
}

// AddStaffHandler creates accounts.
type AddStaffHandler struct{ d *deps }

// Handle records the new account.
func (h AddStaffHandler) Handle(ctx context.Context, cmd AddStaff) error {
	return h.d.Staff.Register(ctx, strings.TrimSpace(cmd.ID), strings.TrimSpace(cmd.Name), cmd.Role, cmd.Password, cmd.Actor.ID, h.d.meta())
}

// ChangeRole is an admin granting or revoking a role.
type ChangeRole struct {
	Actor   Actor
	StaffID string
	Role    string
	Grant   bool
}

// ChangeRoleHandler grants and revokes roles.
type ChangeRoleHandler struct{ d *deps }

// Handle records the change. An admin cannot take their own admin role
// away: someone must be left to manage accounts.
func (h ChangeRoleHandler) Handle(ctx context.Context, cmd ChangeRole) error {
	if !events.ValidRole(cmd.Role) {
		return events.ErrUnknownRole
	}
	if err := events.ValidateID(cmd.StaffID); err != nil {
		return ErrNotFound
	}
	if !cmd.Grant && cmd.StaffID == cmd.Actor.ID && cmd.Role == events.RoleAdmin {
		return badRequest("you cannot revoke your own admin role")
	}
	m := h.d.meta()
	return h.d.Staff.change(ctx, cmd.StaffID, func(w *events.Worker) error {
		if cmd.Grant {
			return w.Grant(cmd.Role, cmd.Actor.ID, m)
		}
		return w.Revoke(cmd.Role, cmd.Actor.ID, m)
	})
}

// DisableStaff is an admin stopping an account from signing in.
type DisableStaff struct {
	Actor   Actor
	StaffID string
	Reason  string
}

// DisableStaffHandler disables accounts.
type DisableStaffHandler struct{ d *deps }

// Handle records the disabling; the account's sessions end at their next
// request. An admin cannot disable their own account.
func (h DisableStaffHandler) Handle(ctx context.Context, cmd DisableStaff) error {
	if err := events.ValidateID(cmd.StaffID); err != nil {
		return ErrNotFound
	}
	if cmd.StaffID == cmd.Actor.ID {
		return badRequest("you cannot disable your own account")
	}
	if len(cmd.Reason) > 500 {
		return badRequest("the reason is at most 500 characters")
	}
	m := h.d.meta()
	return h.d.Staff.change(ctx, cmd.StaffID, func(w *events.Worker) error {
		return w.Disable(cmd.Actor.ID, strings.TrimSpace(cmd.Reason), m)
	})
}
