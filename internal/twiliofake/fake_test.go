package twiliofake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	twilioclient "github.com/twilio/twilio-go/client"

	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

const (
	line   = "+447700900001"
	client = "+447700900123"
	worker = "+447700900555"
)

var (
	sidPattern = regexp.MustCompile(`^SM[0-9a-f]{32}$`)
	fixedNow   = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
)

type env struct {
	fake   *twiliofake.Fake
	api    *httptest.Server
	sender *sms.Sender
	logs   *logtest.Buffer
}

func newEnv(t *testing.T, cfg twiliofake.Config) *env {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	logs := &logtest.Buffer{}
	f := twiliofake.New(cfg, zerolog.New(logs))
	api := httptest.NewServer(f)
	t.Cleanup(api.Close)
	t.Cleanup(func() { f.Close() })
	s, err := sms.NewSender(sms.Config{AccountSID: f.AccountSID(), AuthToken: f.AuthToken(), APIURL: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: f, api: api, sender: s, logs: logs}
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSendIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	sid, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "You're through to the helpline.", StatusCallback: "https://h.example/status"})
	if err != nil {
		t.Fatal(err)
	}
	if !sidPattern.MatchString(sid) {
		t.Errorf("sid %q is not SM + 32 hex", sid)
	}
	sent := e.fake.Sent()
	want := twiliofake.SentMessage{
		SID: sid, AccountSID: e.fake.AccountSID(), From: line, To: client,
		Body: "You're through to the helpline.", StatusCallback: "https://h.example/status",
		Status: "queued", NumSegments: 1, SentAt: fixedNow,
	}
	if len(sent) != 1 || sent[0] != want {
		t.Errorf("Sent() = %+v, want [%+v]", sent, want)
	}
	if logs := e.logs.String(); strings.Contains(logs, client) || strings.Contains(logs, line) || strings.Contains(logs, "helpline.") || !strings.Contains(logs, sid) {
		t.Errorf("logs leak numbers or bodies, or miss the SID: %s", logs)
	}
}

func TestMessageResourceShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	form := url.Values{"From": {line}, "To": {client}, "Body": {"hi"}}
	req, _ := http.NewRequest(http.MethodPost, e.api.URL+"/2010-04-01/Accounts/"+e.fake.AccountSID()+"/Messages.json", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.fake.AccountSID(), e.fake.AuthToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for k, want := range map[string]any{
		"status": "queued", "direction": "outbound-api", "api_version": "2010-04-01", "from": line, "to": client,
		"body": "hi", "num_segments": "1", "num_media": "0", "date_created": "Wed, 04 Mar 2026 05:06:07 +0000",
		"error_code": nil, "price": nil, "date_sent": nil, "account_sid": e.fake.AccountSID(),
	} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	sid, _ := got["sid"].(string)
	if !sidPattern.MatchString(sid) || got["uri"] != "/2010-04-01/Accounts/"+e.fake.AccountSID()+"/Messages/"+sid+".json" {
		t.Errorf("sid %v, uri %v", got["sid"], got["uri"])
	}
}

func TestThrottledThenAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	e.fake.FailNext(1, http.StatusTooManyRequests, 0)
	e.fake.FailNext(1, http.StatusInternalServerError, 0)
	m := sms.Message{From: line, To: client, Body: "hello"}
	for _, wantStatus := range []int{429, 500} {
		_, err := e.sender.Send(ctxFor(t), m)
		var se *sms.SendError
		if !errors.As(err, &se) || se.Status != wantStatus || !sms.IsRetryable(err) {
			t.Fatalf("err = %v, want retryable %d", err, wantStatus)
		}
	}
	if _, err := e.sender.Send(ctxFor(t), m); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if n := len(e.fake.Sent()); n != 1 {
		t.Errorf("%d messages recorded, want 1", n)
	}
}

func TestPermanentFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(*twiliofake.Fake)
		to, body string
		want     error
		code     int
	}{
		{"opted out", func(f *twiliofake.Fake) { f.OptOut(client) }, client, "hi", sms.ErrOptedOut, 21610},
		{"injected 21610", func(f *twiliofake.Fake) { f.FailNext(1, 400, 21610) }, client, "hi", sms.ErrOptedOut, 21610},
		{"injected 21614", func(f *twiliofake.Fake) { f.FailNext(1, 400, 21614) }, client, "hi", sms.ErrNotMobile, 21614},
		{"invalid number", func(*twiliofake.Fake) {}, "12345", "hi", sms.ErrInvalidNumber, 21211},
		{"too long", func(*twiliofake.Fake) {}, client, strings.Repeat("a", 1601), nil, 21617},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, twiliofake.Config{})
			tt.setup(e.fake)
			_, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: tt.to, Body: tt.body})
			var se *sms.SendError
			if !errors.As(err, &se) || se.Status != 400 || se.Code != tt.code || !se.Permanent || sms.IsRetryable(err) {
				t.Fatalf("err = %#v, want permanent 400/%d", err, tt.code)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(err, %v) = false", tt.want)
			}
			var rest *twilioclient.TwilioRestError
			if !errors.As(err, &rest) || rest.MoreInfo == "" || rest.Message == "" {
				t.Errorf("twilio-go did not decode Twilio's error shape: %#v", rest)
			}
			if len(e.fake.Sent()) != 0 {
				t.Error("a refused message was recorded")
			}
		})
	}
}

func TestOptInAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	e.fake.OptOut(client)
	e.fake.OptIn(client)
	if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	bad, err := sms.NewSender(sms.Config{AccountSID: e.fake.AccountSID(), AuthToken: "wrong", APIURL: e.api.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "hi"})
	var se *sms.SendError
	if !errors.As(err, &se) || se.Status != 401 || se.Code != 20003 || !errors.Is(err, sms.ErrUnauthorized) || sms.IsRetryable(err) {
		t.Fatalf("err = %v, want permanent 401/20003", err)
	}
	if len(e.fake.Sent()) != 0 {
		t.Error("message recorded despite wrong credentials")
	}

	// The raw answer, as Twilio gives it.
	resp, err := http.Post(e.api.URL+"/2010-04-01/Accounts/"+e.fake.AccountSID()+"/Messages.json", "application/x-www-form-urlencoded", strings.NewReader("To=%2B1"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 401 || body["code"] != 20003.0 || body["status"] != 401.0 || body["more_info"] != "https://www.twilio.com/docs/errors/20003" || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("answer %d %v %v", resp.StatusCode, body, resp.Header)
	}
}

func TestFetchMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	sid, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"/Messages/" + sid + ".json":                        200,
		"/Messages/" + sid:                                  404,
		"/Messages/SM00000000000000000000000000000000.json": 404,
	} {
		if code, _ := getAPI(t, e, path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
}

// webhookRecorder is a webhook endpoint that keeps what it received.
type webhookRecorder struct {
	srv      *httptest.Server
	requests chan recorded
	answer   func(w http.ResponseWriter)
}

type recorded struct {
	form   url.Values
	header http.Header
	body   []byte
}

func newWebhook(t *testing.T, answer func(w http.ResponseWriter)) *webhookRecorder {
	t.Helper()
	wr := &webhookRecorder{requests: make(chan recorded, 16), answer: answer}
	wr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		wr.requests <- recorded{form: form, header: r.Header.Clone(), body: body}
		if wr.answer != nil {
			wr.answer(w)
		}
	}))
	t.Cleanup(wr.srv.Close)
	return wr
}

func (wr *webhookRecorder) next(t *testing.T) recorded {
	t.Helper()
	return receive(t, wr.requests, "webhook call")
}

// receive returns the next value from ch, failing the test after 10 s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		var zero T
		return zero
	}
}

func TestInboundWebhookIsSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{MessagingServiceSID: "MG0123456789abcdef0123456789abcdef"})
	hook := newWebhook(t, nil)
	hookURL := hook.srv.URL + "/twilio/sms?line=main"

	sid, resp, err := e.fake.DeliverInbound(ctxFor(t), hookURL, client, line, "I need to talk to someone")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !sidPattern.MatchString(sid) {
		t.Fatalf("status %d, sid %q", resp.StatusCode, sid)
	}
	got := hook.next(t)
	sig := got.header.Get("X-Twilio-Signature")
	if !sms.Valid(e.fake.AuthToken(), hookURL, got.form, sig) {
		t.Error("sms.Valid rejected the inbound webhook")
	}
	v := twilioclient.NewRequestValidator(e.fake.AuthToken())
	if !v.ValidateBody(hookURL, got.body, sig) {
		t.Error("twilio-go ValidateBody rejected the inbound webhook")
	}
	if sms.Valid("otherToken", hookURL, got.form, sig) || sms.Valid(e.fake.AuthToken(), hook.srv.URL+"/twilio/sms", got.form, sig) {
		t.Error("signature accepted with another token or URL")
	}
	for k, want := range map[string]string{
		"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": e.fake.AccountSID(),
		"MessagingServiceSid": "MG0123456789abcdef0123456789abcdef", "From": client, "To": line,
		"Body": "I need to talk to someone", "NumMedia": "0", "NumSegments": "1", "FromCountry": "GB",
		"SmsStatus": "received", "ApiVersion": "2010-04-01",
	} {
		if v := got.form.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}

	// Twilio's retry: same SID, same idempotency token, still signed.
	if _, err := e.fake.DeliverInboundWithSid(ctxFor(t), hookURL, sid, client, line, "I need to talk to someone"); err != nil {
		t.Fatal(err)
	}
	again := hook.next(t)
	if again.form.Get("MessageSid") != sid || again.header.Get("I-Twilio-Idempotency-Token") != got.header.Get("I-Twilio-Idempotency-Token") || again.header.Get("I-Twilio-Idempotency-Token") == "" {
		t.Error("the replay differs in SID or idempotency token")
	}
	if !sms.Valid(e.fake.AuthToken(), hookURL, again.form, again.header.Get("X-Twilio-Signature")) {
		t.Error("replay not signed")
	}
	if strings.Contains(e.logs.String(), client) || strings.Contains(e.logs.String(), "talk to someone") {
		t.Error("logs leak the number or body")
	}
}

func TestStopKeywordOptsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	hook := newWebhook(t, nil)
	m := sms.Message{From: line, To: client, Body: "are you ok?"}
	if _, _, err := e.fake.DeliverInbound(ctxFor(t), hook.srv.URL, client, line, " Stop "); err != nil {
		t.Fatal(err)
	}
	if hook.next(t).form.Get("Body") != " Stop " {
		t.Error("STOP did not reach the webhook")
	}
	if _, err := e.sender.Send(ctxFor(t), m); !errors.Is(err, sms.ErrOptedOut) {
		t.Fatalf("after STOP: %v", err)
	}
	if _, _, err := e.fake.DeliverInbound(ctxFor(t), hook.srv.URL, client, line, "START"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sender.Send(ctxFor(t), m); err != nil {
		t.Fatalf("after START: %v", err)
	}
}

func TestTwiMLReplyIsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	hook := newWebhook(t, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, someone will reply soon.</Message><Message to="` + worker + `"><Body>New client waiting</Body></Message></Response>`))
	})
	if _, _, err := e.fake.DeliverInbound(ctxFor(t), hook.srv.URL, client, line, "hello"); err != nil {
		t.Fatal(err)
	}
	sent := e.fake.Sent()
	if len(sent) != 2 ||
		sent[0].To != client || sent[0].From != line || sent[0].Body != "Thanks, someone will reply soon." || !sent[0].ViaTwiML ||
		sent[1].To != worker || sent[1].Body != "New client waiting" {
		t.Errorf("Sent() = %+v", sent)
	}
}

func TestStatusCallbacksAreSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{DeliverStatus: true})
	hook := newWebhook(t, nil)
	cb := hook.srv.URL + "/twilio/status?m=1"
	sid, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "hi", StatusCallback: cb})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sent", "delivered"} {
		got := hook.next(t)
		if !sms.Valid(e.fake.AuthToken(), cb, got.form, got.header.Get("X-Twilio-Signature")) {
			t.Errorf("%s callback: bad signature", want)
		}
		for k, v := range map[string]string{"MessageSid": sid, "MessageStatus": want, "SmsStatus": want, "AccountSid": e.fake.AccountSID(), "From": line, "To": client} {
			if got.form.Get(k) != v {
				t.Errorf("%s callback: %s = %q, want %q", want, k, got.form.Get(k), v)
			}
		}
	}
	m, err := e.fake.WaitFor(ctxFor(t), func(m twiliofake.SentMessage) bool { return m.SID == sid && m.Status == "delivered" })
	if err != nil || m.SID != sid {
		t.Fatalf("WaitFor delivered: %v", err)
	}
}

func TestNoStatusChangesWithoutDeliverStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	hook := newWebhook(t, nil)
	if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "hi", StatusCallback: hook.srv.URL}); err != nil {
		t.Fatal(err)
	}
	e.fake.Close() // no workers to wait for; Close must still return
	select {
	case <-hook.requests:
		t.Error("status callback without DeliverStatus")
	default:
	}
	if e.fake.Sent()[0].Status != "queued" {
		t.Error("status changed without DeliverStatus")
	}
}

func TestWaitForAndSubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	events, cancel := e.fake.Subscribe()
	defer cancel()

	found := make(chan twiliofake.SentMessage, 1)
	go func() {
		m, err := e.fake.WaitFor(ctxFor(t), func(m twiliofake.SentMessage) bool { return m.To == worker })
		if err != nil {
			t.Error(err)
		}
		found <- m
	}()
	for _, to := range []string{client, worker} {
		if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: to, Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if m := <-found; m.To != worker {
		t.Errorf("WaitFor returned %+v", m)
	}
	for _, want := range []string{client, worker} {
		if m := <-events; m.To != want {
			t.Errorf("subscription got %s, want %s", m.To, want)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	stop()
	if _, err := e.fake.WaitFor(ctx, func(twiliofake.SentMessage) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor on a cancelled context = %v", err)
	}

	e.fake.Close()
	if _, ok := <-events; ok {
		t.Error("subscription still open after Close")
	}
	cancel() // after Close: must not panic
}

func TestSlowSubscriberIsCutOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	events, cancel := e.fake.Subscribe()
	defer cancel()
	for range 100 {
		if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for range events {
		n++
	}
	if n == 0 || n >= 100 {
		t.Errorf("slow subscriber got %d events before being cut off", n)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg   twiliofake.Config
		valid bool
	}{
		{twiliofake.Config{}, true},
		{twiliofake.Config{AccountSID: "AC1", AuthToken: "abc"}, true},
		{twiliofake.Config{AuthToken: "a-b"}, false},
		{twiliofake.Config{CallbackQueue: -1}, false},
	} {
		if err := tt.cfg.Validate(); (err == nil) != tt.valid {
			t.Errorf("Validate(%+v) = %v", tt.cfg, err)
		}
	}
}

// TestUndeliveredMessages: a message to a number set with FailDeliveries
// ends undelivered (after sent) or failed, with the error code in its status
// callback and its resource, with or without DeliverStatus.
func TestUndeliveredMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status  string
		code    int
		deliver bool
		want    []sms.MessageStatus
	}{
		{"undelivered", sms.CodeUnreachable, true, []sms.MessageStatus{sms.MessageSent, sms.MessageUndelivered}},
		{"undelivered", sms.CodeUnreachable, false, []sms.MessageStatus{sms.MessageSent, sms.MessageUndelivered}},
		{"failed", sms.CodeUnknownDestination, true, []sms.MessageStatus{sms.MessageFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, twiliofake.Config{DeliverStatus: tt.deliver})
			if err := e.fake.FailDeliveries(worker, tt.status, tt.code); err != nil {
				t.Fatal(err)
			}
			hook := newWebhook(t, nil)
			cb := hook.srv.URL + "/twilio/status?c=conv1"
			sid, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "Helpline page", StatusCallback: cb})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				got := hook.next(t)
				if !sms.Valid(e.fake.AuthToken(), cb, got.form, got.header.Get(sms.SignatureHeader)) {
					t.Errorf("callback %d: bad signature", i)
				}
				st, err := sms.ParseMessageStatus(got.form)
				wantCode := 0
				if want.Failed() {
					wantCode = tt.code
				}
				if err != nil || st.MessageSid != sid || st.Status != want || st.ErrorCode != wantCode {
					t.Errorf("callback %d: %+v, %v; want %s with code %d", i, st, err, want, wantCode)
				}
			}
			m, err := e.fake.WaitFor(ctxFor(t), func(m twiliofake.SentMessage) bool { return m.SID == sid && m.Status == tt.status })
			if err != nil || m.ErrorCode != tt.code {
				t.Fatalf("message %+v, %v", m, err)
			}
			status, body := getAPI(t, e, "/Messages/"+sid+".json")
			if status != 200 || body["status"] != tt.status || body["error_code"] != float64(tt.code) || body["error_message"] == "" {
				t.Errorf("GET message = %d %v", status, body)
			}

			// Undone, the next message to the number is delivered (or, without
			// DeliverStatus, stays queued).
			if err := e.fake.FailDeliveries(worker, "", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := e.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "again", StatusCallback: cb}); err != nil {
				t.Fatal(err)
			}
			if tt.deliver {
				if st, _ := sms.ParseMessageStatus(hook.next(t).form); st.Status != sms.MessageSent {
					t.Errorf("after FailDeliveries undone: %+v", st)
				}
			}
		})
	}
	e := newEnv(t, twiliofake.Config{})
	if err := e.fake.FailDeliveries(worker, "busy", 0); err == nil {
		t.Error("FailDeliveries accepted a call status")
	}
}
