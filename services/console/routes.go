package console

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/auth"
)

// Role sets used by the route table.
var (
	public   []string // no session needed
	anyRole  = []string{events.RoleWorker, events.RoleDuty, events.RoleManager, events.RoleAdmin}
	content  = []string{events.RoleWorker, events.RoleDuty} // may read conversations
	dutyOnly = []string{events.RoleDuty}
	// paged: a duty worker, or anyone paged for the escalation, whatever
	// their role; the application checks the page (app.mayTake).
	paged     = anyRole
	figures   = []string{events.RoleManager, events.RoleAdmin}
	adminOnly = []string{events.RoleAdmin}
	// The rota: duty workers change their own time, admins anyone's;
	// managers read it.
	rotaRead  = []string{events.RoleDuty, events.RoleManager, events.RoleAdmin}
	rotaWrite = []string{events.RoleDuty, events.RoleAdmin}
	// Saved replies: workers and duty workers insert them, admins manage
	// them.
	repliesRead = []string{events.RoleWorker, events.RoleDuty, events.RoleAdmin}
)

// route is one line of the role-by-route table: the only place roles are
// checked. Managers have no route to content or pseudonyms; admins reach
// content only through break-glass, which records a stated reason.
type route struct {
	method, pattern string
	roles           []string
	h               handlerFunc
}

// handlerFunc is a port's handler: v is who is signed in (nil on a public
// route without a session); an error is answered by writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error

func (s *Service) routes() []route {
	p, a := s.pages, s.api
	return []route{
		{"GET", "/login", public, p.login},
		{"POST", "/login", public, p.loginSubmit},
		{"POST", "/logout", anyRole, p.logout},
		{"GET", "/", anyRole, p.home},
		{"GET", "/inbox", content, p.inbox},
		{"GET", "/queue", dutyOnly, p.queue},
		{"GET", "/queue/{escalation}", paged, p.escalation},
		{"POST", "/queue/{escalation}/ack", paged, p.acknowledge},
		{"GET", "/conversations/{conversation}", content, p.conversation},
		{"POST", "/conversations/{conversation}/reply", content, p.reply},
		{"POST", "/conversations/{conversation}/assign", dutyOnly, p.assign},
		{"POST", "/conversations/{conversation}/escalate", content, p.escalate},
		{"POST", "/conversations/{conversation}/flags", content, p.flag},
		{"POST", "/conversations/{conversation}/close", content, p.close},
		{"POST", "/conversations/{conversation}/handover", content, p.handOver},
		{"POST", "/conversations/{conversation}/messages/{message}/feedback", content, p.feedback},
		{"GET", "/conversations/{conversation}/break-glass", adminOnly, p.breakGlassForm},
		{"POST", "/conversations/{conversation}/break-glass", adminOnly, p.breakGlass},
		{"GET", "/dashboard", figures, p.dashboard},
		{"GET", "/dashboard.csv", figures, p.dashboardCSV},
		{"GET", "/dashboard/conversations.csv", figures, p.conversationsCSV},
		{"GET", "/admin/users", adminOnly, p.users},
		{"POST", "/admin/users", adminOnly, p.userCreate},
		{"POST", "/admin/users/{staff}/roles", adminOnly, p.userRole},
		{"POST", "/admin/users/{staff}/disable", adminOnly, p.userDisable},
		{"GET", "/admin/audit", adminOnly, p.audit},
		{"GET", "/admin/config", adminOnly, p.config},
		{"GET", "/admin/replies", adminOnly, p.savedReplies},
		{"POST", "/admin/replies/{line}", adminOnly, p.savedReplyAdd},
		{"POST", "/admin/replies/{line}/{reply}", adminOnly, p.savedReplyEdit},
		{"POST", "/admin/replies/{line}/{reply}/remove", adminOnly, p.savedReplyRemove},
		{"GET", "/rota", rotaRead, p.rota},
		{"POST", "/rota/{line}/changes", rotaWrite, p.rotaChange},
		{"POST", "/rota/{line}/changes/{change}/cancel", rotaWrite, p.rotaCancel},
		// Anyone's own account; an admin's, anyone's (the application
		// checks whose).
		{"GET", "/account", anyRole, p.account},
		{"POST", "/account/{staff}/notify", anyRole, p.notifySubmit},

		{"POST", "/api/session", public, a.signIn},
		{"GET", "/api/session", anyRole, a.session},
		{"DELETE", "/api/session", anyRole, a.signOut},
		{"GET", "/api/live", content, s.live.serve},
		{"GET", "/api/inbox", content, a.inbox},
		{"GET", "/api/queue", dutyOnly, a.queue},
		{"GET", "/api/escalations/{escalation}", paged, a.escalation},
		{"POST", "/api/escalations/{escalation}/ack", paged, a.acknowledge},
		{"GET", "/api/conversations/{conversation}", content, a.conversation},
		{"POST", "/api/conversations/{conversation}/replies", content, a.reply},
		{"POST", "/api/conversations/{conversation}/assign", dutyOnly, a.assign},
		{"POST", "/api/conversations/{conversation}/flags", content, a.flag},
		{"POST", "/api/conversations/{conversation}/close", content, a.close},
		{"POST", "/api/conversations/{conversation}/handover", content, a.handOver},
		{"POST", "/api/conversations/{conversation}/break-glass", adminOnly, a.breakGlass},
		{"GET", "/api/figures", figures, a.figures},
		{"GET", "/api/figures.csv", figures, p.dashboardCSV},
		{"GET", "/api/figures/conversations.csv", figures, p.conversationsCSV},
		{"GET", "/api/users", adminOnly, a.users},
		{"POST", "/api/users", adminOnly, a.userCreate},
		{"POST", "/api/users/{staff}/roles", adminOnly, a.userRole},
		{"POST", "/api/users/{staff}/disable", adminOnly, a.userDisable},
		{"GET", "/api/audit", adminOnly, a.audit},
		{"GET", "/api/config", adminOnly, a.config},
		{"GET", "/api/lines/{line}/replies", repliesRead, a.savedReplies},
		{"POST", "/api/lines/{line}/replies", adminOnly, a.savedReplyAdd},
		{"PUT", "/api/lines/{line}/replies/{reply}", adminOnly, a.savedReplyEdit},
		{"DELETE", "/api/lines/{line}/replies/{reply}", adminOnly, a.savedReplyRemove},
		{"GET", "/api/staff/{staff}/notify", anyRole, a.notifyRules},
		{"PUT", "/api/staff/{staff}/notify", anyRole, a.notifySet},
	}
}

// Mount adds the console's routes and its static files to r.
func (s *Service) Mount(r chi.Router) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.writeError(w, req, auth.ErrCSRF)
	}))
	r.Group(func(r chi.Router) {
		r.Use(securityHeaders, cop.Handler)
		for _, rt := range s.routes() {
			r.Method(rt.method, rt.pattern, s.wrap(rt))
		}
		r.Get("/assets/console.css", serveAsset("console.css", "text/css; charset=utf-8"))
		r.Get("/assets/console.js", serveAsset("console.js", "text/javascript; charset=utf-8"))
		r.Get("/assets/saved-replies.js", serveAsset("saved-replies.js", "text/javascript; charset=utf-8"))
	})
}

// Routes lists "METHOD pattern" of every console route, for the
// role-by-route test and the contract check.
func (s *Service) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
}

// wrap applies, in order: the body limit, authentication's check
// (session, role, CSRF token), then the handler, and turns an error into
// a status.
func (s *Service) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		v, err := s.auth.Authorize(r, rt.roles)
		if err == nil {
			err = rt.h(w, r, v)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
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
