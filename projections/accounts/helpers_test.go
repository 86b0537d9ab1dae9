package accounts

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// fixture is the projection to the shared store suite and crash test.
var fixture = projectiontest.Fixture[Tx, Snapshot, Store, *View]{Name: Name, New: NewView,
	Backends: projectiontest.Backends[Store](NewMemoryStore, NewSQLStore),
	Events:   scenario, Relevant: relevant, Assert: assertScenario}

// add appends a worker event to a script, a second after the last.
func add(s *projectiontest.Script, staff string, p events.Payload) {
	s.T.Helper()
	s.Add(staff, time.Date(2026, 3, 2, 9, 0, len(s.Envs), 0, time.UTC), p)
}

const hash1, hash2 = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaDE", "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaDI"

// scenario: four accounts granted, revoked, disabled and re-passworded,
// with events an account never registered would have, and repeats.
func scenario(t testing.TB) []events.Envelope {
	s := &projectiontest.Script{T: t}
	add(s, "ada", events.WorkerRegistered{Name: "Ada Admin", PasswordHash: hash1, ByStaffID: "cli"})
	add(s, "ada", events.WorkerRoleGranted{Role: events.RoleAdmin, ByStaffID: "cli"})
	add(s, "dana", events.WorkerRegistered{Name: "Dana Duty", PasswordHash: hash1, ByStaffID: "ada"})
	add(s, "dana", events.WorkerRoleGranted{Role: events.RoleWorker, ByStaffID: "ada"})
	add(s, "dana", events.WorkerRoleGranted{Role: events.RoleDuty, ByStaffID: "ada"})
	add(s, "dana", events.WorkerRoleGranted{Role: events.RoleWorker, ByStaffID: "ada"}) // held already
	add(s, "dana", events.WorkerPasswordChanged{PasswordHash: hash2, ByStaffID: "dana"})
	add(s, "wes", events.WorkerRegistered{Name: "Wes Worker", PasswordHash: hash1, ByStaffID: "ada"})
	add(s, "wes", events.WorkerRoleGranted{Role: events.RoleWorker, ByStaffID: "ada"})
	add(s, "wes", events.WorkerRoleRevoked{Role: events.RoleWorker, ByStaffID: "ada"})
	add(s, "wes", events.WorkerRoleRevoked{Role: events.RoleAdmin, ByStaffID: "ada"}) // not held
	add(s, "wes", events.WorkerRegistered{Name: "Someone Else", PasswordHash: hash2, ByStaffID: "ada"})
	add(s, "mia", events.WorkerRegistered{Name: "Mia", PasswordHash: hash1, ByStaffID: "ada"})
	add(s, "mia", events.WorkerRoleGranted{Role: events.RoleManager, ByStaffID: "ada"})
	add(s, "mia", events.WorkerDisabled{ByStaffID: "ada", Reason: "left"})
	add(s, "ghost", events.WorkerRoleGranted{Role: events.RoleAdmin, ByStaffID: "ada"}) // never registered
	return s.Envs
}

// scenarioAccounts are the scenario's accounts, by hand, by id.
func scenarioAccounts() []Account {
	return []Account{
		{ID: "ada", Name: "Ada Admin", Roles: []string{events.RoleAdmin}, PasswordHash: hash1},
		{ID: "dana", Name: "Dana Duty", Roles: []string{events.RoleWorker, events.RoleDuty}, PasswordHash: hash2},
		{ID: "mia", Name: "Mia", Roles: []string{events.RoleManager}, Disabled: true, PasswordHash: hash1},
		{ID: "wes", Name: "Wes Worker", PasswordHash: hash1},
	}
}

// assertScenario checks every account of the scenario, by Get and List.
func assertScenario(t testing.TB, v *View) {
	t.Helper()
	ctx := context.Background()
	want := scenarioAccounts()
	got, err := v.List(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("list: %v\n got %+v\nwant %+v", err, got, want)
	}
	for _, a := range want {
		if g, err := v.Get(ctx, a.ID); err != nil || !reflect.DeepEqual(g, a) {
			t.Fatalf("get %s: %+v, %v", a.ID, g, err)
		}
	}
	if cp, err := v.Checkpoint(ctx); err != nil || cp == 0 {
		t.Fatalf("checkpoint %d, %v", cp, err)
	}
}
