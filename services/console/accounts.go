package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/helpline-org/helpline/events"
)

// Errors about accounts that callers act on.
var (
	ErrNoAccount     = errors.New("no such account")
	ErrAccountExists = errors.New("account already exists")
	ErrBadRole       = errors.New("unknown role")
	ErrWeakPassword  = errors.New("password must be at least 12 characters")
)

// roleOrder is the order in which a session picks its role when an
// account holds several (normally it holds one): the operational roles
// first, so a duty worker who is also a manager signs in to the queue.
// A session acts in one role; its routes are that role's.
var roleOrder = []string{events.RoleDuty, events.RoleWorker, events.RoleManager, events.RoleAdmin}

// Account is one staff account, folded from its worker events.
type Account struct {
	ID       string
	Name     string
	Roles    []string
	Disabled bool
	hash     string
}

// Has reports whether the account holds role r.
func (a Account) Has(r string) bool { return slices.Contains(a.Roles, r) }

// Role returns the role a session of this account acts in: the first of
// roleOrder it holds, or "" for none.
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
	for i, r := range a.Name {
		if r == ' ' {
			return a.Name[:i]
		}
	}
	return a.Name
}

// AccountLog is what the accounts read model reads, and what its changes
// go through (events.Workers).
type AccountLog interface {
	Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error)
	events.Loader
	events.Appender
}

// Accounts is the staff accounts read model: small (staff are few), kept
// in memory, and caught up from the log before every sign-in and every
// change, so it is never behind what an admin just did.
type Accounts struct {
	log     AccountLog
	workers *events.Workers
	mu      sync.Mutex
	last    uint64
	// refreshed is when Refresh last read the log.
	refreshed time.Time
	byID      map[string]*Account
}

// NewAccounts returns an empty read model over the log; Refresh fills it.
func NewAccounts(log AccountLog) *Accounts {
	return &Accounts{log: log, workers: events.NewWorkers(log), byID: map[string]*Account{}}
}

// Refresh applies the worker events appended since the last refresh.
func (a *Accounts) Refresh(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	last, err := a.log.Read(ctx, events.AggregateSubjects(events.AggregateWorker), a.last, func(e events.Envelope) error {
		p, err := e.Decode()
		if err != nil {
			return err
		}
		a.apply(e.AggregateID, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	a.last = last
	a.refreshed = time.Now()
	return nil
}

// RefreshEvery refreshes when the last refresh is older than d: on the
// request path, so that a role revoked or an account disabled through
// another console replica takes effect within d.
func (a *Accounts) RefreshEvery(ctx context.Context, d time.Duration) error {
	a.mu.Lock()
	stale := time.Since(a.refreshed) > d
	a.mu.Unlock()
	if !stale {
		return nil
	}
	return a.Refresh(ctx)
}

func (a *Accounts) apply(id string, p events.Payload) {
	acc := a.byID[id]
	if acc == nil {
		acc = &Account{ID: id}
		a.byID[id] = acc
	}
	switch p := p.(type) {
	case events.WorkerRegistered:
		acc.Name, acc.hash = p.Name, p.PasswordHash
	case events.WorkerPasswordChanged:
		acc.hash = p.PasswordHash
	case events.WorkerRoleGranted:
		if !acc.Has(p.Role) {
			acc.Roles = append(acc.Roles, p.Role)
		}
	case events.WorkerRoleRevoked:
		acc.Roles = slices.DeleteFunc(acc.Roles, func(r string) bool { return r == p.Role })
	case events.WorkerDisabled:
		acc.Disabled = true
	}
}

// Get returns a copy of one account.
func (a *Accounts) Get(id string) (Account, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc, ok := a.byID[id]
	if !ok || acc.Name == "" {
		return Account{}, false
	}
	c := *acc
	c.Roles = slices.Clone(acc.Roles)
	return c, true
}

// List returns every account, by id.
func (a *Accounts) List() []Account {
	a.mu.Lock()
	ids := make([]string, 0, len(a.byID))
	for id := range a.byID {
		ids = append(ids, id)
	}
	a.mu.Unlock()
	sort.Strings(ids)
	out := make([]Account, 0, len(ids))
	for _, id := range ids {
		if acc, ok := a.Get(id); ok {
			out = append(out, acc)
		}
	}
	return out
}

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

// Verify reports whether password is the account's (enabled, with a role).
func (a *Accounts) Verify(id, password string) (Account, bool) {
	acc, ok := a.Get(id)
	a.mu.Lock()
	hash := dummyHash
	if ok {
		hash = a.byID[id].hash
	}
	a.mu.Unlock()
	match, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil || !match || !ok || acc.Disabled || acc.Role() == "" {
		return Account{}, false
	}
	return acc, true
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
	_, err = a.workers.Update(ctx, id, func(w *events.Worker) error { return w.Register(name, hash, role, by, m) })
	if errors.Is(err, events.ErrWorkerExists) {
		return fmt.Errorf("%s: %w", id, ErrAccountExists)
	}
	if err != nil {
		return err
	}
	return a.Refresh(ctx)
}

// Change runs one command on an existing account (a role granted or
// revoked, a disabling) through the worker repository.
func (a *Accounts) Change(ctx context.Context, id string, change func(*events.Worker) error) error {
	_, err := a.workers.Update(ctx, id, change)
	if errors.Is(err, events.ErrNotFound) {
		return fmt.Errorf("%s: %w", id, ErrNoAccount)
	}
	if err != nil {
		return err
	}
	return a.Refresh(ctx)
}
