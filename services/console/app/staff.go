package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/accounts"
)

// StaffLog is what staff accounts are read from (the accounts
// projection's runner) and changed through (events.Workers).
type StaffLog interface {
	projections.Log
	events.Loader
	events.Appender
}

// Staff is who works the lines, as the console knows them: the staff
// accounts projection, caught up from the log before every sign-in and
// after every change (so it is never behind what an admin just did); the
// configuration's staff (teams); and the lines this console serves.
// Accounts change only through the Workers repository.
type Staff struct {
	log     events.Loader
	view    *accounts.View
	runner  *projections.Runner
	workers *events.Workers
	config  map[string]config.Staff
	lines   []string
	now     func() time.Time

	mu sync.Mutex
	// caughtUp is when the projection last caught up with the log.
	caughtUp time.Time
}

// NewStaff returns the staff of file over view (a memory store when nil),
// caught up from log; now is the clock that says when it is stale.
func NewStaff(log StaffLog, view *accounts.View, file *config.File, now func() time.Time, logger zerolog.Logger) *Staff {
	if view == nil {
		view = accounts.NewView(accounts.NewMemoryStore())
	}
	s := &Staff{log: log, view: view, runner: projections.NewRunner(log, view, logger), workers: events.NewWorkers(log),
		config: map[string]config.Staff{}, now: now}
	for _, l := range file.Lines {
		s.lines = append(s.lines, l.ID)
	}
	for _, st := range file.Staff {
		s.config[st.ID] = st
	}
	return s
}

// CatchUp applies the worker events appended since the last catch-up.
func (s *Staff) CatchUp(ctx context.Context) error {
	if _, err := s.runner.Replay(ctx); err != nil {
		return fmt.Errorf("%w: accounts: %w", ErrUnavailable, err)
	}
	s.mu.Lock()
	s.caughtUp = s.now()
	s.mu.Unlock()
	return nil
}

// CatchUpEvery catches up when the last catch-up is older than d: on the
// request path, so that a role revoked or an account disabled through
// another console replica takes effect within d.
func (s *Staff) CatchUpEvery(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	stale := s.now().Sub(s.caughtUp) > d
	s.mu.Unlock()
	if !stale {
		return nil
	}
	return s.CatchUp(ctx)
}

// Get returns one account, or an error wrapping accounts.ErrNotFound.
func (s *Staff) Get(ctx context.Context, id string) (accounts.Account, error) {
	return s.view.Get(ctx, id)
}

// List returns every account, by id.
func (s *Staff) List(ctx context.Context) ([]accounts.Account, error) { return s.view.List(ctx) }

// Name is how a staff id is shown to other staff: the account's name,
// else the configuration's, else the id.
func (s *Staff) Name(ctx context.Context, id string) string {
	if a, err := s.view.Get(ctx, id); err == nil {
		return a.Name
	}
	if st, ok := s.config[id]; ok && st.Name != "" {
		return st.Name
	}
	return id
}

// Teams returns the teams a staff member belongs to, from configuration.
func (s *Staff) Teams(id string) []string { return s.config[id].Teams }

// Lines returns the ids of the lines this console serves.
func (s *Staff) Lines() []string { return s.lines }

// serves reports whether lineID is one of the console's lines.
func (s *Staff) serves(lineID string) bool { return slices.Contains(s.lines, lineID) }

// Register records a new account with one role: the one way an account
// is made, from the admin pages and from `helpline users add`.
func (s *Staff) Register(ctx context.Context, id, name, role, password, by string, m events.Meta) error {
	if err := events.ValidateID(id); err != nil {
		return badRequest("a staff id is 1-64 letters, digits, '-' or '_'")
	}
	if !events.ValidRole(role) {
		return fmt.Errorf("%w %q: want worker, duty, manager or admin", events.ErrUnknownRole, role)
	}
	if name == "" {
		return badRequest("the name is empty")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.change(ctx, id, func(w *events.Worker) error { return w.Register(name, hash, role, by, m) })
}

// change runs one command on an account through the repository, then
// catches the projection up, so the change shows at once.
func (s *Staff) change(ctx context.Context, id string, decide func(*events.Worker) error) error {
	if _, err := s.workers.Update(ctx, id, decide); err != nil {
		return err
	}
	return s.CatchUp(ctx)
}

// worker reads one account from the log, with its history.
func (s *Staff) worker(ctx context.Context, id string) (*events.Worker, []events.Envelope, error) {
	w, history, err := events.LoadWorkerHistory(ctx, s.log, id)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: account %s: %w", ErrUnavailable, id, err)
	}
	return w, history, nil
}

// errNoAccount tells whether err says an account does not exist.
func errNoAccount(err error) bool {
	return errors.Is(err, accounts.ErrNotFound) || errors.Is(err, events.ErrNotFound)
}
