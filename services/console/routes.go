package console

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/views"
)

// Role sets used by the route table.
var (
	public    []string // no session needed
	anyRole   = []string{events.RoleWorker, events.RoleDuty, events.RoleManager, events.RoleAdmin}
	content   = []string{events.RoleWorker, events.RoleDuty} // may read conversations
	dutyOnly  = []string{events.RoleDuty}
	figures   = []string{events.RoleManager, events.RoleAdmin}
	adminOnly = []string{events.RoleAdmin}
)

// route is one line of the role-by-route table: the only place roles are
// checked. Managers have no route to content or pseudonyms; admins reach
// content only through break-glass, which records a stated reason.
type route struct {
	method, pattern string
	roles           []string
	h               handlerFunc
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, v *viewer) error

func (s *Service) routes() []route {
	return []route{
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.loginSubmit},
		{"POST", "/logout", anyRole, s.logout},
		{"GET", "/", anyRole, s.home},
		{"GET", "/inbox", content, s.inboxPage},
		{"GET", "/queue", dutyOnly, s.queuePage},
		{"GET", "/queue/{escalation}", dutyOnly, s.escalationPage},
		{"POST", "/queue/{escalation}/ack", dutyOnly, s.ackSubmit},
		{"GET", "/conversations/{conversation}", content, s.conversationPage},
		{"POST", "/conversations/{conversation}/reply", content, s.replySubmit},
		{"POST", "/conversations/{conversation}/assign", dutyOnly, s.assignSubmit},
		{"GET", "/conversations/{conversation}/break-glass", adminOnly, s.breakGlassForm},
		{"POST", "/conversations/{conversation}/break-glass", adminOnly, s.breakGlassSubmit},
		{"GET", "/dashboard", figures, s.dashboardPage},
		{"GET", "/dashboard.csv", figures, s.dashboardCSV},
		{"GET", "/admin/users", adminOnly, s.usersPage},
		{"POST", "/admin/users", adminOnly, s.userCreateSubmit},
		{"POST", "/admin/users/{staff}/roles", adminOnly, s.userRoleSubmit},
		{"POST", "/admin/users/{staff}/disable", adminOnly, s.userDisableSubmit},
		{"GET", "/admin/audit", adminOnly, s.auditPage},
		{"GET", "/admin/config", adminOnly, s.configPage},

		{"POST", "/api/session", public, s.apiSignIn},
		{"GET", "/api/session", anyRole, s.apiSession},
		{"DELETE", "/api/session", anyRole, s.apiSignOut},
		{"GET", "/api/live", content, s.live},
		{"GET", "/api/inbox", content, s.apiInbox},
		{"GET", "/api/queue", dutyOnly, s.apiQueue},
		{"GET", "/api/escalations/{escalation}", dutyOnly, s.apiEscalation},
		{"POST", "/api/escalations/{escalation}/ack", dutyOnly, s.apiAck},
		{"GET", "/api/conversations/{conversation}", content, s.apiConversation},
		{"POST", "/api/conversations/{conversation}/replies", content, s.apiReply},
		{"POST", "/api/conversations/{conversation}/assign", dutyOnly, s.apiAssign},
		{"POST", "/api/conversations/{conversation}/break-glass", adminOnly, s.apiBreakGlass},
		{"GET", "/api/figures", figures, s.apiFigures},
		{"GET", "/api/figures.csv", figures, s.dashboardCSV},
		{"GET", "/api/users", adminOnly, s.apiUsers},
		{"POST", "/api/users", adminOnly, s.apiUserCreate},
		{"POST", "/api/users/{staff}/roles", adminOnly, s.apiUserRole},
		{"POST", "/api/users/{staff}/disable", adminOnly, s.apiUserDisable},
		{"GET", "/api/audit", adminOnly, s.apiAudit},
		{"GET", "/api/config", adminOnly, s.apiConfig},
	}
}

// Mount adds the console's routes and its static files to r.
func (s *Service) Mount(r chi.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, errCSRF)
	}))
	r.Group(func(r chi.Router) {
		r.Use(securityHeaders, cop.Handler)
		for _, rt := range s.routes() {
			r.Method(rt.method, rt.pattern, s.wrap(rt))
		}
		r.Get("/assets/console.css", serveAsset("console.css", "text/css; charset=utf-8"))
		r.Get("/assets/console.js", serveAsset("console.js", "text/javascript; charset=utf-8"))
	})
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
)

// wrap applies, in order: body limit, session, role, CSRF token, then the
// handler, and turns its error into a status.
func (s *Service) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		v, err := s.viewerOf(r)
		if err != nil && !errors.Is(err, ErrNoSession) {
			s.writeError(w, r, err)
			return
		}
		if rt.roles != nil {
			if v == nil {
				s.writeError(w, r, ErrNoSession)
				return
			}
			if !slices.Contains(rt.roles, v.Role()) {
				s.writeError(w, r, errForbidden)
				return
			}
			if r.Method != http.MethodGet && !s.csrfOK(r, v) {
				s.writeError(w, r, errCSRF)
				return
			}
		}
		if err := rt.h(w, r, v); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// viewerOf returns the request's live session and account. A disabled
// account, or one whose role was revoked, loses its sessions at once.
func (s *Service) viewerOf(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, ErrNoSession
	}
	sess, err := s.d.Sessions.Touch(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	if err := s.accounts.RefreshEvery(r.Context(), 5*time.Second); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	acc, err := s.accounts.Get(r.Context(), sess.StaffID)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return nil, err
	}
	if err != nil || acc.Disabled || !acc.Has(sess.Role) {
		_ = s.d.Sessions.Delete(r.Context(), c.Value)
		return nil, ErrNoSession
	}
	return &viewer{Account: acc, Session: sess, token: c.Value}, nil
}

// csrfOK checks the session's token in the form field or the header.
// Cross-site requests are also refused earlier by CrossOriginProtection
// (Sec-Fetch-Site / Origin) and by SameSite=Strict cookies.
func (s *Service) csrfOK(r *http.Request, v *viewer) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(v.Session.CSRF)) == 1
}

// isAPI reports whether the request wants JSON.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// writeError answers err with its status, as JSON under /api/ and as a
// page elsewhere. Only unexpected errors are logged, without content.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := s.statusOf(r.Context(), err)
	if code >= 500 {
		s.log.Error().Err(err).Str("route", chi.RouteContext(r.Context()).RoutePattern()).Msg("console request")
	}
	if isAPI(r) {
		writeJSON(w, code, views.Error{Error: msg})
		return
	}
	if code == http.StatusUnauthorized && r.Method == http.MethodGet && r.URL.Path != "/login" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	v, _ := s.viewerOf(r)
	s.render(w, code, "error", v, &views.ErrorPage{Chrome: views.Chrome{Title: http.StatusText(code)}, Message: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON object body into v, refusing unknown fields.
func decodeJSON(r *http.Request, v any) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return badRequest("send application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("the body is not the expected JSON")
	}
	return nil
}

// securityHeaders are on every console response.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// meta is the Meta of an event a staff member causes now.
func (s *Service) meta() events.Meta { return events.Meta{OccurredAt: s.d.Now()} }

// Routes lists "METHOD pattern" of every console route, for the
// role-by-route test and the contract check.
func (s *Service) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}
