package accounts

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestStores runs the one store suite against every implementation.
func TestStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fixture.Stores(t, projectiontest.Cases[Store]{
		"an account never registered is not found": func(t *testing.T, s Store) {
			v := fixture.Scenario(t, s)
			if _, err := v.Get(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("an account never registered: %v", err)
			}
		},
		"reset empties accounts and checkpoint": func(t *testing.T, s Store) {
			v := fixture.Reset(t, s)
			if got, err := v.List(ctx); err != nil || len(got) != 0 {
				t.Fatalf("list after reset: %+v, %v", got, err)
			}
		},
		"an imported snapshot reads as the events it came from": func(t *testing.T, s Store) {
			old := &projectiontest.Script{T: t}
			add(old, "stale", events.WorkerRegistered{Name: "Stale", PasswordHash: hash1})
			fixture.ApplyAll(t, NewView(s), old.Envs)
			v, _ := projectiontest.ImportScenario[Snapshot](t, fixture, s, 1)
			if _, err := v.Get(ctx, "stale"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("an account from before the import: %v", err)
			}
		},
		"a rejected import changes nothing": func(t *testing.T, s Store) {
			v := fixture.Scenario(t, s)
			before, err := s.Export(ctx, Name)
			projectiontest.Must(t, err)
			twice := before
			twice.Accounts = append(slices.Clone(before.Accounts), before.Accounts[0])
			noID := Snapshot{Checkpoint: before.Checkpoint, Accounts: []Account{{Name: "No Id"}}}
			projectiontest.RejectedImports(t, s, Name, before, before.Checkpoint, []Snapshot{twice, noID}, Snapshot{Checkpoint: before.Checkpoint - 1})
			assertScenario(t, v)
		},
		"a failed update changes nothing": func(t *testing.T, s Store) {
			projectiontest.FailedUpdate(t, s, Name, func(tx Tx) {
				projectiontest.Must(t, tx.PutAccount(ctx, Account{ID: "x", Name: "X", PasswordHash: hash1}))
			})
			if _, err := s.Get(ctx, "x"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get after failure: %v", err)
			}
		},
		"a transaction reads its own writes": func(t *testing.T, s Store) {
			want := Account{ID: "x", Name: "X Y", Roles: []string{events.RoleDuty, events.RoleAdmin}, PasswordHash: hash1}
			_, err := s.Update(ctx, Name, 1, func(tx Tx) error {
				projectiontest.Must(t, tx.PutAccount(ctx, want))
				if got, ok, err := tx.Account(ctx, "x"); err != nil || !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("in tx: %+v %v %v", got, ok, err)
				}
				return nil
			})
			projectiontest.Must(t, err)
			if got, err := s.Get(ctx, "x"); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("after commit: %+v, %v", got, err)
			}
		},
	})
}

// TestSessionRole: a session acts in the operational role first.
func TestSessionRole(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		roles []string
		want  string
	}{
		{nil, ""},
		{[]string{events.RoleAdmin}, events.RoleAdmin},
		{[]string{events.RoleManager, events.RoleDuty}, events.RoleDuty},
		{[]string{events.RoleAdmin, events.RoleWorker, events.RoleManager}, events.RoleWorker},
	} {
		if got := (Account{Roles: c.roles}).Role(); got != c.want {
			t.Errorf("roles %v: %q, want %q", c.roles, got, c.want)
		}
	}
	if got := (Account{Name: "Wes Worker"}).FirstName(); got != "Wes" {
		t.Errorf("first name %q", got)
	}
}
