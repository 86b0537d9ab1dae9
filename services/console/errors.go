package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// badRequest wraps a reason a request could not be decoded; the reason
// never quotes what was sent.
func badRequest(reason string) error { return fmt.Errorf("%w: %s", app.ErrBadRequest, reason) }

// statusOf maps an error to its HTTP status and the text staff see. It is
// the only place statuses are chosen for errors, for the pages and the
// API alike.
func statusOf(err error) (int, string) {
	var locked auth.LockedError
	var already *app.AlreadyAcknowledgedError
	var tooLarge *http.MaxBytesError
	var outside *events.OutsideWindowError
	switch {
	case errors.As(err, &already):
		return http.StatusConflict, already.Error()
	case errors.As(err, &outside):
		return http.StatusConflict, outsideWindowText(outside)
	case errors.As(err, &locked):
		return http.StatusLocked, locked.Error()
	case errors.Is(err, auth.ErrNoSession):
		return http.StatusUnauthorized, "Please sign in."
	case errors.Is(err, auth.ErrBadLogin):
		return http.StatusUnauthorized, auth.ErrBadLogin.Error()
	case errors.Is(err, auth.ErrCSRF):
		return http.StatusForbidden, auth.ErrCSRF.Error()
	case errors.Is(err, app.ErrForbidden):
		return http.StatusForbidden, app.ErrForbidden.Error()
	case errors.Is(err, events.ErrSelfGrant):
		return http.StatusForbidden, events.ErrSelfGrant.Error()
	case errors.Is(err, auth.ErrTooMany):
		return http.StatusTooManyRequests, auth.ErrTooMany.Error()
	case errors.Is(err, app.ErrNotFound), errors.Is(err, inbox.ErrNotFound), errors.Is(err, escalations.ErrNotFound),
		errors.Is(err, events.ErrNotFound), errors.Is(err, accounts.ErrNotFound), errors.Is(err, events.ErrInvalidID):
		return http.StatusNotFound, "Not found."
	case errors.Is(err, events.ErrNewMessage):
		return http.StatusConflict, "A new message arrived: read it first. The conversation is still open."
	case errors.Is(err, events.ErrClosed):
		return http.StatusConflict, "This conversation is closed."
	case errors.Is(err, events.ErrAlreadyEscalated):
		return http.StatusConflict, "An escalation of this conversation is already open: the duty worker is being paged."
	case errors.Is(err, events.ErrWorkerExists):
		return http.StatusConflict, "An account with that id already exists."
	case errors.Is(err, events.ErrConcurrency):
		return http.StatusConflict, "Someone else changed this at the same moment: reload and try again."
	case errors.Is(err, app.ErrBadRequest), errors.Is(err, inbox.ErrBadQuery), errors.Is(err, events.ErrUnknownRole), errors.Is(err, app.ErrWeakPassword),
		errors.Is(err, events.ErrInvalidNotify), errors.Is(err, events.ErrNoWorkPhone), errors.Is(err, events.ErrInvalidCommand):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, app.ErrUnavailable), errors.Is(err, events.ErrUnavailable):
		return http.StatusServiceUnavailable, "The service is briefly unavailable: try again in a moment."
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "That is too long."
	}
	return http.StatusInternalServerError, "Something went wrong; it has been logged."
}

// outsideWindowText says why a WhatsApp reply was refused, and what can
// be done.
func outsideWindowText(e *events.OutsideWindowError) string {
	return fmt.Sprintf("Not sent: the client last wrote on WhatsApp more than 24 hours ago (%s). WhatsApp allows free-form replies only within 24 hours of the client's last message; only an approved template message may be sent now. Nothing was sent: when the client writes again, you can reply.",
		e.LastInboundAt.UTC().Format("2 Jan 2006 15:04 UTC"))
}

// isAPI reports whether the request wants JSON.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// writeError answers err with its status, as JSON under /api/ and as a
// page elsewhere. Only unexpected errors are logged, without content.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := statusOf(err)
	if code >= 500 {
		s.log.Error().Err(err).Str("route", chi.RouteContext(r.Context()).RoutePattern()).Msg("console request")
	}
	if isAPI(r) {
		writeJSON(w, code, views.Error{Error: msg})
		return
	}
	if code == http.StatusUnauthorized && r.Method == http.MethodGet && r.URL.Path != "/login" {
		// Signing in returns to the page asked for (the link in a page
		// SMS, opened without a session).
		http.Redirect(w, r, loginURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	v, _ := s.auth.Viewer(r)
	s.render.page(w, code, "error", v, &views.ErrorPage{Chrome: views.Chrome{Title: http.StatusText(code)}, Message: msg})
}
