package app

import (
	"errors"
	"fmt"
	"time"
)

// Errors the use cases return; the ports map them (and the errors of
// events and the projections they wrap) to statuses in one place.
var (
	ErrNotFound     = errors.New("not found")
	ErrForbidden    = errors.New("your role does not allow this")
	ErrBadRequest   = errors.New("bad request")
	ErrUnavailable  = errors.New("temporarily unavailable")
	ErrWeakPassword = errors.New("password must be at least 12 characters")
)

// badRequest wraps a reason input was refused; the reason never quotes
// what was sent.
func badRequest(reason string) error { return fmt.Errorf("%w: %s", ErrBadRequest, reason) }

// AlreadyAcknowledgedError tells a duty worker who acknowledged an
// escalation first, by name, and when.
type AlreadyAcknowledgedError struct {
	Name string
	At   time.Time
	err  error
}

func (e *AlreadyAcknowledgedError) Error() string {
	return fmt.Sprintf("Already acknowledged by %s at %s UTC.", e.Name, e.At.UTC().Format("15:04:05"))
}

// Unwrap returns the aggregate's *events.AlreadyAcknowledgedError.
func (e *AlreadyAcknowledgedError) Unwrap() error { return e.err }
