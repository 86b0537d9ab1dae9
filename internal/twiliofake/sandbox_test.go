package twiliofake_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

type sandboxEnv struct {
	*env
	hook *webhookRecorder
	srv  *httptest.Server
}

// newSandbox mounts the sandbox at /sandbox/ as the app does.
func newSandbox(t *testing.T, answer func(http.ResponseWriter)) *sandboxEnv {
	t.Helper()
	e := newEnv(t, twiliofake.Config{})
	hook := newWebhook(t, answer)
	lines := []twiliofake.SandboxLine{{Name: "Main <b>line</b>", Number: line}}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", e.fake.SandboxHandler(hook.srv.URL+"/twilio/sms", lines)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &sandboxEnv{env: e, hook: hook, srv: srv}
}

// htmlNumber is a phone number as html/template writes it ("+" becomes "&#43;").
func htmlNumber(n string) string { return strings.ReplaceAll(n, "+", "&#43;") }

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return read(t, req)
}

// read sends req and returns its response with the whole body read.
func read(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestSandboxPage(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, nil)
	resp, page := get(t, s.srv.URL+"/sandbox/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /sandbox/ = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	for _, want := range []string{
		`<meta name="viewport"`, `<label for="line">`, `<label for="from">`, `<label for="body">`,
		`action="send"`, `src="sandbox.js"`, `href="sandbox.css"`, `role="status"`,
		`Main &lt;b&gt;line&lt;/b&gt; (` + htmlNumber(line) + `)`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if !regexp.MustCompile(`value="&#43;447700900\d{3}"`).MatchString(page) {
		t.Error("from number not prefilled with a drama-range number")
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, `="/`) {
		t.Error("page has absolute links or external assets")
	}
	for _, asset := range []struct{ path, ctype string }{{"sandbox.js", "text/javascript"}, {"sandbox.css", "text/css"}} {
		resp, body := get(t, s.srv.URL+"/sandbox/"+asset.path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), asset.ctype) || body == "" {
			t.Errorf("GET %s = %d %s", asset.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func TestSandboxRedirectsToTrailingSlash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	h := http.StripPrefix("/sandbox", e.fake.SandboxHandler("http://127.0.0.1:1/hook", nil))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sandbox?x=1", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "sandbox/" {
		t.Errorf("GET /sandbox = %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestSandboxEscapesMessages(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, nil)
	const xss = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	if _, err := s.sender.Send(ctxFor(t), sms.Message{From: line, To: client, Body: xss}); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, s.srv.URL+"/sandbox/")
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img") {
		t.Fatal("message body rendered unescaped")
	}
	if !strings.Contains(page, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;`) {
		t.Error("escaped body not shown")
	}
	// The JSON list carries it as data; sandbox.js only ever uses textContent.
	resp, body := get(t, s.srv.URL+"/sandbox/messages")
	var msgs []twiliofake.SentMessage
	if err := json.Unmarshal([]byte(body), &msgs); err != nil || len(msgs) != 1 || msgs[0].Body != xss {
		t.Errorf("messages JSON %s: %v", body, err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("messages content type %q", resp.Header.Get("Content-Type"))
	}
}

func sandboxPost(t *testing.T, s *sandboxEnv, path string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/sandbox/"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return read(t, req)
}

func TestSandboxSendPostsSignedWebhook(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok <b>"))
	})
	form := url.Values{"line": {line}, "from": {client}, "body": {"can anyone hear me"}}
	resp, body := sandboxPost(t, s, "send", form, map[string]string{"Accept": "application/json", "Sec-Fetch-Site": "same-origin", "Origin": s.srv.URL})
	var res map[string]any
	if err := json.Unmarshal([]byte(body), &res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("send = %d %s", resp.StatusCode, body)
	}
	if res["status"] != 200.0 || res["answer"] != "ok <b>" || !sidPattern.MatchString(res["message_sid"].(string)) {
		t.Errorf("result %v", res)
	}
	got := s.hook.next(t)
	if !sms.Valid(s.fake.AuthToken(), s.hook.srv.URL+"/twilio/sms", got.form, got.header.Get("X-Twilio-Signature")) {
		t.Error("webhook signature invalid")
	}
	if got.form.Get("From") != client || got.form.Get("To") != line || got.form.Get("Body") != "can anyone hear me" {
		t.Errorf("webhook form %v", got.form)
	}

	// Without JavaScript: the page comes back with the (escaped) result.
	resp, page := sandboxPost(t, s, "send", form, map[string]string{"Sec-Fetch-Site": "same-origin"})
	s.hook.next(t)
	if resp.StatusCode != 200 || !strings.Contains(page, "Webhook answered <strong>200 OK</strong>") || !strings.Contains(page, "<pre>ok &lt;b&gt;</pre>") {
		t.Errorf("no-JS result page %d: %s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `value="`+htmlNumber(client)+`"`) {
		t.Error("from number not kept for the next message")
	}
}

func TestSandboxSendRefusals(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, nil)
	ok := url.Values{"line": {line}, "from": {client}, "body": {"hi"}}
	tests := []struct {
		name   string
		form   url.Values
		header map[string]string
		want   int
	}{
		{"cross-site fetch", ok, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other origin", ok, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"unknown line", url.Values{"line": {"+15550000000"}, "from": {client}, "body": {"hi"}}, nil, http.StatusBadRequest},
		{"bad from", url.Values{"line": {line}, "from": {"07700 900123"}, "body": {"hi"}}, nil, http.StatusBadRequest},
		{"empty body", url.Values{"line": {line}, "from": {client}, "body": {"  "}}, nil, http.StatusBadRequest},
		{"too long", url.Values{"line": {line}, "from": {client}, "body": {strings.Repeat("é", 1601)}}, nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		resp, _ := sandboxPost(t, s, "send", tt.form, tt.header)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	select {
	case <-s.hook.requests:
		t.Error("a refused send reached the webhook")
	default:
	}
}

func TestSandboxEventsStreamSentMessages(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, nil)
	req, _ := http.NewRequestWithContext(ctxFor(t), http.MethodGet, s.srv.URL+"/sandbox/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() && lines.Text() != ": connected" {
	}
	// Subscribed once the greeting arrived: now send.
	sid, err := s.sender.Send(ctxFor(t), sms.Message{From: line, To: worker, Body: "New client on the main line"})
	if err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		var u twiliofake.Update
		if err := json.Unmarshal([]byte(data), &u); err != nil || u.Message == nil || u.Call != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if m := *u.Message; m.SID != sid || m.To != worker || m.Body != "New client on the main line" || m.Status != "queued" {
			t.Errorf("event %+v", m)
		}
		return
	}
	t.Fatalf("stream ended without the message: %v", lines.Err())
}

// TestSandboxCalls: a call to a staff phone is shown with what it says
// (escaped), listed as JSON, and answered with a key press from the page.
func TestSandboxCalls(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, nil)
	hook := newGatherHook(t, s.fake.AuthToken(), answerAsHelpline(t))
	doc, err := sms.Voice{}.PageTwiML(sms.PageCall{PublicURL: hook.srv.URL, PageID: "p1", LineName: `Main <b>line</b>`, Reason: "crisis", Pseudonym: "C-7Q2K9A"})
	if err != nil {
		t.Fatal(err)
	}
	sid, err := s.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.Status == "in-progress" }); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, s.srv.URL+"/sandbox/")
	for _, want := range []string{
		`Helpline page for Main &lt;b&gt;line&lt;/b&gt;. Reason: crisis.`, `<span class="to">` + htmlNumber(worker) + `</span>`,
		`<input type="hidden" name="call" value="` + sid + `">`, `<button type="submit">Press 1</button>`, `<button type="submit">Press 2</button>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<b>line") || strings.Contains(page, hook.srv.URL) {
		t.Error("page shows the call unescaped, or its gather URL")
	}
	_, body := get(t, s.srv.URL+"/sandbox/calls")
	var calls []twiliofake.Call
	if err := json.Unmarshal([]byte(body), &calls); err != nil || len(calls) != 1 || calls[0].SID != sid || calls[0].TwiML != doc {
		t.Errorf("calls JSON %s: %v", body, err)
	}

	same := map[string]string{"Accept": "application/json", "Sec-Fetch-Site": "same-origin"}
	if resp, _ := sandboxPost(t, s, "press", url.Values{"call": {sid}, "digits": {"1"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site press = %d", resp.StatusCode)
	}
	if resp, _ := sandboxPost(t, s, "press", url.Values{"call": {sid}, "digits": {"x"}}, same); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("press x = %d", resp.StatusCode)
	}
	resp, body := sandboxPost(t, s, "press", url.Values{"call": {sid}, "digits": {"1"}}, same)
	var res map[string]any
	if err := json.Unmarshal([]byte(body), &res); err != nil || resp.StatusCode != 200 || res["status"] != 200.0 || res["call_sid"] != sid ||
		!strings.Contains(res["answer"].(string), "Acknowledged. Thank you.") {
		t.Fatalf("press 1 = %d %s", resp.StatusCode, body)
	}
	if g := hook.next(t); g.err != nil || g.gather.Reply() != sms.ReplyAcknowledge {
		t.Errorf("gather %+v", g)
	}
	if resp, _ := sandboxPost(t, s, "press", url.Values{"call": {sid}, "digits": {"2"}}, same); resp.StatusCode != http.StatusConflict {
		t.Errorf("press on an ended call = %d", resp.StatusCode)
	}
}

// TestSandboxListsAreEmptyArraysBeforeTheFirst: before anything was sent
// or called, the sandbox's lists are [] (its contract's array), not null.
func TestSandboxListsAreEmptyArraysBeforeTheFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	h := http.StripPrefix("/sandbox", e.fake.SandboxHandler("http://127.0.0.1:1/hook", nil))
	for _, path := range []string{"/sandbox/messages", "/sandbox/calls"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if body := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || body != "[]" {
			t.Errorf("GET %s = %d %q, want 200 []", path, rec.Code, body)
		}
	}
}
