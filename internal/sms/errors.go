package sms

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/twilio/twilio-go/client"
)

// Twilio error codes the helpline acts on.
const (
	CodeAuthenticate  = 20003 // wrong account SID or auth token
	CodeInvalidNumber = 21211 // the 'To' number is not a valid phone number
	CodeOptedOut      = 21610 // the recipient replied STOP to this sender
	CodeNotMobile     = 21614 // the 'To' number cannot receive SMS
)

// Sentinels for conditions callers act on; test with errors.Is.
var (
	// ErrOptedOut means the recipient opted out (replied STOP); do not retry and
	// do not try again until they opt back in (START).
	ErrOptedOut = errors.New("recipient opted out")
	// ErrInvalidNumber means Twilio rejected the 'To' number.
	ErrInvalidNumber = errors.New("invalid phone number")
	// ErrNotMobile means the 'To' number cannot receive SMS (e.g. a landline).
	ErrNotMobile = errors.New("number cannot receive SMS")
	// ErrUnauthorized means Twilio rejected the credentials: an operator must fix
	// the configuration.
	ErrUnauthorized = errors.New("twilio rejected the credentials")
	// ErrInvalidMessage means the Message was rejected before calling Twilio.
	ErrInvalidMessage = errors.New("invalid message")
	// ErrInvalidCall means the Call was rejected before calling Twilio.
	ErrInvalidCall = errors.New("invalid call")
)

// SendError is the error Send and Call return once a request was attempted. Its text
// holds the HTTP status and Twilio code only: Twilio's own message can contain the
// phone number, so it stays in the wrapped error.
type SendError struct {
	// Status is the HTTP status Twilio answered with, 0 when there was no answer
	// (network error, timeout, cancelled context).
	Status int
	// Code is Twilio's error code, 0 when there was none.
	Code int
	// Permanent is true when sending the same message (or placing the same
	// call) again cannot succeed, or when Twilio already accepted it (a 2xx
	// answer whose body could not be read): in both cases the caller must not
	// retry.
	Permanent bool
	// Err is the underlying error (*client.TwilioRestError, *url.Error, ...).
	Err error
}

// Error implements error.
func (e *SendError) Error() string {
	kind := "retryable"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Status == 0 {
		return fmt.Sprintf("twilio send (%s): %v", kind, e.Err)
	}
	return fmt.Sprintf("twilio send (%s): status %d, code %d", kind, e.Status, e.Code)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// Is matches the package's sentinels by Twilio code and status.
func (e *SendError) Is(target error) bool {
	switch target {
	case ErrOptedOut:
		return e.Code == CodeOptedOut
	case ErrInvalidNumber:
		return e.Code == CodeInvalidNumber
	case ErrNotMobile:
		return e.Code == CodeNotMobile
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Code == CodeAuthenticate
	}
	return false
}

// IsRetryable reports whether sending again later may succeed: Twilio throttled
// (429) or failed (5xx), or no answer arrived. A retry after no answer can send
// the SMS (or ring the phone) twice: Twilio's APIs have no idempotency key.
func IsRetryable(err error) bool {
	var se *SendError
	return errors.As(err, &se) && !se.Permanent
}

// classify turns what twilio-go returned into a *SendError. status is the HTTP
// status the transport saw (0 if none): twilio-go loses it when an error body is
// not Twilio's JSON (a proxy's HTML 502, say).
func classify(err error, status int) *SendError {
	se := &SendError{Status: status, Err: err}
	var rest *client.TwilioRestError
	var restV1 *client.RestErrorV1
	switch {
	case errors.As(err, &rest):
		se.Code = rest.Code
		if rest.Status != 0 {
			se.Status = rest.Status
		}
		if se.Status == 0 {
			// twilio-go's own credential check fails before any request.
			se.Status = http.StatusBadRequest
		}
	case errors.As(err, &restV1):
		se.Code = restV1.Code
		if restV1.HttpStatusCode != 0 {
			se.Status = restV1.HttpStatusCode
		}
	}
	se.Permanent = permanent(se.Status)
	return se
}

// permanent applies the retry rule: 429 and 5xx are worth retrying, as is no
// answer at all; any other 4xx will fail again. A 2xx (or 3xx) means Twilio
// accepted the message even though its answer could not be read, so resending
// would send it twice.
func permanent(status int) bool {
	switch {
	case status == 0:
		return false
	case status == http.StatusTooManyRequests:
		return false
	case status >= 500:
		return false
	default:
		return true
	}
}
