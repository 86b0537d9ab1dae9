package ingestion_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/internal/sms"
)

// FuzzSMSWebhook drives the webhook with properly signed forms whose
// fields the fuzzer chooses: the handler never panics, answers only the
// documented statuses, and a rejected webhook adds nothing to the log.
// Each case calls the handler in process and compares the stream's last
// sequence (one request), not the whole log read back, so a case costs
// what the webhook costs.
func FuzzSMSWebhook(f *testing.F) {
	// Seeds: the shapes Twilio sends and the ones an attacker would try.
	f.Add("SM0123456789abcdef0123456789abcdef", "+447700900555", lineNum, "hello", "")
	f.Add("SMzz", "07700", "+1", "STOP", "extra")
	f.Add("", "", "", "", "")
	f.Add("SM0123456789abcdef0123456789abcdef", "+447700900555", lineNum, "\xff\xfe", "MessageSid")
	f.Add("SM0123456789abcdef0123456789abcdee", "+447700900556", lineNum, "i took 30 paracetamol and i want to die", "")
	f.Add("SM0123456789abcdef0123456789abcded", "+447700900557", lineNum, "HELP", "")
	f.Add("SM0123456789abcdef0123456789abcdec", "+447700900557", lineNum, "start", "")
	f.Add("SM0123456789abcdef0123456789abcdeb", "+447700900558", lineNum, strings.Repeat("é", 1600), "")
	f.Add("SM0123456789abcdef0123456789abcdea", "+447700900559", lineNum, "<script>alert(1)</script>", "NumMedia")
	f.Add("SM0123456789abcdef0123456789abcde9", "+447700900559", "+442079460001", "hello", "To")
	f.Add("SM0123456789abcdef0123456789abcde8", "+44 7700 900559", lineNum, "hi\x00there", "From")
	f.Add("SM0123456789abcdef0123456789abcde7", "+447700900560", lineNum, "1", "AccountSid")
	h := newHarness(f)
	handler := h.srv.Config.Handler
	u := h.public + "/twilio/sms"
	f.Fuzz(func(t *testing.T, sid, from, to, body, extraKey string) {
		before := h.lastSeq(t)
		form := url.Values{"MessageSid": {sid}, "From": {from}, "To": {to}, "Body": {body}}
		if extraKey != "" {
			form.Add(extraKey, body)
		}
		req := httptest.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sms.Sign(token, u, form))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch code := rec.Code; code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			if after := h.lastSeq(t); after != before {
				t.Fatalf("status %d but the log moved from %d to %d", code, before, after)
			}
		default:
			t.Fatalf("unexpected status %d", code)
		}
	})
}

// lastSeq is the domain stream's last sequence.
func (h *harness) lastSeq(t testing.TB) uint64 {
	t.Helper()
	seq, err := h.store.LastSequence(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}
