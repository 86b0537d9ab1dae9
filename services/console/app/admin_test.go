package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
)

// TestAdminActions: accounts are created, given and stripped of roles and
// disabled; each change shows at once; an admin cannot lock themself out.
func TestAdminActions(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	c := b.app.Commands
	for _, tc := range []struct {
		name string
		run  func() error
		want error
	}{
		{"weak password", func() error {
			return c.AddStaff.Handle(ctx, app.AddStaff{Actor: ada, ID: "sam", Name: "Sam Okafor", Role: events.RoleWorker, Password: "short"})
		}, app.ErrWeakPassword},
		{"unknown role", func() error {
			return c.AddStaff.Handle(ctx, app.AddStaff{Actor: ada, ID: "sam", Name: "Sam Okafor", Role: "boss", Password: password})
		}, events.ErrUnknownRole},
		{"bad id", func() error {
			return c.AddStaff.Handle(ctx, app.AddStaff{Actor: ada, ID: "sam okafor", Name: "Sam Okafor", Role: events.RoleWorker, Password: password})
		}, app.ErrBadRequest},
		{"create", func() error {
			return c.AddStaff.Handle(ctx, app.AddStaff{Actor: ada, ID: " sam ", Name: " Sam Okafor ", Role: events.RoleWorker, Password: password})
		}, nil},
		{"create again", func() error {
			return c.AddStaff.Handle(ctx, app.AddStaff{Actor: ada, ID: "sam", Name: "Sam", Role: events.RoleDuty, Password: password})
		}, events.ErrWorkerExists},
		{"grant", func() error {
			return c.ChangeRole.Handle(ctx, app.ChangeRole{Actor: ada, StaffID: "sam", Role: events.RoleDuty, Grant: true})
		}, nil},
		{"revoke", func() error {
			return c.ChangeRole.Handle(ctx, app.ChangeRole{Actor: ada, StaffID: "sam", Role: events.RoleWorker})
		}, nil},
		{"revoke own admin", func() error {
			return c.ChangeRole.Handle(ctx, app.ChangeRole{Actor: ada, StaffID: "ada", Role: events.RoleAdmin})
		}, app.ErrBadRequest},
		{"grant to nobody", func() error {
			return c.ChangeRole.Handle(ctx, app.ChangeRole{Actor: ada, StaffID: "nobody", Role: events.RoleDuty, Grant: true})
		}, events.ErrNotFound},
		{"disable self", func() error { return c.DisableStaff.Handle(ctx, app.DisableStaff{Actor: ada, StaffID: "ada"}) }, app.ErrBadRequest},
		{"disable", func() error {
			return c.DisableStaff.Handle(ctx, app.DisableStaff{Actor: ada, StaffID: "sam", Reason: " left "})
		}, nil},
	} {
		if err := tc.run(); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	sam, err := b.staff.Get(ctx, "sam")
	if err != nil || sam.Name != "Sam Okafor" || !sam.Disabled || len(sam.Roles) != 1 || sam.Roles[0] != events.RoleDuty {
		t.Fatalf("sam after the changes: %+v, %v", sam, err)
	}
	if !app.CheckPassword(sam.PasswordHash, password) || app.CheckPassword(sam.PasswordHash, "another password") {
		t.Fatal("the account's password does not check")
	}
	l, err := b.app.Queries.Staff.Handle(ctx)
	if err != nil || len(l.Users) != 7 { // the six of the bed and sam
		t.Fatalf("users %+v, %v", l, err)
	}
	for _, u := range l.Users {
		if u.ID == "sam" && (u.InConfig || !u.Disabled) || u.ID == "wes" && (!u.InConfig || len(u.Teams) != 1) {
			t.Errorf("user %+v", u)
		}
	}
}

// TestFiguresQuery: the dashboard's line and days are checked.
func TestFiguresQuery(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	rep, days, err := b.app.Queries.Figures.Handle(ctx, app.Figures{})
	if err != nil || rep.LineID != "main" || days != 14 || len(rep.Days) != 14 || rep.To != "2026-12-08" {
		t.Fatalf("default figures: %s..%s %d days (%d), %v", rep.From, rep.To, days, len(rep.Days), err)
	}
	for _, c := range []struct {
		q    app.Figures
		want error
	}{
		{app.Figures{Line: "other"}, app.ErrNotFound},
		{app.Figures{Days: "0"}, app.ErrBadRequest},
		{app.Figures{Days: "93"}, app.ErrBadRequest},
		{app.Figures{Days: "a week"}, app.ErrBadRequest},
	} {
		if _, _, err := b.app.Queries.Figures.Handle(ctx, c.q); !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, err, c.want)
		}
	}
}
