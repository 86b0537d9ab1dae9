package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
)

// Errors the handlers return; status codes come from them in one place,
// statusOf.
var (
	errUnavailable = errors.New("temporarily unavailable")
	errForbidden   = errors.New("your role does not allow this")
	errNotFound    = errors.New("not found")
	errBadRequest  = errors.New("bad request")
	errCSRF        = errors.New("the form is out of date or came from another site: reload the page and try again")
	errBadLogin    = errors.New("wrong staff id or password")
	errTooMany     = errors.New("too many sign-in attempts: wait a minute and try again")
)

// lockedError tells a staff member their account is locked, and until when.
type lockedError struct{ until time.Time }

func (e lockedError) Error() string {
	return fmt.Sprintf("too many wrong passwords: this account is locked until %s UTC", e.until.UTC().Format("15:04"))
}

// badRequest wraps a reason a form or body was refused; the reason never
// quotes what was sent.
func badRequest(reason string) error { return fmt.Errorf("%w: %s", errBadRequest, reason) }

// statusOf maps an error to its HTTP status and the text staff see. It is
// the only place statuses are chosen for errors.
func (s *Service) statusOf(ctx context.Context, err error) (int, string) {
	var locked lockedError
	var already *events.AlreadyAcknowledgedError
	switch {
	case errors.As(err, &already):
		return http.StatusConflict, fmt.Sprintf("Already acknowledged by %s at %s UTC.", s.staffName(ctx, already.StaffID), already.At.UTC().Format("15:04:05"))
	case errors.As(err, &locked):
		return http.StatusLocked, locked.Error()
	case errors.Is(err, ErrNoSession):
		return http.StatusUnauthorized, "Please sign in."
	case errors.Is(err, errBadLogin):
		return http.StatusUnauthorized, errBadLogin.Error()
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, errCSRF.Error()
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, errForbidden.Error()
	case errors.Is(err, errTooMany):
		return http.StatusTooManyRequests, errTooMany.Error()
	case errors.Is(err, errNotFound), errors.Is(err, inbox.ErrNotFound), errors.Is(err, escalations.ErrNotFound),
		errors.Is(err, events.ErrNotFound), errors.Is(err, accounts.ErrNotFound), errors.Is(err, events.ErrInvalidID):
		return http.StatusNotFound, "Not found."
	case errors.Is(err, events.ErrClosed):
		return http.StatusConflict, "This conversation is closed."
	case errors.Is(err, events.ErrWorkerExists):
		return http.StatusConflict, "An account with that id already exists."
	case errors.Is(err, events.ErrConcurrency):
		return http.StatusConflict, "Someone else changed this at the same moment: reload and try again."
	case errors.Is(err, errBadRequest), errors.Is(err, inbox.ErrBadQuery), errors.Is(err, ErrBadRole), errors.Is(err, events.ErrUnknownRole), errors.Is(err, ErrWeakPassword):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errUnavailable), errors.Is(err, events.ErrUnavailable):
		return http.StatusServiceUnavailable, "The service is briefly unavailable: try again in a moment."
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, "That is too long."
	}
	return http.StatusInternalServerError, "Something went wrong; it has been logged."
}
