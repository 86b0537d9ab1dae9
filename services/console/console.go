// Package console is the staff side of Helpline: the web pages and the
// JSON API under /api/ for workers, duty workers, managers and admins. It
// reads projections and changes the log through the repositories; it
// never calls another service.
//
// It is split by role of code. Package app holds the use cases (commands
// and queries, tested without HTTP) and package views the typed view
// models both ports share. This package holds the ports over them: the
// HTML pages (pages*.go, rendering web/ templates) and the JSON API
// (api*.go), thin, behind one role-by-route table (routes.go) with one
// error-to-status map (errors.go); and live updates (live.go). Package
// auth is authentication: sign-in, lockout, sessions, CSRF and the check
// before each route.
package console

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/oncall"
	"github.com/helpline-org/helpline/internal/sse"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
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
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 15*time.Minute)
	c.Lifetime = cmp.Or(c.Lifetime, 12*time.Hour)
	c.MaxFailures = cmp.Or(c.MaxFailures, 5)
	c.LockFor = cmp.Or(c.LockFor, 15*time.Minute)
	c.LivePoll = cmp.Or(c.LivePoll, time.Second)
	c.MaxBody = cmp.Or(c.MaxBody, 64<<10)
	c.SignInBurst = cmp.Or(c.SignInBurst, 10)
	c.SignInEvery = cmp.Or(c.SignInEvery, 6*time.Second)
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

// Log is what the console reads from and appends to: conversations
// through the Conversations repository (which owns loading, the expected
// sequence and conflict retries), staff accounts (the projection's runner
// and the Workers repository), and the audit trail (*events.Store).
type Log interface {
	events.AppendLog
	projections.Log
	app.AuditLog
}

// Deps are the console's collaborators.
type Deps struct {
	Log     Log
	Keys    app.Keys
	Inbox   app.InboxView
	Queue   app.QueueView
	Figures app.FiguresView
	// Projected tells when Inbox and Queue have applied a sequence: a
	// command waits (at most 2 s) until they show its change.
	Projected app.Projected
	Sessions  *auth.Sessions
	// Accounts is the staff accounts projection (on a memory store when
	// nil); the console catches it up from Log when it needs to.
	Accounts *accounts.View
	File     *config.File
	Now      func() time.Time
	Logger   zerolog.Logger
}

// conversationCache is how many conversations the console keeps folded
// for its commands: staff act on few at a time.
const conversationCache = 1024

// Service is the console: the application and the ports over it.
type Service struct {
	cfg     Config
	staff   *app.Staff
	auth    *auth.Authenticator
	pages   *pages
	api     *api
	live    *live
	render  *renderer
	streams *sse.Server
	log     zerolog.Logger
}

// New builds the console and catches the staff accounts up with the log.
func New(ctx context.Context, cfg Config, d Deps) (*Service, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	convs, err := events.NewConversations(d.Log, conversationCache)
	if err != nil {
		return nil, err
	}
	log := d.Logger.With().Str("svc", "console").Logger()
	staff := app.NewStaff(d.Log, d.Accounts, d.File, d.Now, d.Logger)
	rota, err := oncall.New(d.File)
	if err != nil {
		return nil, err
	}
	a := app.New(app.Deps{Conversations: convs, Clients: events.NewClients(d.Log), Audit: d.Log, Keys: d.Keys, Inbox: d.Inbox, Queue: d.Queue, Figures: d.Figures,
		Projected: d.Projected, Staff: staff, Rota: oncall.NewLive(rota, d.Log), Rotas: events.NewRotas(d.Log),
		Replies: events.NewReplyBooks(d.Log, d.File.DefaultSavedReplies), File: d.File, Now: d.Now, Logger: d.Logger})
	authn := auth.New(auth.Config{Lifetime: cfg.Lifetime, MaxFailures: cfg.MaxFailures, LockFor: cfg.LockFor, SignInBurst: cfg.SignInBurst,
		SignInEvery: cfg.SignInEvery, SecureCookies: cfg.SecureCookies}, staff, d.Sessions, d.Now, log)
	rnd := newRenderer(d.File, d.Now, log)
	rnd.warnings = a.Queries.RotaGaps.Handle
	s := &Service{cfg: cfg, staff: staff, auth: authn, render: rnd, streams: sse.New(sse.Config{}), log: log,
		pages: &pages{app: a, auth: authn, render: rnd, lines: staff.Lines()}, api: &api{app: a, auth: authn}}
	s.live = &live{app: a, auth: authn, streams: s.streams, poll: cfg.LivePoll, log: log}
	if err := staff.CatchUp(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends every open live stream and refuses new ones (503). Call it
// when the server shuts down: a live page's stream never ends by itself.
func (s *Service) Close() { s.streams.Close() }

// Accounts returns the staff: the accounts projection and the one way to
// register an account.
func (s *Service) Accounts() *app.Staff { return s.staff }
