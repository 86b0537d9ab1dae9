// Package auth is the console's authentication: signing staff in against
// the accounts (argon2id, a lockout per account, a rate limit per client
// address), server-side sessions in a key-value bucket behind an
// HttpOnly, SameSite=Strict cookie, each session's CSRF token, and the
// check every route makes before its handler (session, role, CSRF).
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/views"
)

// Errors of authentication; the console maps them to statuses with the
// application's (a role refused is app.ErrForbidden).
var (
	ErrCSRF     = errors.New("the form is out of date or came from another site: reload the page and try again")
	ErrBadLogin = errors.New("wrong staff id or password")
	ErrTooMany  = errors.New("too many sign-in attempts: wait a minute and try again")
	// ErrBusy means every password hash the memory allows is running: the
	// attempt was not checked (it still counts towards the lockout). It is
	// a 503.
	ErrBusy = fmt.Errorf("%w: too many sign-ins at once", app.ErrUnavailable)
)

// LockedError tells a staff member their account is locked, and until when.
type LockedError struct{ Until time.Time }

func (e LockedError) Error() string {
	return fmt.Sprintf("too many wrong passwords: this account is locked until %s UTC", e.Until.UTC().Format("15:04"))
}

// Config is how authentication protects the console (console.Config's
// fields of the same names).
type Config struct {
	Lifetime      time.Duration
	MaxFailures   int
	LockFor       time.Duration
	SignInBurst   int
	SignInEvery   time.Duration
	SecureCookies bool
	// MaxHashes bounds the password hashes running at once (64 MiB each);
	// default from the memory limit (defaultHashes). HashQueue attempts
	// may wait for a turn, each at most HashWait (default 8 and 10 s);
	// more are refused at once with ErrBusy.
	MaxHashes int
	HashQueue int
	HashWait  time.Duration
}

// Accounts are the staff accounts signing in and each request are checked
// against (*app.Staff).
type Accounts interface {
	CatchUp(ctx context.Context) error
	CatchUpEvery(ctx context.Context, d time.Duration) error
	Get(ctx context.Context, id string) (accounts.Account, error)
}

var _ Accounts = (*app.Staff)(nil)

const (
	// Cookie is the session cookie's name.
	Cookie     = "helpline_console"
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	// accountsFresh is how stale the accounts may be on the request path:
	// a role revoked or an account disabled through another console
	// replica takes effect within it.
	accountsFresh = 5 * time.Second
)

// Viewer is who is asking: the account and its session.
type Viewer struct {
	accounts.Account
	Session Session
	token   string
}

// Role is the role the session acts in.
func (v *Viewer) Role() string { return v.Session.Role }

// Actor is who the application acts for: v in their session's role.
func (v *Viewer) Actor() app.Actor { return app.Actor{ID: v.ID, Name: v.Name, Role: v.Role()} }

// Authenticator signs staff in and out and says who each request is.
type Authenticator struct {
	cfg      Config
	accounts Accounts
	sessions *Sessions
	lockout  *Lockout
	limiter  *addrLimiter
	hashes   *hashGate
	// check compares a password with a hash: app.CheckPassword (tests
	// count the comparisons).
	check func(hash, password string) bool
	log   zerolog.Logger
}

// New returns an authenticator over the accounts and the sessions, on the
// clock now.
func New(cfg Config, accts Accounts, sessions *Sessions, now func() time.Time, log zerolog.Logger) *Authenticator {
	if cfg.MaxHashes <= 0 {
		cfg.MaxHashes = defaultHashes()
	}
	if cfg.HashQueue <= 0 {
		cfg.HashQueue = 8
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = 10 * time.Second
	}
	return &Authenticator{cfg: cfg, accounts: accts, sessions: sessions, lockout: NewLockout(cfg.MaxFailures, cfg.LockFor, now),
		limiter: newAddrLimiter(cfg.SignInBurst, cfg.SignInEvery, now), hashes: newHashGate(cfg.MaxHashes, cfg.HashQueue, cfg.HashWait), check: app.CheckPassword, log: log}
}

