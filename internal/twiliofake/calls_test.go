package twiliofake_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	twilioclient "github.com/twilio/twilio-go/client"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

var callSidPattern = regexp.MustCompile(`^CA[0-9a-f]{32}$`)

// gatherHook stands in for the helpline's gather webhook: it checks each key
// press as the ingestion port will (SignedURL, VerifyGather) and answers 403,
// 400 or the TwiML answer gives.
type gatherHook struct {
	srv      *httptest.Server
	token    string
	requests chan gatherRequest
}

type gatherRequest struct {
	signedURL string
	form      url.Values
	signature string
	gather    sms.Gather
	err       error
}

func newGatherHook(t *testing.T, token string, answer func(public string, g sms.Gather) string) *gatherHook {
	t.Helper()
	h := &gatherHook{token: token, requests: make(chan gatherRequest, 16)}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		req := gatherRequest{signedURL: sms.SignedURL(h.srv.URL, sms.GatherPath, r), form: r.PostForm, signature: r.Header.Get(sms.SignatureHeader)}
		req.gather, req.err = sms.VerifyGather(token, req.signedURL, r.PostForm, req.signature)
		h.requests <- req
		switch {
		case errors.Is(req.err, sms.ErrBadSignature):
			http.Error(w, "bad signature", http.StatusForbidden)
		case req.err != nil:
			http.Error(w, "malformed", http.StatusBadRequest)
		default:
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			io.WriteString(w, answer(h.srv.URL, req.gather))
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *gatherHook) next(t *testing.T) gatherRequest {
	t.Helper()
	return receive(t, h.requests, "gather webhook call")
}

// answerAsHelpline answers 1 and 2 with a confirmation and anything else with
// the instruction again, as the helpline's handler will.
func answerAsHelpline(t *testing.T) func(public string, g sms.Gather) string {
	v := sms.Voice{}
	texts, err := v.FilledTexts()
	if err != nil {
		t.Fatal(err)
	}
	return func(public string, g sms.Gather) string {
		var doc string
		var err error
		switch g.Reply() {
		case sms.ReplyAcknowledge:
			doc, err = v.SayTwiML(texts.Acknowledged)
		case sms.ReplyDecline:
			doc, err = v.SayTwiML(texts.Declined)
		default:
			doc, err = v.RepromptTwiML(public, g.PageID)
		}
		if err != nil {
			t.Error(err)
		}
		return doc
	}
}

func pageCall(t *testing.T, public, pageID string) string {
	t.Helper()
	doc, err := sms.Voice{}.PageTwiML(sms.PageCall{PublicURL: public, PageID: pageID, LineName: "Main line", Reason: "crisis", Pseudonym: "C-7Q2K9A"})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

const pageSaid = "Helpline page for Main line. Reason: crisis. Client C 7 Q 2 K 9 A. Press 1 to acknowledge, 2 if you cannot take it."

func TestCallReachesFakeWithTwiML(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	status := newWebhook(t, nil)
	doc := pageCall(t, "https://helpline.example", "esc1.r1l0.sam")
	cb := status.srv.URL + "/twilio/voice/status?c=conv1"
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: doc, StatusCallback: cb})
	if err != nil {
		t.Fatal(err)
	}
	if !callSidPattern.MatchString(sid) {
		t.Errorf("sid %q is not CA + 32 hex", sid)
	}
	c, err := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.Status == "in-progress" })
	if err != nil {
		t.Fatal(err)
	}
	if c.TwiML != doc || c.From != line || c.To != worker || c.RingTimeout != 25 || c.StatusCallback != cb ||
		!slices.Equal(c.StatusCallbackEvents, sms.DefaultCallEvents) || c.CreatedAt != fixedNow {
		t.Errorf("call %+v", c)
	}
	if !slices.Equal(c.Said, []string{pageSaid, "No key was pressed. The page is still open. Goodbye."}) ||
		c.GatherAction != "https://helpline.example/twilio/voice/gather?page=esc1.r1l0.sam" {
		t.Errorf("said %q, gather action %q", c.Said, c.GatherAction)
	}
	// Asked for ringing, answered and completed: ringing and in-progress so far.
	for _, want := range []sms.CallStatus{sms.CallRinging, sms.CallInProgress} {
		got := status.next(t)
		if !sms.Valid(e.fake.AuthToken(), cb, got.form, got.header.Get(sms.SignatureHeader)) {
			t.Errorf("%s callback: bad signature", want)
		}
		st, err := sms.ParseCallStatus(got.form)
		if err != nil || st.CallSid != sid || st.Status != want {
			t.Errorf("callback %+v, %v; want %s", st, err, want)
		}
		if got.form.Get("CallbackSource") != "call-progress-events" || got.form.Get("To") != worker || got.form.Get("Direction") != "outbound-api" {
			t.Errorf("callback form %v", got.form)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, worker) || strings.Contains(logs, "Main line") || !strings.Contains(logs, sid) {
		t.Errorf("logs leak numbers or what the call says, or miss the SID: %s", logs)
	}
}

