package sms

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Limits of Twilio's Calls API.
const (
	// MaxTwiML is how long an inline Twiml parameter may be, in characters.
	MaxTwiML = 4000
	// MaxRingTimeout is the longest Twilio lets a call ring.
	MaxRingTimeout = 600 * time.Second
	// DefaultRingTimeout is how long a page call rings when Call.RingTimeout is
	// zero: shorter than Twilio's 60 s, so that a phone that forwards to
	// voicemail after about half a minute ends as no-answer (a refusal the
	// pager acts on at once) rather than as a voicemail that "answered".
	DefaultRingTimeout = 25 * time.Second
)

// The progress events a call's status callback can ask for (Twilio's
// StatusCallbackEvent). Busy, failed, no-answer and canceled calls are
// reported under EventCompleted.
const (
	EventInitiated = "initiated"
	EventRinging   = "ringing"
	EventAnswered  = "answered"
	EventCompleted = "completed"
)

// DefaultCallEvents are the events asked for when Call.StatusCallbackEvents is
// nil: enough to show a page call ringing, answered, and how it ended.
var DefaultCallEvents = []string{EventRinging, EventAnswered, EventCompleted}

var callEvents = []string{EventInitiated, EventRinging, EventAnswered, EventCompleted}

// Call is one voice call to place.
type Call struct {
	// From is the line's Twilio number (E.164).
	From string
	// To is the number to ring (E.164).
	To string
	// TwiML is what the call does once answered, inline (see PageCallTwiML);
	// at most MaxTwiML characters. Exactly one of TwiML and URL is set.
	TwiML string
	// URL is where Twilio fetches the call's TwiML once it is answered (with a
	// signed POST).
	URL string
	// StatusCallback, if set, is the public URL Twilio posts the call's
	// progress to (see ParseCallStatus).
	StatusCallback string
	// StatusCallbackEvents are the progress events posted; nil means
	// DefaultCallEvents. Only used with StatusCallback.
	StatusCallbackEvents []string
	// RingTimeout is how long the phone rings before the call ends as
	// no-answer, in whole seconds up to MaxRingTimeout. Zero means
	// DefaultRingTimeout.
	RingTimeout time.Duration
}

func (c Call) validate() error {
	if err := needParties(c.From, c.To, ErrInvalidCall); err != nil {
		return err
	}
	switch {
	case (c.TwiML == "") == (c.URL == ""):
		return fmt.Errorf("%w: want exactly one of TwiML and URL", ErrInvalidCall)
	case utf8.RuneCountInString(c.TwiML) > MaxTwiML:
		return fmt.Errorf("%w: TwiML longer than %d characters", ErrInvalidCall, MaxTwiML)
	case c.RingTimeout < 0 || c.RingTimeout > MaxRingTimeout || c.RingTimeout%time.Second != 0:
		return fmt.Errorf("%w: ring timeout %s is not whole seconds up to %s", ErrInvalidCall, c.RingTimeout, MaxRingTimeout)
	}
	for _, e := range c.StatusCallbackEvents {
		if !slices.Contains(callEvents, e) {
			return fmt.Errorf("%w: status callback event %q is not one of %s", ErrInvalidCall, e, strings.Join(callEvents, ", "))
		}
	}
	return nil
}

// Call places one voice call through Twilio's Calls API and returns the call
// SID. Context, timeout and errors are as for Send: a *SendError once a
// request was attempted, retryable only when Twilio throttled, failed or did
// not answer. A retry after no answer can ring the phone twice.
func (s *Sender) Call(ctx context.Context, c Call) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	ring := c.RingTimeout
	if ring == 0 {
		ring = DefaultRingTimeout
	}
	params := &openapi.CreateCallParams{}
	params.SetTo(c.To).SetFrom(c.From).SetTimeout(int(ring / time.Second))
	if c.TwiML != "" {
		params.SetTwiml(c.TwiML)
	} else {
		params.SetUrl(c.URL)
	}
	if c.StatusCallback != "" {
		events := c.StatusCallbackEvents
		if events == nil {
			events = DefaultCallEvents
		}
		params.SetStatusCallback(c.StatusCallback).SetStatusCallbackEvent(events)
	}
	return s.create(ctx, func(api *openapi.ApiService) (*string, error) {
		call, err := api.CreateCall(params)
		if err != nil {
			return nil, err
		}
		return call.Sid, nil
	})
}
