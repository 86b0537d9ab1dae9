package console

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
)

// signIn checks a staff id and password against the lockout and the
// accounts, and starts a session. Every outcome takes an argon2id
// comparison, so timing does not tell which ids exist.
func (s *Service) signIn(w http.ResponseWriter, r *http.Request, id, password string) (*viewer, error) {
	if !s.limiter.allow(clientAddr(r)) {
		return nil, errTooMany
	}
	id = strings.TrimSpace(id)
	if id == "" || password == "" || len(id) > 64 || len(password) > 1024 {
		return nil, errBadLogin
	}
	if err := s.accounts.Refresh(r.Context()); err != nil {
		return nil, err
	}
	if locked, until := s.lockout.Locked(id); locked {
		// The lock holds for the right password too, until it expires.
		return nil, lockedError{until}
	}
	acc, ok, err := s.accounts.Verify(r.Context(), id, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.lockout.Fail(id)
		if locked, until := s.lockout.Locked(id); locked {
			// What was typed as an id is logged only when it is an
			// account's id: it could be anything, a name or a number.
			if _, err := s.accounts.Get(r.Context(), id); err == nil {
				s.log.Warn().Str("staff_id", id).Msg("account locked after repeated wrong passwords")
			} else {
				s.log.Warn().Msg("an unknown staff id was locked after repeated attempts")
			}
			return nil, lockedError{until}
		}
		return nil, errBadLogin
	}
	s.lockout.Succeed(id)
	token, sess, err := s.d.Sessions.Create(r.Context(), acc.ID, acc.Role())
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	s.log.Info().Str("staff_id", acc.ID).Str("role", sess.Role).Msg("signed in")
	return &viewer{Account: acc, Session: sess, token: token}, nil
}

func (s *Service) signOut(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.d.Sessions.Delete(r.Context(), v.token); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return nil
}

func (s *Service) loginPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if v != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	s.render(w, http.StatusOK, "login", nil, &views.LoginPage{Chrome: views.Chrome{Title: "Sign in"}})
	return nil
}

func (s *Service) loginSubmit(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	if _, err := s.signIn(w, r, r.PostFormValue("id"), r.PostFormValue("password")); err != nil {
		code, msg := s.statusOf(r.Context(), err)
		if code >= 500 {
			return err
		}
		s.render(w, code, "login", nil, &views.LoginPage{Chrome: views.Chrome{Title: "Sign in"}, Error: msg})
		return nil
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.signOut(w, r, v); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// home sends each role to its first page.
func (s *Service) home(w http.ResponseWriter, r *http.Request, v *viewer) error {
	to := map[string]string{events.RoleWorker: "/inbox", events.RoleDuty: "/queue", events.RoleManager: "/dashboard", events.RoleAdmin: "/admin/users"}[v.Role()]
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Service) sessionOf(v *viewer) views.Session {
	return views.Session{StaffID: v.ID, Name: v.Name, Role: v.Role(), CSRFToken: v.Session.CSRF,
		ExpiresAt: v.Session.Created.Add(s.cfg.Lifetime).UTC().Format(time.RFC3339)}
}

func (s *Service) apiSignIn(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	var in struct {
		StaffID  string `json:"staff_id"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.signIn(w, r, in.StaffID, in.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.sessionOf(v))
	return nil
}

func (s *Service) apiSession(w http.ResponseWriter, _ *http.Request, v *viewer) error {
	writeJSON(w, http.StatusOK, s.sessionOf(v))
	return nil
}

func (s *Service) apiSignOut(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.signOut(w, r, v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
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
