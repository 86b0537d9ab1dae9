package console

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/views"
)

// Errors of authentication; statuses come from them in statusOf.
var (
	errCSRF     = errors.New("the form is out of date or came from another site: reload the page and try again")
	errBadLogin = errors.New("wrong staff id or password")
	errTooMany  = errors.New("too many sign-in attempts: wait a minute and try again")
)

// lockedError tells a staff member their account is locked, and until when.
type lockedError struct{ until time.Time }

func (e lockedError) Error() string {
	return fmt.Sprintf("too many wrong passwords: this account is locked until %s UTC", e.until.UTC().Format("15:04"))
}

// viewer is who is asking: the account and its session (nil for public
// routes without one).
type viewer struct {
	accounts.Account
	Session Session
	token   string
}

// Role is the role the session acts in.
func (v *viewer) Role() string { return v.Session.Role }

const (
	sessionCookie = "helpline_console"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	// accountsFresh is how stale the accounts may be on the request path:
	// a role revoked or an account disabled through another console
	// replica takes effect within it.
	accountsFresh = 5 * time.Second
)

// authn is authentication: signing in against the accounts with a
// lockout and a rate limit per address, server-side sessions in a cookie,
// and the session and account behind each request.
type authn struct {
	cfg      Config
	staff    *app.Staff
	sessions *Sessions
	lockout  *Lockout
	limiter  *addrLimiter
	log      zerolog.Logger
}

func newAuthn(cfg Config, staff *app.Staff, sessions *Sessions, now func() time.Time, log zerolog.Logger) *authn {
	return &authn{cfg: cfg, staff: staff, sessions: sessions, lockout: NewLockout(cfg.MaxFailures, cfg.LockFor, now),
		limiter: newAddrLimiter(cfg.SignInBurst, cfg.SignInEvery, now), log: log}
}

// signIn checks a staff id and password against the lockout and the
// accounts, and starts a session. Every outcome takes an argon2id
// comparison, so timing does not tell which ids exist.
func (a *authn) signIn(w http.ResponseWriter, r *http.Request, id, password string) (*viewer, error) {
	if !a.limiter.allow(clientAddr(r)) {
		return nil, errTooMany
	}
	id = strings.TrimSpace(id)
	if id == "" || password == "" || len(id) > 64 || len(password) > 1024 {
		return nil, errBadLogin
	}
	ctx := r.Context()
	if err := a.staff.CatchUp(ctx); err != nil {
		return nil, err
	}
	if locked, until := a.lockout.Locked(id); locked {
		// The lock holds for the right password too, until it expires.
		return nil, lockedError{until}
	}
	acc, err := a.staff.Get(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return nil, err
	}
	if !app.CheckPassword(acc.PasswordHash, password) || !known || acc.Disabled || acc.Role() == "" {
		a.lockout.Fail(id)
		if locked, until := a.lockout.Locked(id); locked {
			// What was typed as an id is logged only when it is an
			// account's id: it could be anything, a name or a number.
			if known {
				a.log.Warn().Str("staff_id", id).Msg("account locked after repeated wrong passwords")
			} else {
				a.log.Warn().Msg("an unknown staff id was locked after repeated attempts")
			}
			return nil, lockedError{until}
		}
		return nil, errBadLogin
	}
	a.lockout.Succeed(id)
	token, sess, err := a.sessions.Create(ctx, acc.ID, acc.Role())
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	a.log.Info().Str("staff_id", acc.ID).Str("role", sess.Role).Msg("signed in")
	return &viewer{Account: acc, Session: sess, token: token}, nil
}

// signOut ends the session and clears its cookie.
func (a *authn) signOut(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := a.sessions.Delete(r.Context(), v.token); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return nil
}

// viewerOf returns the request's live session and account. A disabled
// account, or one whose role was revoked, loses its sessions at once.
func (a *authn) viewerOf(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, ErrNoSession
	}
	ctx := r.Context()
	sess, err := a.sessions.Touch(ctx, c.Value)
	if err != nil {
		return nil, err
	}
	if err := a.staff.CatchUpEvery(ctx, accountsFresh); err != nil {
		return nil, err
	}
	acc, err := a.staff.Get(ctx, sess.StaffID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return nil, err
	}
	if err != nil || acc.Disabled || !acc.Has(sess.Role) {
		_ = a.sessions.Delete(ctx, c.Value)
		return nil, ErrNoSession
	}
	return &viewer{Account: acc, Session: sess, token: c.Value}, nil
}

// sessionOf is the API's view of v's session.
func (a *authn) sessionOf(v *viewer) views.Session {
	return views.Session{StaffID: v.ID, Name: v.Name, Role: v.Role(), CSRFToken: v.Session.CSRF,
		ExpiresAt: v.Session.Created.Add(a.cfg.Lifetime).UTC().Format(time.RFC3339)}
}

// csrfOK checks the session's token in the form field or the header.
// Cross-site requests are also refused earlier by CrossOriginProtection
// (Sec-Fetch-Site / Origin) and by SameSite=Strict cookies.
func csrfOK(r *http.Request, v *viewer) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.Session.CSRF)) == 1
}

// addrLimiter limits sign-in attempts per client address: burst at once,
// then one every `every`, remembering at most 10,000 addresses.
type addrLimiter struct {
	mu    sync.Mutex
	burst int
	every time.Duration
	now   func() time.Time
	keys  map[string]*rate.Limiter
}

func newAddrLimiter(burst int, every time.Duration, now func() time.Time) *addrLimiter {
	return &addrLimiter{burst: burst, every: every, now: now, keys: map[string]*rate.Limiter{}}
}

func (l *addrLimiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.keys[addr]
	if lim == nil {
		if len(l.keys) >= 10000 {
			l.keys = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.keys[addr] = lim
	}
	return lim.AllowN(l.now(), 1)
}

// clientAddr is the connection's IP address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
