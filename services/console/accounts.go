package console

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/accounts"
)

// Errors about accounts that callers act on.
var (
	ErrBadRole      = errors.New("unknown role")
	ErrWeakPassword = errors.New("password must be at least 12 characters")
)

// AccountLog is what staff accounts are read from (the accounts
// projection's runner) and changed through (events.Workers).
type AccountLog interface {
	projections.Log
	events.Loader
	events.Appender
}

// Accounts are the staff accounts as the console uses them: the accounts
// projection, caught up from the log before every sign-in and after every
// change, so it is never behind what an admin just did; and the one way
// to change an account, the Workers repository.
type Accounts struct {
	view    *accounts.View
	runner  *projections.Runner
	workers *events.Workers
	now     func() time.Time

	mu sync.Mutex
	// caughtUp is when the projection last caught up with the log.
	caughtUp time.Time
}

// NewAccounts returns the accounts over view (a memory store when nil),
// caught up from log; now is the clock that says when they are stale.
func NewAccounts(log AccountLog, view *accounts.View, now func() time.Time, logger zerolog.Logger) *Accounts {
	if view == nil {
		view = accounts.NewView(accounts.NewMemoryStore())
	}
	return &Accounts{view: view, runner: projections.NewRunner(log, view, logger), workers: events.NewWorkers(log), now: now}
}

// Refresh catches the projection up with the log.
func (a *Accounts) Refresh(ctx context.Context) error {
	if _, err := a.runner.Replay(ctx); err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	a.mu.Lock()
	a.caughtUp = a.now()
	a.mu.Unlock()
	return nil
}

// RefreshEvery refreshes when the last refresh is older than d: on the
// request path, so that a role revoked or an account disabled through
// another console replica takes effect within d.
func (a *Accounts) RefreshEvery(ctx context.Context, d time.Duration) error {
	a.mu.Lock()
	stale := a.now().Sub(a.caughtUp) > d
	a.mu.Unlock()
	if !stale {
		return nil
	}
	return a.Refresh(ctx)
}

// Get returns one account, or an error wrapping accounts.ErrNotFound.
func (a *Accounts) Get(ctx context.Context, id string) (accounts.Account, error) {
	return a.view.Get(ctx, id)
}

// List returns every account, by id.
func (a *Accounts) List(ctx context.Context) ([]accounts.Account, error) { return a.view.List(ctx) }

// passwordParams are argon2id parameters after RFC 9106's second
// recommendation (64 MiB, 3 passes), with 2 lanes for small machines.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword returns the argon2id hash of a password.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < 12 {
		return "", ErrWeakPassword
	}
	return argon2id.CreateHash(password, passwordParams)
}

// dummyHash is compared against when an account does not exist, so a
// sign-in takes as long for an unknown id as for a wrong password.
var dummyHash, _ = argon2id.CreateHash("not a password of anyone", passwordParams)

// Verify reports whether password is the account's (enabled, with a
// role).
func (a *Accounts) Verify(ctx context.Context, id, password string) (accounts.Account, bool, error) {
	acc, err := a.view.Get(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return accounts.Account{}, false, err
	}
	hash := dummyHash
	if known {
		hash = acc.PasswordHash
	}
	match, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil || !match || !known || acc.Disabled || acc.Role() == "" {
		return accounts.Account{}, false, nil
	}
	return acc, true, nil
}

// Register records a new account with one role.
func (a *Accounts) Register(ctx context.Context, id, name, role, password, by string, m events.Meta) error {
	if err := events.ValidateID(id); err != nil {
		return badRequest("a staff id is 1-64 letters, digits, '-' or '_'")
	}
	if !events.ValidRole(role) {
		return fmt.Errorf("%w %q: want worker, duty, manager or admin", ErrBadRole, role)
	}
	if name == "" {
		return badRequest("the name is empty")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return a.change(ctx, id, func(w *events.Worker) error { return w.Register(name, hash, role, by, m) })
}

// Grant gives an account a role.
func (a *Accounts) Grant(ctx context.Context, id, role, by string, m events.Meta) error {
	return a.change(ctx, id, func(w *events.Worker) error { return w.Grant(role, by, m) })
}

// Revoke takes a role from an account.
func (a *Accounts) Revoke(ctx context.Context, id, role, by string, m events.Meta) error {
	return a.change(ctx, id, func(w *events.Worker) error { return w.Revoke(role, by, m) })
}

// Disable stops an account from signing in; its sessions end at their
// next request.
func (a *Accounts) Disable(ctx context.Context, id, by, reason string, m events.Meta) error {
	return a.change(ctx, id, func(w *events.Worker) error { return w.Disable(by, reason, m) })
}

// change runs one command on an account through the repository, then
// catches the projection up, so the change shows at once.
func (a *Accounts) change(ctx context.Context, id string, decide func(*events.Worker) error) error {
	if _, err := a.workers.Update(ctx, id, decide); err != nil {
		return err
	}
	return a.Refresh(ctx)
}
