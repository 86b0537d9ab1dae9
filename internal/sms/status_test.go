package sms

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const testMessageSid = "SM0123456789abcdef0123456789abcdef"

func TestParseMessageStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		form       url.Values
		want       MessageStatusCallback
		wantFailed bool
		wantErr    bool
	}{
		{"delivered", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"delivered"}}, MessageStatusCallback{testMessageSid, MessageDelivered, 0}, false, false},
		{"undelivered 30003", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}, MessageStatusCallback{testMessageSid, MessageUndelivered, CodeUnreachable}, true, false},
		{"failed 30005", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"failed"}, "ErrorCode": {"30005"}}, MessageStatusCallback{testMessageSid, MessageFailed, CodeUnknownDestination}, true, false},
		{"media message", url.Values{"MessageSid": {"MM0123456789abcdef0123456789abcdef"}, "MessageStatus": {"sent"}}, MessageStatusCallback{"MM0123456789abcdef0123456789abcdef", MessageSent, 0}, false, false},
		{"no sid", url.Values{"MessageStatus": {"sent"}}, MessageStatusCallback{}, false, true},
		{"call sid", url.Values{"MessageSid": {"CA0123456789abcdef0123456789abcdef"}, "MessageStatus": {"sent"}}, MessageStatusCallback{}, false, true},
		{"unknown status", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"lost"}}, MessageStatusCallback{}, false, true},
		{"negative code", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"failed"}, "ErrorCode": {"-1"}}, MessageStatusCallback{}, false, true},
		{"code not a number", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"failed"}, "ErrorCode": {"30003x"}}, MessageStatusCallback{}, false, true},
		{"code too big", url.Values{"MessageSid": {testMessageSid}, "MessageStatus": {"failed"}, "ErrorCode": {"300030"}}, MessageStatusCallback{}, false, true},
	}
	for _, tt := range tests {
		got, err := ParseMessageStatus(tt.form)
		if (err != nil) != tt.wantErr || got != tt.want || got.Status.Failed() != tt.wantFailed {
			t.Errorf("%s: ParseMessageStatus = %+v, %v", tt.name, got, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v is not ErrMalformed", tt.name, err)
		}
	}
}

func TestParseCallStatus(t *testing.T) {
	t.Parallel()
	const sid = "CA0123456789abcdef0123456789abcdef"
	form := func(kv ...string) url.Values {
		f := url.Values{"CallSid": {sid}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	tests := []struct {
		name                  string
		form                  url.Values
		want                  CallStatusCallback
		wantFinal, wantRefuse bool
		wantErr               bool
	}{
		{"ringing", form("CallStatus", "ringing"), CallStatusCallback{CallSid: sid, Status: CallRinging}, false, false, false},
		{"initiated", form("CallStatus", "initiated"), CallStatusCallback{CallSid: sid, Status: CallInitiated}, false, false, false},
		{"answered", form("CallStatus", "in-progress"), CallStatusCallback{CallSid: sid, Status: CallInProgress}, false, false, false},
		{"completed", form("CallStatus", "completed", "CallDuration", "42"), CallStatusCallback{CallSid: sid, Status: CallCompleted, Duration: 42 * time.Second}, true, false, false},
		{"busy", form("CallStatus", "busy"), CallStatusCallback{CallSid: sid, Status: CallBusy}, true, true, false},
		{"no answer", form("CallStatus", "no-answer", "CallDuration", "0"), CallStatusCallback{CallSid: sid, Status: CallNoAnswer}, true, true, false},
		{"failed with code", form("CallStatus", "failed", "ErrorCode", "13224"), CallStatusCallback{CallSid: sid, Status: CallFailed, ErrorCode: 13224}, true, true, false},
		{"canceled", form("CallStatus", "canceled"), CallStatusCallback{CallSid: sid, Status: CallCanceled}, true, true, false},
		{"unknown status", form("CallStatus", "hung-up"), CallStatusCallback{}, false, false, true},
		{"no sid", url.Values{"CallStatus": {"busy"}}, CallStatusCallback{}, false, false, true},
		{"bad duration", form("CallStatus", "completed", "CallDuration", "-3"), CallStatusCallback{}, false, false, true},
		{"bad code", form("CallStatus", "failed", "ErrorCode", "x"), CallStatusCallback{}, false, false, true},
	}
	for _, tt := range tests {
		got, err := ParseCallStatus(tt.form)
		if (err != nil) != tt.wantErr || got != tt.want || got.Status.Final() != tt.wantFinal || got.Status.Refused() != tt.wantRefuse {
			t.Errorf("%s: ParseCallStatus = %+v, %v", tt.name, got, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v is not ErrMalformed", tt.name, err)
		}
	}
}

func TestDeliveryErrorText(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{0: "", 30003: "phone unreachable", 30005: "unknown number", 12345: "error 12345"} {
		if got := DeliveryErrorText(code); got != want {
			t.Errorf("DeliveryErrorText(%d) = %q, want %q", code, got, want)
		}
	}
}

// FuzzStatusCallback: the status parsers never panic, and what they accept
// is a known status with a code in range.
func FuzzStatusCallback(f *testing.F) {
	f.Add("MessageSid=" + testMessageSid + "&MessageStatus=undelivered&ErrorCode=30003")
	f.Add("CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=completed&CallDuration=12")
	f.Add("CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=failed&ErrorCode=99999999999999999999")
	f.Add("MessageStatus=sent&MessageStatus=failed")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			t.Skip()
		}
		if m, err := ParseMessageStatus(form); err == nil && (!m.Status.Known() || m.ErrorCode < 0 || m.ErrorCode > maxErrorCode) {
			t.Fatalf("accepted %+v", m)
		}
		if c, err := ParseCallStatus(form); err == nil && (!c.Status.Known() || c.ErrorCode < 0 || c.ErrorCode > maxErrorCode || c.Duration < 0) {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzSidShapes checks ValidMessageSid and ValidAccountSid, loops, against
// the regular expressions they replace.
func FuzzSidShapes(f *testing.F) {
	for _, s := range []string{"SM0123456789abcdef0123456789abcdef", "MM0123456789ABCDEF0123456789abcdef", "SM0123456789abcdef0123456789abcde",
		"SX0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcdef", "AC", "ACx", "AC" + strings.Repeat("z", 40), "AC" + strings.Repeat("z", 41),
		"SM0123456789abcdef0123456789abcdeg", "AC-1", "ACé", "SM\n123"} {
		f.Add(s)
	}
	message := regexp.MustCompile(`^(SM|MM)[0-9a-fA-F]{32}$`)
	account := regexp.MustCompile(`^AC[0-9a-zA-Z]{1,40}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidMessageSid(s), message.MatchString(s); got != want {
			t.Errorf("ValidMessageSid(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := ValidAccountSid(s), account.MatchString(s); got != want {
			t.Errorf("ValidAccountSid(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