// SignIn checks a staff id and password against the lockout and the
// accounts, starts a session and sets its cookie. Every outcome takes an
// argon2id comparison, so timing does not tell which ids exist.
func (a *Authenticator) SignIn(w http.ResponseWriter, r *http.Request, id, password string) (*Viewer, error) {
	if !a.limiter.allow(clientAddr(r)) {
		return nil, ErrTooMany
	}
	id = strings.TrimSpace(id)
	if id == "" || password == "" || len(id) > 64 || len(password) > 1024 {
		return nil, ErrBadLogin
	}
	ctx := r.Context()
	if err := a.accounts.CatchUp(ctx); err != nil {
		return nil, err
	}
	// The attempt is counted before the slow hash: parallel guesses
	// cannot all pass the check before any is recorded.
	if locked, until := a.lockout.Attempt(id); locked {
		// The lock holds for the right password too, until it expires.
		return nil, LockedError{until}
	}
	acc, err := a.accounts.Get(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return nil, err
	}
	// An attempt refused here still counts: the count is of attempts, so
	// twenty parallel guesses lock the account whatever the load.
	release, ok := a.hashes.acquire(ctx)
	if !ok {
		a.log.Warn().Int("hashes", a.cfg.MaxHashes).Msg("sign-in refused: every password hash the memory allows is running")
		return nil, ErrBusy
	}
	match := a.check(acc.PasswordHash, password)
	release()
	if !match || !known || acc.Disabled || acc.Role() == "" {
		if locked, until := a.lockout.Locked(id); locked {
			// What was typed as an id is logged only when it is an
			// account's id: it could be anything, a name or a number.
			if known {
				a.log.Warn().Str("staff_id", id).Msg("account locked after repeated wrong passwords")
			} else {
				a.log.Warn().Msg("an unknown staff id was locked after repeated attempts")
			}
			return nil, LockedError{until}
		}
		return nil, ErrBadLogin
	}
	a.lockout.Succeed(id)
	token, sess, err := a.sessions.Create(ctx, acc.ID, acc.Role())
	if err != nil {
		return nil, err
	}
	a.setCookie(w, token, 0)
	a.log.Info().Str("staff_id", acc.ID).Str("role", sess.Role).Msg("signed in")
	return &Viewer{Account: acc, Session: sess, token: token}, nil
}

// SignOut ends v's session and clears its cookie.
func (a *Authenticator) SignOut(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if err := a.sessions.Delete(r.Context(), v.token); err != nil {
		return err
	}
	a.setCookie(w, "", -1)
	return nil
}

func (a *Authenticator) setCookie(w http.ResponseWriter, token string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: Cookie, Value: token, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// BackgroundHeader marks a request the page makes by itself (the live
// inbox and queue fetching themselves again): console.js sends it with
// the value "background".
const BackgroundHeader = "X-Helpline-Refresh"

// Background reports whether r was made by the page by itself rather than
// by the person: a live refresh, or an event stream (which a browser
// reconnects by itself). It does not count as activity, so an unattended
// screen signs out after the idle timeout like any other.
func Background(r *http.Request) bool {
	return r.Header.Get(BackgroundHeader) == "background" || r.Header.Get("Accept") == "text/event-stream"
}

// Viewer returns the request's live session and account, or
// ErrNoSession. A disabled account, or one whose role was revoked, loses
// its sessions at once.
func (a *Authenticator) Viewer(r *http.Request) (*Viewer, error) {
	c, err := r.Cookie(Cookie)
	if err != nil {
		return nil, ErrNoSession
	}
	ctx := r.Context()
	use := a.sessions.Touch
	if Background(r) {
		use = a.sessions.Get
	}
	sess, err := use(ctx, c.Value)
	if err != nil {
		return nil, err
	}
	if err := a.accounts.CatchUpEvery(ctx, accountsFresh); err != nil {
		return nil, err
	}
	acc, err := a.accounts.Get(ctx, sess.StaffID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return nil, err
	}
	if err != nil || acc.Disabled || !acc.Has(sess.Role) {
		_ = a.sessions.Delete(ctx, c.Value)
		return nil, ErrNoSession
	}
	return &Viewer{Account: acc, Session: sess, token: c.Value}, nil
}

// Authorize is the check before a route's handler: with roles nil (a
// public route) the viewer if there is one; otherwise a live session
// acting in one of roles and, unless the request is a GET, the session's
// CSRF token in the form or the header.
func (a *Authenticator) Authorize(r *http.Request, roles []string) (*Viewer, error) {
	v, err := a.Viewer(r)
	if roles == nil {
		if errors.Is(err, ErrNoSession) {
			return nil, nil
		}
		return v, err
	}
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roles, v.Role()) {
		return nil, app.ErrForbidden
	}
	if r.Method != http.MethodGet && !csrfOK(r, v) {
		return nil, ErrCSRF
	}
	return v, nil
}

// csrfOK checks the session's token in the form field or the header.
// Cross-site requests are also refused earlier by CrossOriginProtection
// (Sec-Fetch-Site / Origin) and by SameSite=Strict cookies.
func csrfOK(r *http.Request, v *Viewer) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.Session.CSRF)) == 1
}

// Session is the API's view of v's session.
func (a *Authenticator) Session(v *Viewer) views.Session {
	return views.Session{StaffID: v.ID, Name: v.Name, Role: v.Role(), CSRFToken: v.Session.CSRF,
		ExpiresAt: v.Session.Created.Add(a.cfg.Lifetime).UTC().Format(time.RFC3339)}
}

// Alive reports whether v's session is still live, without counting this
// as a use: a live stream must not keep an idle session open.
func (a *Authenticator) Alive(ctx context.Context, v *Viewer) bool {
	return a.sessions.Alive(ctx, v.token)
}
