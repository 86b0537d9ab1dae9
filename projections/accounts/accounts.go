// Package accounts owns the staff accounts projection: each account's
// name, roles, password hash and whether it is disabled, folded from the
// worker events. The console signs staff in against it, checks each
// request's account with it and shows staff names from it. It is driven
// by projections.Runner like every read model, and kept by a memory or a
// SQL (PostgreSQL/CockroachDB) Store.
//
// It holds no client identifier and no content; a password only as the
// argon2id hash the worker events carry. It lives in a package (and a SQL
// schema) of its own, so a deployment can grant the console alone the
// right to read it.
package accounts

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
)

// Name is the projection's consumer name and checkpoint key. Renaming it
// rebuilds the projection from the log.
const Name = "projection-accounts"

// ErrNotFound is returned by Get for an id no account was registered
// under.
var ErrNotFound = errors.New("no such account")

// Account is one staff account.
type Account struct {
	ID   string
	Name string
	// Roles are the roles held, in the order they were granted.
	Roles    []string
	Disabled bool
	// PasswordHash is the argon2id hash in its PHC string form.
	PasswordHash string
}

// roleOrder is the order in which a session picks its role when an
// account holds several (normally it holds one): the operational roles
// first, so a duty worker who is also a manager signs in to the queue.
var roleOrder = []string{events.RoleDuty, events.RoleWorker, events.RoleManager, events.RoleAdmin}

// Roles returns every staff role, in the order a session picks one.
func Roles() []string { return slices.Clone(roleOrder) }

// Has reports whether the account holds role r.
func (a Account) Has(r string) bool { return slices.Contains(a.Roles, r) }

// Role returns the role a session of this account acts in: the first it
// holds of duty, worker, manager, admin; "" for none. A session acts in
// one role; its routes are that role's.
func (a Account) Role() string {
	for _, r := range roleOrder {
		if a.Has(r) {
			return r
		}
	}
	return ""
}

// FirstName is what a client may see of a worker's name.
func (a Account) FirstName() string {
	first, _, _ := strings.Cut(a.Name, " ")
	return first
}

// Store keeps the accounts and the checkpoint. Two implementations pass
// one shared suite: MemoryStore and SQLStore. An invalid snapshot to
// Import has an account twice or one without an id.
type Store interface {
	projections.CheckpointedStore[Tx, Snapshot]
	// Get returns one account, or ErrNotFound.
	Get(ctx context.Context, id string) (Account, error)
	// List returns every account, by id.
	List(ctx context.Context) ([]Account, error)
}

// Tx is what applying one event may read and write.
type Tx interface {
	Account(ctx context.Context, id string) (Account, bool, error)
	PutAccount(ctx context.Context, a Account) error
}

// Snapshot is the projection's whole state: accounts sorted by id (nil
// when there are none).
type Snapshot struct {
	Checkpoint uint64
	Accounts   []Account
}

// CheckpointRef implements projections.Snapshot.
func (s *Snapshot) CheckpointRef() *uint64 { return &s.Checkpoint }

// Validate implements projections.Snapshot: it rejects an account without
// an id or twice.
func (s *Snapshot) Validate() error {
	_, err := projections.UniqueIDs("account", s.Accounts, func(a Account) string { return a.ID })
	return err
}

// View is the staff accounts projection.
type View struct {
	*projections.ReadModel[Tx, Snapshot, *Snapshot] // Name, Filter, Checkpoint, Reset, Apply, ApplyBatch, Scratch
	store                                           Store
}

var _ projections.BatchProjection = (*View)(nil)

// NewView returns the projection over store.
func NewView(store Store) *View {
	return &View{store: store, ReadModel: projections.NewReadModel[Tx, Snapshot](projections.Model[Tx, Snapshot]{
		Name: Name,
		// Accounts are worker events.
		Filter:   events.AggregateSubjects(events.AggregateWorker),
		Relevant: relevant,
		Apply:    apply,
		Memory:   func() projections.CheckpointedStore[Tx, Snapshot] { return NewMemoryStore() },
	}, store)}
}

// Get returns one account, or ErrNotFound.
func (v *View) Get(ctx context.Context, id string) (Account, error) { return v.store.Get(ctx, id) }

// List returns every account, by id.
func (v *View) List(ctx context.Context) ([]Account, error) { return v.store.List(ctx) }

// relevant lists the event types the projection reads.
var relevant = map[string]bool{
	events.TypeWorkerRegistered:      true,
	events.TypeWorkerPasswordChanged: true,
	events.TypeWorkerRoleGranted:     true,
	events.TypeWorkerRoleRevoked:     true,
	events.TypeWorkerDisabled:        true,
}

// apply changes one account for one event, as events.Worker folds it. An
// event for an id never registered changes nothing (the Worker aggregate
// records none).
func apply(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error {
	a, ok, err := tx.Account(ctx, e.AggregateID)
	if err != nil {
		return err
	}
	if reg, isReg := p.(events.WorkerRegistered); isReg {
		if ok {
			return nil // registered once
		}
		return tx.PutAccount(ctx, Account{ID: e.AggregateID, Name: reg.Name, PasswordHash: reg.PasswordHash})
	}
	if !ok {
		return nil
	}
	switch p := p.(type) {
	case events.WorkerPasswordChanged:
		a.PasswordHash = p.PasswordHash
	case events.WorkerRoleGranted:
		if a.Has(p.Role) {
			return nil
		}
		a.Roles = append(a.Roles, p.Role)
	case events.WorkerRoleRevoked:
		if !a.Has(p.Role) {
			return nil
		}
		a.Roles = slices.DeleteFunc(a.Roles, func(r string) bool { return r == p.Role })
	case events.WorkerDisabled:
		a.Disabled = true
	}
	return tx.PutAccount(ctx, a)
}

// clone copies a's roles, so a caller never shares a store's memory; both
// stores read no roles back as nil.
func clone(a Account) Account {
	a.Roles = projections.NonEmpty(a.Roles)
	return a
}
