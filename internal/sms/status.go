package sms

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// ErrMalformed means a webhook's form (or query) lacks a field or has one of
// the wrong shape. Its messages name the field, never its value: answer 400.
var ErrMalformed = errors.New("malformed webhook")

var callSidPattern = regexp.MustCompile(`^CA[0-9a-fA-F]{32}$`)

// ValidMessageSid reports whether s has the shape of a Twilio message SID
// ("SM" or "MM" and 32 hex digits). A loop, not a regular expression:
// every inbound webhook checks one.
func ValidMessageSid(s string) bool {
	if len(s) != 34 || s[:2] != "SM" && s[:2] != "MM" {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// ValidAccountSid reports whether s has the shape of the AccountSid a
// webhook names: "AC" and 1 to 40 letters or digits (ASCII).
func ValidAccountSid(s string) bool {
	if len(s) < 3 || len(s) > 42 || s[:2] != "AC" {
		return false
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// MessageStatus is a message's delivery status as Twilio reports it.
type MessageStatus string

// Twilio's message statuses.
const (
	MessageQueued             MessageStatus = "queued"
	MessageAccepted           MessageStatus = "accepted"
	MessageScheduled          MessageStatus = "scheduled"
	MessageSending            MessageStatus = "sending"
	MessageSent               MessageStatus = "sent"
	MessageDelivered          MessageStatus = "delivered"
	MessageUndelivered        MessageStatus = "undelivered"
	MessageFailed             MessageStatus = "failed"
	MessageRead               MessageStatus = "read"
	MessageReceiving          MessageStatus = "receiving"
	MessageReceived           MessageStatus = "received"
	MessageCanceled           MessageStatus = "canceled"
	MessagePartiallyDelivered MessageStatus = "partially_delivered"
)

var messageStatuses = map[MessageStatus]bool{
	MessageQueued: true, MessageAccepted: true, MessageScheduled: true, MessageSending: true, MessageSent: true,
	MessageDelivered: true, MessageUndelivered: true, MessageFailed: true, MessageRead: true, MessageReceiving: true,
	MessageReceived: true, MessageCanceled: true, MessagePartiallyDelivered: true,
}

// Known reports whether s is one of Twilio's message statuses.
func (s MessageStatus) Known() bool { return messageStatuses[s] }

// Failed reports whether the message will not arrive: Twilio could not send
// it (failed) or the carrier could not deliver it (undelivered). A page that
// fails is a refusal: the pager moves on at once rather than waiting out the
// acknowledgement timeout.
func (s MessageStatus) Failed() bool { return s == MessageUndelivered || s == MessageFailed }

// MessageStatusCallback is one status callback for a message Twilio sent
// (POSTed to the message's StatusCallback URL).
type MessageStatusCallback struct {
	MessageSid string
	Status     MessageStatus
	// ErrorCode is Twilio's error code (see DeliveryErrorText), 0 when none; it
	// comes with undelivered and failed.
	ErrorCode int
}

// ParseMessageStatus reads a message status callback's form (MessageSid,
// MessageStatus, ErrorCode). The signature is the caller's to check first.
func ParseMessageStatus(form url.Values) (MessageStatusCallback, error) {
	sid, status, code, err := parseStatus(form, "MessageSid", ValidMessageSid, "MessageStatus", MessageStatus.Known)
	if err != nil {
		return MessageStatusCallback{}, err
	}
	return MessageStatusCallback{MessageSid: sid, Status: status, ErrorCode: code}, nil
}

// parseStatus reads what every status callback has: a SID (sidOK checks
// its shape), a status (known checks it) and an optional ErrorCode.
func parseStatus[S ~string](form url.Values, sidField string, sidOK func(string) bool, statusField string, known func(S) bool) (string, S, int, error) {
	sid, status := form.Get(sidField), S(form.Get(statusField))
	if !sidOK(sid) {
		return "", "", 0, fmt.Errorf("%w: %s", ErrMalformed, sidField)
	}
	if !known(status) {
		return "", "", 0, fmt.Errorf("%w: unknown %s", ErrMalformed, statusField)
	}
	code, err := errorCode(form)
	if err != nil {
		return "", "", 0, err
	}
	return sid, status, code, nil
}

// CallStatus is a voice call's status as Twilio reports it.
type CallStatus string

// Twilio's call statuses, in the order a call goes through them.
const (
	CallQueued     CallStatus = "queued"
	CallInitiated  CallStatus = "initiated"
	CallRinging    CallStatus = "ringing"
	CallInProgress CallStatus = "in-progress"
	CallCompleted  CallStatus = "completed"
	CallBusy       CallStatus = "busy"
	CallFailed     CallStatus = "failed"
	CallNoAnswer   CallStatus = "no-answer"
	CallCanceled   CallStatus = "canceled"
)

var callStatuses = map[CallStatus]bool{
	CallQueued: true, CallInitiated: true, CallRinging: true, CallInProgress: true, CallCompleted: true,
	CallBusy: true, CallFailed: true, CallNoAnswer: true, CallCanceled: true,
}

// Known reports whether s is one of Twilio's call statuses.
func (s CallStatus) Known() bool { return callStatuses[s] }

// Final reports whether the call is over.
func (s CallStatus) Final() bool { return s.Known() && !s.live() }

func (s CallStatus) live() bool {
	return s == CallQueued || s == CallInitiated || s == CallRinging || s == CallInProgress
}

// Refused reports whether the call ended without anybody answering it:
// busy, failed, no-answer or canceled. Like an undelivered page SMS, it is a
// refusal. A completed call was answered; whether the page was acknowledged
// is the key press's to say (Gather).
func (s CallStatus) Refused() bool {
	return s == CallBusy || s == CallFailed || s == CallNoAnswer || s == CallCanceled
}

// CallStatusCallback is one status callback for a call (POSTed to the call's
// StatusCallback URL for each event it asked for).
type CallStatusCallback struct {
	CallSid string
	Status  CallStatus
	// ErrorCode is Twilio's error code, 0 when none (a failed call may have one).
	ErrorCode int
	// Duration is how long a completed call lasted (CallDuration), 0 otherwise.
	Duration time.Duration
}

// ParseCallStatus reads a call status callback's form (CallSid, CallStatus,
// ErrorCode, CallDuration). The signature is the caller's to check first.
func ParseCallStatus(form url.Values) (CallStatusCallback, error) {
	sid, status, code, err := parseStatus(form, "CallSid", callSidPattern.MatchString, "CallStatus", CallStatus.Known)
	if err != nil {
		return CallStatusCallback{}, err
	}
	cb := CallStatusCallback{CallSid: sid, Status: status, ErrorCode: code}
	if d := form.Get("CallDuration"); d != "" {
		secs, err := strconv.Atoi(d)
		if err != nil || secs < 0 || secs > maxCallSeconds {
			return CallStatusCallback{}, fmt.Errorf("%w: CallDuration", ErrMalformed)
		}
		cb.Duration = time.Duration(secs) * time.Second
	}
	return cb, nil
}

// maxCallSeconds is Twilio's longest call (its TimeLimit's maximum, 24 h).
const maxCallSeconds = 24 * 60 * 60

// maxErrorCode bounds ErrorCode: Twilio's codes have five digits.
const maxErrorCode = 99999

// errorCode reads the optional ErrorCode field.
func errorCode(form url.Values) (int, error) {
	s := form.Get("ErrorCode")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxErrorCode {
		return 0, fmt.Errorf("%w: ErrorCode", ErrMalformed)
	}
	return n, nil
}

// Twilio error codes a failed or undelivered message comes back with.
const (
	CodeQueueOverflow      = 30001 // Twilio's queue for the sender was full
	CodeAccountSuspended   = 30002
	CodeUnreachable        = 30003 // the handset is off or out of coverage
	CodeBlocked            = 30004 // the recipient or carrier blocks the sender
	CodeUnknownDestination = 30005 // no such number, or no longer in service
	CodeLandline           = 30006 // a landline, or a carrier that cannot take SMS
	CodeCarrierViolation   = 30007 // filtered by the carrier
	CodeUnknownError       = 30008
	// CodeOutsideWindow: a free-form WhatsApp message more than 24 hours
	// after the recipient's last message to the sender; only an approved
	// template may be sent then.
	CodeOutsideWindow = 63016
)

var deliveryErrors = map[int]string{
	CodeQueueOverflow:      "queue overflow",
	CodeAccountSuspended:   "account suspended",
	CodeUnreachable:        "phone unreachable",
	CodeBlocked:            "blocked",
	CodeUnknownDestination: "unknown number",
	CodeLandline:           "landline or unreachable carrier",
	CodeCarrierViolation:   "filtered by the carrier",
	CodeUnknownError:       "unknown error",
	CodeOutsideWindow:      "outside WhatsApp's 24-hour window",
}

// DeliveryErrorText is a few words for a delivery error code, for a duty
// worker to read ("phone unreachable"); "error <code>" for codes it does not
// know, "" for 0.
func DeliveryErrorText(code int) string {
	if code == 0 {
		return ""
	}
	if t, ok := deliveryErrors[code]; ok {
		return t
	}
	return "error " + strconv.Itoa(code)
}
