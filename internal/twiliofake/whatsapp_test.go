package twiliofake_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

// A WhatsApp message reaches the webhook as Twilio sends one (whatsapp:
// addresses, ProfileName and WaId, no SMS location fields), signed the same
// way; STOP on WhatsApp opts nobody out at the provider (the business must
// honour it); a reply within 24 hours of the client's message is delivered
// with the same status callbacks as an SMS, and a free-form one later is
// accepted, then fails with 63016; a WhatsApp message from an SMS sender is
// refused (63007).
func TestWhatsApp(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := fixedNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, twiliofake.Config{DeliverStatus: true, Now: clock})
	hook := newWebhook(t, nil)
	waClient, waLine := twiliofake.WhatsApp(client), twiliofake.WhatsApp(line)

	if _, _, err := e.fake.DeliverInbound(ctxFor(t), hook.srv.URL, waClient, waLine, "STOP"); err != nil {
		t.Fatal(err)
	}
	got := hook.next(t)
	if !sms.Valid(e.fake.AuthToken(), hook.srv.URL, got.form, got.header.Get("X-Twilio-Signature")) {
		t.Error("the WhatsApp webhook is not signed")
	}
	for k, want := range map[string]string{"From": waClient, "To": waLine, "WaId": strings.TrimPrefix(client, "+"), "ProfileName": "Sandbox User",
		"MessageType": "text", "FromCountry": "", "FromCity": ""} {
		if v := got.form.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	cb := hook.srv.URL + "/twilio/status"
	sid, err := e.sender.Send(ctxFor(t), sms.Message{From: waLine, To: waClient, Body: "we are here", StatusCallback: cb})
	if err != nil {
		t.Fatalf("a reply on WhatsApp after STOP: %v, want it sent (no provider opt-out on WhatsApp)", err)
	}
	for _, want := range []string{"sent", "delivered"} {
		if got := hook.next(t); got.form.Get("MessageSid") != sid || got.form.Get("MessageStatus") != want || got.form.Get("To") != waClient {
			t.Fatalf("callback %v, want %s for %s", got.form, want, sid)
		}
	}

	mu.Lock()
	now = now.Add(24*time.Hour + time.Second)
	mu.Unlock()
	late, err := e.sender.Send(ctxFor(t), sms.Message{From: waLine, To: waClient, Body: "checking in", StatusCallback: cb})
	if err != nil {
		t.Fatalf("a late free-form message: %v, want accepted (it fails afterwards)", err)
	}
	if got := hook.next(t); got.form.Get("MessageSid") != late || got.form.Get("MessageStatus") != "failed" || got.form.Get("ErrorCode") != "63016" {
		t.Fatalf("late message callback %v, want failed with 63016", got.form)
	}

	var se *sms.SendError
	if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: waClient, Body: "hi"}); !errors.As(err, &se) || se.Code != 63007 || !se.Permanent {
		t.Fatalf("a WhatsApp message from an SMS number: %v, want permanent 63007", err)
	}
}

// The sandbox sends on WhatsApp when asked: from whatsapp: and the number
// typed, to the line's WhatsApp sender; a line without one refuses it.
func TestSandboxSendsOnWhatsApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	hook := newWebhook(t, nil)
	const plain = "+447700900002"
	lines := []twiliofake.SandboxLine{{Name: "Main", Number: line, WhatsApp: twiliofake.WhatsApp(line)}, {Name: "SMS only", Number: plain}}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", e.fake.SandboxHandler(hook.srv.URL+"/twilio/sms", lines)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &sandboxEnv{env: e, hook: hook, srv: srv}
	json := map[string]string{"Accept": "application/json", "Sec-Fetch-Site": "same-origin"}

	resp, body := sandboxPost(t, s, "send", url.Values{"line": {line}, "channel": {"whatsapp"}, "from": {client}, "body": {"hello"}}, json)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("send on WhatsApp: %d %s", resp.StatusCode, body)
	}
	if got := hook.next(t); got.form.Get("From") != twiliofake.WhatsApp(client) || got.form.Get("To") != twiliofake.WhatsApp(line) || got.form.Get("WaId") == "" {
		t.Fatalf("webhook form %v, want WhatsApp addresses", got.form)
	}
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"a line without WhatsApp", url.Values{"line": {plain}, "channel": {"whatsapp"}, "from": {client}, "body": {"hello"}}},
		{"an unknown channel", url.Values{"line": {line}, "channel": {"pigeon"}, "from": {client}, "body": {"hello"}}},
	} {
		if resp, body := sandboxPost(t, s, "send", tt.form, json); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tt.name, resp.StatusCode, body)
		}
	}
	select {
	case <-hook.requests:
		t.Error("a refused send reached the webhook")
	default:
	}
	_, page := get(t, srv.URL+"/sandbox/")
	if !strings.Contains(page, `<select id="channel" name="channel"`) || !strings.Contains(page, `data-whatsapp="whatsapp:`+htmlNumber(line)+`"`) {
		t.Error("the page offers no WhatsApp")
	}
}
