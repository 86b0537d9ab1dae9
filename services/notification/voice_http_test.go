package notification_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/notification"
)

// TestVoiceWebhooksRefuseWhatTwilioDidNotSign: the gather and the call
// status are checked like the SMS webhooks: a missing or wrong signature
// is 403, a signed request naming no page call or a malformed status is
// 400, and nothing reaches the log.
func TestVoiceWebhooksRefuseWhatTwilioDidNotSign(t *testing.T) {
	t.Parallel()
	b := testbed.New(t, testConfig, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	const public, token = "https://helpline.example", "voicetoken0123"
	v := notification.NewVoice(notification.VoiceConfig{PublicURL: public, AuthToken: token, AccountSID: "AC0123"}, b.File, b.Store, b.Clock.Now, zerolog.Nop())
	press := url.Values{"CallSid": {"CA0123456789abcdef0123456789abcdef"}, "Digits": {"1"}, "CallStatus": {"in-progress"},
		"From": {lineNum}, "To": {dutyPhone}, "AccountSid": {"AC0123"}}
	status := url.Values{"CallSid": {"CA0123456789abcdef0123456789abcdef"}, "CallStatus": {"no-answer"}, "AccountSid": {"AC0123"}}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		target  string
		form    url.Values
		sign    string // the token it is signed with; "" unsigned
		want    int
	}{
		{"gather unsigned", v.Gather, sms.GatherPath + "?page=conv1.0.sam", press, "", http.StatusForbidden},
		{"gather signed by another", v.Gather, sms.GatherPath + "?page=conv1.0.sam", press, "othertoken", http.StatusForbidden},
		{"gather naming no page", v.Gather, sms.GatherPath + "?page=conv1", press, token, http.StatusBadRequest},
		{"gather of no escalation", v.Gather, sms.GatherPath + "?page=conv1.0.sam", press, token, http.StatusBadRequest},
		{"gather for another account", v.Gather, sms.GatherPath + "?page=conv1.0.sam", with(press, "AccountSid", "AC9999"), token, http.StatusForbidden},
		{"status unsigned", v.Status, notification.CallStatusPath + "?c=conv1", status, "", http.StatusForbidden},
		{"status without a conversation", v.Status, notification.CallStatusPath + "?c=a.b", status, token, http.StatusBadRequest},
		{"status unknown", v.Status, notification.CallStatusPath + "?c=conv1", with(status, "CallStatus", "exploded"),
			token, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, strings.NewReader(tt.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.sign != "" {
				r.Header.Set(sms.SignatureHeader, sms.Sign(tt.sign, public+tt.target, tt.form))
			}
			w := httptest.NewRecorder()
			tt.handler(w, r)
			if w.Code != tt.want {
				t.Fatalf("answered %d %q, want %d", w.Code, w.Body.String(), tt.want)
			}
		})
	}
	if got := b.Events(t, "conversation", ""); len(got) != 0 {
		t.Fatalf("%d events appended by refused webhooks", len(got))
	}
}

// with returns a copy of form with key set to value.
func with(form url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range form {
		out[k] = append([]string(nil), vs...)
	}
	out.Set(key, value)
	return out
}
