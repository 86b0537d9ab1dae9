package ingestion_test

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzSMSWebhook drives the webhook with properly signed forms whose
// fields the fuzzer chooses: the handler never panics, answers only the
// documented statuses, and a rejected webhook adds nothing to the log.
func FuzzSMSWebhook(f *testing.F) {
	f.Add("SM0123456789abcdef0123456789abcdef", "+447700900555", lineNum, "hello", "")
	f.Add("SMzz", "07700", "+1", "STOP", "extra")
	f.Add("", "", "", "", "")
	f.Add("SM0123456789abcdef0123456789abcdef", "+447700900555", lineNum, "\xff\xfe", "MessageSid")
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, sid, from, to, body, extraKey string) {
		before := len(h.all(t))
		form := url.Values{"MessageSid": {sid}, "From": {from}, "To": {to}, "Body": {body}}
		if extraKey != "" {
			form.Add(extraKey, body)
		}
		code, _ := h.post(t, "/twilio/sms", form, h.public+"/twilio/sms")
		switch code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			if after := len(h.all(t)); after != before {
				t.Fatalf("status %d but the log grew from %d to %d events", code, before, after)
			}
		default:
			t.Fatalf("unexpected status %d", code)
		}
	})
}