func TestPressKeyPostsSignedGather(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	hook := newGatherHook(t, e.fake.AuthToken(), answerAsHelpline(t))
	status := newWebhook(t, nil)
	cb := status.srv.URL + "/twilio/voice/status"
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: pageCall(t, hook.srv.URL, "esc1.r1l0.sam"),
		StatusCallback: cb, StatusCallbackEvents: []string{sms.EventCompleted}})
	if err != nil {
		t.Fatal(err)
	}

	resp, err := e.fake.PressKey(ctxFor(t), sid, "1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("gather webhook answered %d", resp.StatusCode)
	}
	got := hook.next(t)
	if got.err != nil {
		t.Fatalf("the helpline's validator refused the fake's gather: %v", got.err)
	}
	want := sms.Gather{PageID: "esc1.r1l0.sam", Digits: "1", CallSid: sid, From: line, To: worker, CallStatus: sms.CallInProgress}
	if got.gather != want || got.gather.Reply() != sms.ReplyAcknowledge {
		t.Errorf("gather %+v, want %+v", got.gather, want)
	}
	// twilio-go's own validator agrees, over the raw body.
	if v := twilioclient.NewRequestValidator(e.fake.AuthToken()); !v.ValidateBody(got.signedURL, []byte(got.form.Encode()), got.signature) {
		t.Error("twilio-go ValidateBody rejected the gather")
	}

	// Tampered: another key, another page, another call, another URL.
	tamper := map[string]func(r *gatherRequest){
		"digits":   func(r *gatherRequest) { r.form.Set("Digits", "2") },
		"page":     func(r *gatherRequest) { r.signedURL = strings.Replace(r.signedURL, "esc1", "esc2", 1) },
		"call":     func(r *gatherRequest) { r.form.Set("CallSid", otherSid(sid)) },
		"host":     func(r *gatherRequest) { r.signedURL = strings.Replace(r.signedURL, "127.0.0.1", "localhost", 1) },
		"no token": func(r *gatherRequest) { r.signature = sms.Sign("otherToken", r.signedURL, r.form) },
	}
	for name, change := range tamper {
		r := got
		r.form = url.Values{}
		for k, vs := range got.form {
			r.form[k] = slices.Clone(vs)
		}
		change(&r)
		if _, err := sms.VerifyGather(e.fake.AuthToken(), r.signedURL, r.form, r.signature); !errors.Is(err, sms.ErrBadSignature) {
			t.Errorf("tampered %s: err = %v, want ErrBadSignature", name, err)
		}
	}

	// The answer was said, and the call is over.
	c, err := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.Status == "completed" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Presses) != 1 || c.Presses[0].Digits != "1" || c.Presses[0].HTTPStatus != 200 ||
		!slices.Equal(c.Presses[0].Said, []string{"Acknowledged. Thank you."}) || c.GatherAction != "" {
		t.Errorf("call after the key press: %+v", c)
	}
	st, err := sms.ParseCallStatus(status.next(t).form)
	if err != nil || st.Status != sms.CallCompleted || st.Status.Refused() {
		t.Errorf("completed callback %+v, %v", st, err)
	}
	if _, err := e.fake.PressKey(ctxFor(t), sid, "1"); !errors.Is(err, twiliofake.ErrCallEnded) {
		t.Errorf("press on a completed call: %v", err)
	}
}

func TestPressKeyOtherKeyGathersAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	hook := newGatherHook(t, e.fake.AuthToken(), answerAsHelpline(t))
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: pageCall(t, hook.srv.URL, "p1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.PressKey(ctxFor(t), sid, "9"); err != nil {
		t.Fatal(err)
	}
	if g := hook.next(t); g.err != nil || g.gather.Reply() != sms.ReplyOther {
		t.Fatalf("gather %+v", g)
	}
	c, _ := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && len(c.Presses) == 1 })
	if c.Status != "in-progress" || c.GatherAction != hook.srv.URL+"/twilio/voice/gather?page=p1" ||
		!strings.HasPrefix(c.Presses[0].Said[0], "That key does nothing.") {
		t.Fatalf("after 9: %+v", c)
	}
	if _, err := e.fake.PressKey(ctxFor(t), sid, "2"); err != nil {
		t.Fatal(err)
	}
	if g := hook.next(t); g.err != nil || g.gather.Reply() != sms.ReplyDecline || g.gather.PageID != "p1" {
		t.Fatalf("second gather %+v", g)
	}
	c, _ = e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.Status == "completed" })
	if len(c.Presses) != 2 || c.Presses[1].Said[0] != "Declined. The next person on call is being paged." {
		t.Errorf("after 2: %+v", c)
	}
}

func TestPressKeyRefusedGatherEndsCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	// A helpline with another token refuses the fake's signature.
	hook := newGatherHook(t, "someOtherToken", func(string, sms.Gather) string { return "" })
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: pageCall(t, hook.srv.URL, "p1")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.fake.PressKey(ctxFor(t), sid, "1")
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("PressKey = %v, %v; want the 403", resp, err)
	}
	if g := hook.next(t); !errors.Is(g.err, sms.ErrBadSignature) {
		t.Errorf("validator with another token: %v", g.err)
	}
	c, _ := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.Status == "completed" })
	if c.ErrorCode != 11200 || c.Presses[0].HTTPStatus != http.StatusForbidden {
		t.Errorf("call %+v", c)
	}
}

func TestPressKeyErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	if _, err := e.fake.PressKey(ctxFor(t), "CA00000000000000000000000000000000", "1"); !errors.Is(err, twiliofake.ErrNoSuchCall) {
		t.Errorf("unknown call: %v", err)
	}
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: `<Response><Say>Hello.</Say></Response>`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.PressKey(ctxFor(t), sid, "one"); err == nil {
		t.Error("pressed a key that is not one")
	}
	// A call that gathers nothing says its piece and completes.
	c, err := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.Status == "completed" })
	if err != nil || !slices.Equal(c.Said, []string{"Hello."}) {
		t.Fatalf("call %+v, %v", c, err)
	}
	if _, err := e.fake.PressKey(ctxFor(t), sid, "1"); !errors.Is(err, twiliofake.ErrCallEnded) {
		t.Errorf("press on a completed call: %v", err)
	}
	if err := e.fake.Hangup(sid); !errors.Is(err, twiliofake.ErrCallEnded) {
		t.Errorf("hang up a completed call: %v", err)
	}
}

func TestHangupUnansweredPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	status := newWebhook(t, nil)
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: pageCall(t, "https://h.example", "p1"),
		StatusCallback: status.srv.URL, StatusCallbackEvents: []string{sms.EventCompleted}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.Status == "in-progress" }); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.Hangup(sid); err != nil {
		t.Fatal(err)
	}
	if st, err := sms.ParseCallStatus(status.next(t).form); err != nil || st.Status != sms.CallCompleted {
		t.Errorf("callback %+v, %v", st, err)
	}
}

// TestCallOutcomes: a call to a number set with FailCalls ends as set, and
// its status callbacks say so, with the error code.
func TestCallOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string
		code   int
		want   []sms.CallStatus
	}{
		{"no-answer", 0, []sms.CallStatus{sms.CallInitiated, sms.CallRinging, sms.CallNoAnswer}},
		{"busy", 0, []sms.CallStatus{sms.CallInitiated, sms.CallBusy}},
		{"failed", 13224, []sms.CallStatus{sms.CallInitiated, sms.CallFailed}},
		{"canceled", 0, []sms.CallStatus{sms.CallInitiated, sms.CallCanceled}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, twiliofake.Config{})
			if err := e.fake.FailCalls(worker, tt.status, tt.code); err != nil {
				t.Fatal(err)
			}
			status := newWebhook(t, nil)
			sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: pageCall(t, "https://h.example", "p1"),
				StatusCallback: status.srv.URL, StatusCallbackEvents: []string{sms.EventInitiated, sms.EventRinging, sms.EventAnswered, sms.EventCompleted}})
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				st, err := sms.ParseCallStatus(status.next(t).form)
				if err != nil || st.CallSid != sid || st.Status != want {
					t.Fatalf("callback %d: %+v, %v; want %s", i, st, err, want)
				}
				if last := i == len(tt.want)-1; last && (!st.Status.Refused() || st.ErrorCode != tt.code) {
					t.Errorf("last callback %+v: want a refusal with code %d", st, tt.code)
				}
			}
			if _, err := e.fake.PressKey(ctxFor(t), sid, "1"); !errors.Is(err, twiliofake.ErrCallEnded) {
				t.Errorf("press on an unanswered call: %v", err)
			}
		})
	}
	e := newEnv(t, twiliofake.Config{})
	if err := e.fake.FailCalls(worker, "undelivered", 0); err == nil {
		t.Error("FailCalls accepted a message status")
	}
}

func TestCallTwiMLFromURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	doc := pageCall(t, "https://helpline.example", "p1")
	twiml := newWebhook(t, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, doc)
	})
	u := twiml.srv.URL + "/twilio/voice/page?page=p1"
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, URL: u})
	if err != nil {
		t.Fatal(err)
	}
	got := twiml.next(t)
	if !sms.Valid(e.fake.AuthToken(), u, got.form, got.header.Get(sms.SignatureHeader)) || got.form.Get("CallSid") != sid || got.form.Get("CallStatus") != "in-progress" {
		t.Errorf("TwiML fetch %v not signed or not about the call", got.form)
	}
	c, err := e.fake.WaitForCall(ctxFor(t), func(c twiliofake.Call) bool { return c.SID == sid && c.TwiML != "" })
	if err != nil || c.TwiML != doc || c.Said[0] != pageSaid || c.Status != "in-progress" {
		t.Errorf("call %+v, %v", c, err)
	}
}

func TestCreateCallRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	ok := url.Values{"From": {line}, "To": {worker}, "Twiml": {"<Response><Say>x</Say></Response>"}}
	tests := []struct {
		name       string
		change     func(url.Values)
		wantStatus int
		wantCode   int
	}{
		{"no to", func(f url.Values) { f.Del("To") }, 400, 21201},
		{"no from", func(f url.Values) { f.Del("From") }, 400, 21213},
		{"no twiml or url", func(f url.Values) { f.Del("Twiml") }, 400, 21205},
		{"bad to", func(f url.Values) { f.Set("To", "07700900555") }, 400, 21211},
		{"unreadable twiml", func(f url.Values) { f.Set("Twiml", "<Response><Say>") }, 400, 12100},
		{"twiml too long", func(f url.Values) { f.Set("Twiml", "<Response>"+strings.Repeat(" ", 4000)+"</Response>") }, 400, 12100},
		{"bad timeout", func(f url.Values) { f.Set("Timeout", "soon") }, 400, 21205},
	}
	for _, tt := range tests {
		f := url.Values{}
		for k, vs := range ok {
			f[k] = vs
		}
		tt.change(f)
		status, body := postAPI(t, e, "/Calls.json", f)
		if status != tt.wantStatus || body["code"] != float64(tt.wantCode) {
			t.Errorf("%s: %d %v, want %d/%d", tt.name, status, body, tt.wantStatus, tt.wantCode)
		}
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("%d refused calls recorded", n)
	}
	// Injected faults apply to calls as to messages.
	e.fake.FailNext(1, http.StatusTooManyRequests, 0)
	if _, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: ok.Get("Twiml")}); !sms.IsRetryable(err) {
		t.Errorf("injected 429: %v", err)
	}
}

func TestFetchCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, twiliofake.Config{})
	sid, err := e.sender.Call(ctxFor(t), sms.Call{From: line, To: worker, TwiML: pageCall(t, "https://h.example", "p1")})
	if err != nil {
		t.Fatal(err)
	}
	status, body := getAPI(t, e, "/Calls/"+sid+".json")
	if status != 200 || body["sid"] != sid || body["to"] != worker || body["from"] != line || body["direction"] != "outbound-api" ||
		body["uri"] != "/2010-04-01/Accounts/"+e.fake.AccountSID()+"/Calls/"+sid+".json" {
		t.Errorf("GET call = %d %v", status, body)
	}
	if status, _ := getAPI(t, e, "/Calls/CA00000000000000000000000000000000.json"); status != 404 {
		t.Errorf("GET unknown call = %d", status)
	}
}

// postAPI and getAPI call the fake's REST API with the right credentials,
// path relative to the account, and decode the JSON answer.
func postAPI(t *testing.T, e *env, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.api.URL+"/2010-04-01/Accounts/"+e.fake.AccountSID()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doAPI(t, e, req)
}

func getAPI(t *testing.T, e *env, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.api.URL+"/2010-04-01/Accounts/"+e.fake.AccountSID()+path, nil)
	return doAPI(t, e, req)
}

func doAPI(t *testing.T, e *env, req *http.Request) (int, map[string]any) {
	t.Helper()
	req.SetBasicAuth(e.fake.AccountSID(), e.fake.AuthToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// otherSid is sid with its first two hex digits changed: "ff", or "00"
// when they are "ff" already (a replacement that could leave the sid as
// it was made a tampered call pass its signature 1 time in 256).
func otherSid(sid string) string {
	if sid[2:4] == "ff" {
		return sid[:2] + "00" + sid[4:]
	}
	return sid[:2] + "ff" + sid[4:]
}
