// Package console is the staff side of Helpline: sign-in, server-side
// sessions, role checks on every route (in one table, routes.go), the
// audited reading of conversations, the duty queue with its acknowledge
// button, replies, the managers' dashboard, the admin pages, and the same
// things as a JSON API under /api/. It reads projections and appends
// commands to the log; it never calls another service.
package console

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/sse"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
)

// Config is the console's settings. The zero value plus SetDefaults is the
// default.
type Config struct {
	// IdleTimeout ends a session nobody used for this long (default 15m,
	// as for health records).
	IdleTimeout time.Duration
	// Lifetime ends any session this long after sign-in (default 12h).
	Lifetime time.Duration
	// MaxFailures wrong passwords lock an account for LockFor (5, 15m).
	MaxFailures int
	LockFor     time.Duration
	// SecureCookies marks cookies Secure: set when served over HTTPS.
	SecureCookies bool
	// LivePoll is how often a live page's stream looks for changes (1s).
	LivePoll time.Duration
	// MaxBody bounds a request body (64 KiB).
	MaxBody int64
	// SignInBurst sign-in attempts are allowed at once per client address,
	// then one every SignInEvery (10, 6s).
	SignInBurst int
	SignInEvery time.Duration
}

// SetDefaults fills unset fields.
func (c *Config) SetDefaults() {
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 15 * time.Minute
	}
	if c.Lifetime == 0 {
		c.Lifetime = 12 * time.Hour
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.LockFor == 0 {
		c.LockFor = 15 * time.Minute
	}
	if c.LivePoll == 0 {
		c.LivePoll = time.Second
	}
	if c.MaxBody == 0 {
		c.MaxBody = 64 << 10
	}
	if c.SignInBurst == 0 {
		c.SignInBurst = 10
	}
	if c.SignInEvery == 0 {
		c.SignInEvery = 6 * time.Second
	}
}

// Validate reports settings that would not protect anyone.
func (c Config) Validate() error {
	if c.IdleTimeout > c.Lifetime {
		return errors.New("console: idle timeout longer than the session lifetime")
	}
	if c.MaxFailures < 1 {
		return errors.New("console: max failures must be at least 1")
	}
	return nil
}

// Log is what the console appends to and reads from the event log.
type Log interface {
	AccountLog
	events.Loader
	AppendAudit(ctx context.Context, kind string, e events.Envelope) (events.Appended, error)
	ReadAudit(ctx context.Context, from uint64, fn func(events.Envelope) error) (uint64, error)
}

// Keys seals replies and opens message bodies (a *keyring.Keyring).
type Keys interface {
	inbox.Opener
	Seal(ctx context.Context, clientID string, plaintext, aad []byte) ([]byte, error)
}

// Inbox is the worker inbox projection (*inbox.View).
type Inbox interface {
	List(ctx context.Context, q inbox.Query) ([]inbox.Conversation, error)
	Get(ctx context.Context, id string) (inbox.Conversation, error)
	Messages(ctx context.Context, id string) ([]inbox.Message, error)
}

// Queue is the escalation queue projection (*escalations.Queue).
type Queue interface {
	Open(ctx context.Context, lineIDs []string, limit int, after escalations.Cursor) ([]escalations.Escalation, error)
	Get(ctx context.Context, escalationID string) (escalations.Escalation, error)
}

// Figures is the response-times projection (*responsetimes.View).
type Figures interface {
	Figures(ctx context.Context, lineID string, from, to time.Time) (responsetimes.Report, error)
}

// Deps are the console's collaborators.
type Deps struct {
	Log      Log
	Keys     Keys
	Inbox    Inbox
	Queue    Queue
	Figures  Figures
	Sessions *Sessions
	// Accounts is the staff accounts projection (on a memory store when
	// nil); the console catches it up from Log when it needs to.
	Accounts *accounts.View
	File     *config.File
	Now      func() time.Time
	Logger   zerolog.Logger
}

// Service is the console.
type Service struct {
	cfg      Config
	d        Deps
	accounts *Accounts
	lockout  *Lockout
	limiter  *addrLimiter
	lineIDs  []string
	staff    map[string]config.Staff
	streams  *sse.Server
	log      zerolog.Logger
}

// New builds the console and loads the staff accounts from the log.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{cfg: cfg, d: d, accounts: NewAccounts(d.Log, d.Accounts, d.Now, d.Logger), lockout: NewLockout(cfg.MaxFailures, cfg.LockFor, d.Now),
		limiter: newAddrLimiter(cfg.SignInBurst, cfg.SignInEvery, d.Now), staff: map[string]config.Staff{}, streams: sse.New(sse.Config{}), log: d.Logger.With().Str("svc", "console").Logger()}
	for _, l := range d.File.Lines {
		s.lineIDs = append(s.lineIDs, l.ID)
	}
	for _, st := range d.File.Staff {
		s.staff[st.ID] = st
	}
	if err := s.accounts.Refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends every open live stream and refuses new ones (503). Call it
// when the server shuts down: a live page's stream never ends by itself.
func (s *Service) Close() { s.streams.Close() }

// Accounts returns the staff accounts read model.
func (s *Service) Accounts() *Accounts { return s.accounts }

// staffName is how a staff id is shown to other staff.
func (s *Service) staffName(ctx context.Context, id string) string {
	if a, err := s.accounts.Get(ctx, id); err == nil {
		return a.Name
	}
	if st, ok := s.staff[id]; ok && st.Name != "" {
		return st.Name
	}
	return id
}

// teams returns the teams a staff member belongs to, from configuration.
func (s *Service) teams(id string) []string { return s.staff[id].Teams }
