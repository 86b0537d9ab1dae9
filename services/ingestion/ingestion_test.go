package ingestion_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/ingestion"
)

const (
	helpReply = "This is the Test Line. Text us any time; reply STOP to stop. In an emergency call 999."
	token     = "testtoken0123456789"
	lineNum   = "+442079460000"
	clientNum = "+447700900555"
)

type harness struct {
	srv    *httptest.Server
	public string
	store  *events.Store
	keys   *keyring.Keyring
	js     jetstream.JetStream
	logs   *logtest.Buffer
	nats   *server.Server
	// replica returns another ingestion process on the same log, index
	// and keys: its own receiver (and caches) behind its own server.
	replica func(testing.TB) *harness
	// followed is how many events the receiver's follower of the
	// conversations has handed to its cache.
	followed func() float64
}

// handledOK is how many events handler has handled, as the router counts
// them in reg.
func handledOK(t testing.TB, reg *prometheus.Registry, handler string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "helpline_events_handled_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["handler"] == handler && labels["outcome"] == "ok" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

var sidSeq atomic.Int64

func newSid() string { return fmt.Sprintf("SM%032x", sidSeq.Add(1)+time.Now().UnixNano()) }

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx := context.Background()
	nsrv := natstest.Server(t, "")
	_, js := natstest.Connect(t, nsrv.ClientURL())
	logs := &logtest.Buffer{}
	log := zerolog.New(logs)
	store, keys, identities := openLogAndKeys(t, js, log)
	index, err := ingestion.NewKVIndex(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	file, err := config.ParseFile([]byte(`
lines:
  - {id: main, number: "` + lineNum + `", whatsapp_from: "whatsapp:` + lineNum + `", timezone: Europe/London, always_open: true, help_reply: "` + helpReply + `"}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{store: store, keys: keys, js: js, logs: logs, nats: nsrv}
	h.replica = func(t testing.TB) *harness {
		convs, err := events.NewConversations(store, events.DefaultConversationCacheSize)
		if err != nil {
			t.Fatal(err)
		}
		rcv := ingestion.NewReceiver(file, identities, keys, store, convs, index, nil, time.Now, log)
		// Its followers of the log, as the process runs them.
		reg := prometheus.NewRegistry()
		router, err := consume.NewRouter(js, store, testbed.ConsumeConfig(), append(rcv.Specs(), consume.FollowConversations(convs)), reg, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		testbed.RunRouter(t, router)
		r := *h
		r.followed = func() float64 { return handledOK(t, reg, consume.ConversationsFollower) }
		mux := http.NewServeMux()
		r.srv = httptest.NewServer(mux)
		t.Cleanup(r.srv.Close)
		r.public = "https://helpline.example.org" // what Twilio calls: not the test server's address
		wh := ingestion.NewWebhooks(ingestion.WebhookConfig{PublicURL: r.public}, rcv,
			func(u string, f url.Values, s string) bool { return sms.Valid(token, u, f, s) }, log)
		mux.HandleFunc("POST /twilio/sms", wh.SMS)
		mux.HandleFunc("POST /twilio/status", wh.Status)
		return &r
	}
	return h.replica(t)
}

// openLogAndKeys opens the event store and a keyring with a new master key
// on js, as the services do, and the identities ingestion derives from
// them; the keyring closes when the test ends.
func openLogAndKeys(t testing.TB, js jetstream.JetStream, log zerolog.Logger) (*events.Store, *keyring.Keyring, ingestion.KeyringIdentities) {
	t.Helper()
	ctx := context.Background()
	store, err := events.NewStore(ctx, js, events.StoreConfig{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.EnsureBucket(ctx, js, keyring.BucketConfig{}); err != nil {
		t.Fatal(err)
	}
	master := keyring.GenerateMasterKey()
	keys, err := keyring.New(ctx, js, keyring.Config{Master: master}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	return store, keys, ingestion.KeyringIdentities{Keys: keys, Pseudo: keyring.NewPseudonymizer(master)}
}

func inbound(sid, from, to, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From": {from}, "To": {to}, "Body": {body}, "NumMedia": {"0"}}
}

// post sends a webhook signed for signURL (the public URL plus path).
func (h *harness) post(t testing.TB, path string, form url.Values, sign string) (int, string) {
	t.Helper()
	req, err := sms.NewWebhook(context.Background(), h.srv.URL+path, sign, token, form)
	if err != nil {
		t.Fatal(err)
	}
	if sign == "" { // an unsigned post
		req.Header.Del(sms.SignatureHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// postRaw posts body to the SMS webhook as a form, with hdr as header name
// and value pairs and nothing added (no signature unless hdr has one),
// and returns the answer's status.
func (h *harness) postRaw(t testing.TB, body string, hdr ...string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/twilio/sms", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) sendSMS(t testing.TB, sid, from, body string) (int, string) {
	return h.post(t, "/twilio/sms", inbound(sid, from, lineNum, body), h.public+"/twilio/sms")
}

// text sends an SMS webhook that must be answered 200, and returns the
// answer's body.
func (h *harness) text(t testing.TB, sid, from, body string) string {
	t.Helper()
	code, resp := h.sendSMS(t, sid, from, body)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, resp)
	}
	return resp
}

// resendRecordsNothing waits past the log's shortened duplicate window,
// runs resend (webhooks brought again) and fails if the log grew; what
// names what was brought again.
func (h *harness) resendRecordsNothing(t testing.TB, what string, resend func()) {
	t.Helper()
	before := len(h.all(t))
	pastDuplicateWindow()
	resend()
	if all := h.all(t); len(all) != before {
		t.Fatalf("%s brought again recorded %v", what, types(all[before:]))
	}
}

// closeConversation records a worker closing convID, appended at the
// conversation's last sequence.
// closedLongAgo is longer ago than the lines' reopen window.
const closedLongAgo = config.DefaultReopenWindow + time.Hour

// closeConversation closes a conversation ago before now.
func (h *harness) closeConversation(t testing.TB, convID string, ago time.Duration) {
	t.Helper()
	ctx := context.Background()
	_, last, err := h.store.Load(ctx, events.AggregateConversation, convID)
	if err != nil {
		t.Fatal(err)
	}
	closed, _ := events.New(convID, events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{}},
		events.Meta{OccurredAt: time.Now().Add(-ago)})
	if _, err := h.store.Append(ctx, events.ExpectSeq(last), closed); err != nil {
		t.Fatal(err)
	}
}

// all returns every event in the log, in order.
func (h *harness) all(t testing.TB) []events.Envelope { return allEvents(t, h.store) }

// allEvents returns every event in store, in order.
func allEvents(t testing.TB, store *events.Store) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	if _, err := store.Read(context.Background(), events.SubjectPrefix+".>", 0, func(e events.Envelope) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// started returns the log's conversation.started events, and fails the
// test unless there are want of them.
func (h *harness) started(t testing.TB, want int) []events.Envelope {
	t.Helper()
	started := ofType(h.all(t), "conversation.started")
	if len(started) != want {
		t.Fatalf("%d conversations started, want %d", len(started), want)
	}
	return started
}

func ofType(es []events.Envelope, typ string) []events.Envelope {
	var out []events.Envelope
	for _, e := range es {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestValidWebhookIsRecordedSealed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := "I can't cope tonight"
	code, resp := h.sendSMS(t, newSid(), clientNum, body)
	if code != http.StatusOK || !strings.Contains(resp, "<Response>") {
		t.Fatalf("status %d: %s", code, resp)
	}
	all := h.all(t)
	msgs := ofType(all, "conversation.message_received")
	if len(msgs) != 1 || len(ofType(all, "conversation.started")) != 1 || len(ofType(all, "client.registered")) != 1 {
		t.Fatalf("events: %v", types(all))
	}
	for _, e := range all {
		raw := string(e.Payload)
		if strings.Contains(raw, body) || strings.Contains(raw, strings.TrimPrefix(clientNum, "+")) {
			t.Fatalf("plaintext in the log: %s %s", e.Type, raw)
		}
	}
	p, err := msgs[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	m := p.(events.MessageReceived)
	plain, err := h.keys.Open(context.Background(), m.ClientID, m.Body.Data, events.BodyAAD(msgs[0].ID))
	if err != nil || string(plain) != body {
		t.Fatalf("open body: %q %v", plain, err)
	}
}

// types are the events' types, in order.
func types(es []events.Envelope) []string {
	return each(es, func(e events.Envelope) string { return e.Type })
}

// aggregates are the events' aggregate ids, in order.
func aggregates(es []events.Envelope) []string {
	return each(es, func(e events.Envelope) string { return e.AggregateID })
}

// each is f of every event, in order.
func each(es []events.Envelope, f func(events.Envelope) string) []string {
	var out []string
	for _, e := range es {
		out = append(out, f(e))
	}
	return out
}

func TestSignatureIsEnforced(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	form := inbound(newSid(), clientNum, lineNum, "hello")
	tests := []struct {
		name   string
		signed string
		mutate func(url.Values)
	}{
		{"missing", "", nil},
		{"signed for another URL", "https://evil.example/twilio/sms", nil},
		{"signed for the server's own address, not the public URL", h.srv.URL + "/twilio/sms", nil},
		{"forged body after signing", h.public + "/twilio/sms", func(f url.Values) { f.Set("Body", "changed") }},
	}
	for _, tt := range tests {
		f := url.Values{}
		for k, v := range form {
			f[k] = append([]string(nil), v...)
		}
		var signature []string
		if tt.signed != "" {
			signature = []string{sms.SignatureHeader, sms.Sign(token, tt.signed, f)}
		}
		if tt.mutate != nil {
			tt.mutate(f)
		}
		if code := h.postRaw(t, f.Encode(), signature...); code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.name, code)
		}
	}
	if all := h.all(t); len(all) != 0 {
		t.Fatalf("rejected webhooks changed the log: %v", types(all))
	}
}

func TestSameMessageSidIsOneEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	sid := newSid()
	for range 3 {
		h.text(t, sid, clientNum, "are you there?")
	}
	all := h.all(t)
	if n := len(ofType(all, "conversation.message_received")); n != 1 {
		t.Fatalf("%d message events, want 1: %v", n, types(all))
	}
	if n := len(ofType(all, "conversation.started")); n != 1 {
		t.Fatalf("%d conversations, want 1", n)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	sign := h.public + "/twilio/sms"
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"unknown To", inbound(newSid(), clientNum, "+15005550006", "hi"), http.StatusNotFound},
		{"From not E.164", inbound(newSid(), "07700900555", lineNum, "hi"), http.StatusBadRequest},
		{"missing MessageSid", inbound("", clientNum, lineNum, "hi"), http.StatusBadRequest},
		{"body too long", inbound(newSid(), clientNum, lineNum, strings.Repeat("a", 1601)), http.StatusBadRequest},
		{"form too large", inbound(newSid(), clientNum, lineNum, strings.Repeat("a", 70<<10)), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		code, resp := h.post(t, "/twilio/sms", tt.form, sign)
		if code != tt.want {
			t.Errorf("%s: status %d (%s), want %d", tt.name, code, resp, tt.want)
		}
		if strings.Contains(resp, "07700900555") || strings.Contains(resp, "aaaa") {
			t.Errorf("%s: response echoes input: %s", tt.name, resp)
		}
	}
	if code := h.postRaw(t, "%zz=%%"); code != http.StatusBadRequest {
		t.Errorf("malformed form: %d", code)
	}
	if all := h.all(t); len(all) != 0 {
		t.Fatalf("bad input changed the log: %v", types(all))
	}
	if strings.Contains(h.logs.String(), "07700900555") || strings.Contains(h.logs.String(), clientNum) {
		t.Fatal("a number reached the logs")
	}
}

func TestConversationContinuesThenRestartsAfterClose(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.text(t, newSid(), clientNum, "first")
	h.text(t, newSid(), clientNum, "second")
	convID := h.started(t, 1)[0].AggregateID
	h.closeConversation(t, convID, closedLongAgo)
	h.text(t, newSid(), clientNum, "third")
	h.started(t, 2)
	msgs := ofType(h.all(t), "conversation.message_received")
	if msgs[2].AggregateID == convID || msgs[1].AggregateID != convID {
		t.Fatal("message after close went to the closed conversation")
	}
	// Another number is another client with another pseudonym.
	h.text(t, newSid(), "+447700900556", "hello")
	regs := ofType(h.all(t), "client.registered")
	if len(regs) != 2 || regs[0].AggregateID == regs[1].AggregateID {
		t.Fatalf("clients: %v", regs)
	}
}

// TestMessageSoonAfterCloseReopens: a client who writes again within the
// line's reopen window goes on in the same conversation, reopened.
func TestMessageSoonAfterCloseReopens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.text(t, newSid(), clientNum, "first")
	convID := ofType(h.all(t), "conversation.started")[0].AggregateID
	h.closeConversation(t, convID, time.Hour)
	h.text(t, newSid(), clientNum, "one more thing")
	all := h.all(t)
	if n := len(ofType(all, "conversation.started")); n != 1 {
		t.Fatalf("%d conversations, want the one reopened", n)
	}
	reopened, msgs := ofType(all, events.TypeConversationReopened), ofType(all, events.TypeMessageReceived)
	if len(reopened) != 1 || reopened[0].AggregateID != convID || len(msgs) != 2 || msgs[1].AggregateID != convID || reopened[0].Sequence > msgs[1].Sequence {
		t.Fatalf("reopened %v, messages to %v: want %s reopened, then the message in it", aggregates(reopened), aggregates(msgs), convID)
	}
}

func TestConsentKeywordsAreRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.text(t, newSid(), clientNum, "STOP")
	h.text(t, newSid(), clientNum, "start")
	consent := ofType(h.all(t), "client.consent_changed")
	if len(consent) != 2 {
		t.Fatalf("%d consent events, want 2", len(consent))
	}
	p, _ := consent[0].Decode()
	c := p.(events.ConsentChanged)
	if c.Consent != events.ConsentOptedOut {
		t.Fatalf("first consent: %+v", c)
	}
	// The keyword is the client's word: sealed with their key, bound to
	// the message it came in.
	kw, err := h.keys.Open(context.Background(), c.Keyword.KeyID, c.Keyword.Data, events.KeywordAAD(c.MessageID))
	if err != nil || string(kw) != "STOP" || bytes.Contains(consent[0].Payload, []byte(`"STOP"`)) {
		t.Fatalf("first consent's keyword opens to %q, %v; payload %s", kw, err, consent[0].Payload)
	}
}

func TestStatusCallbackRecordedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	form := url.Values{"MessageSid": {newSid()}, "MessageStatus": {"delivered"}, "AccountSid": {"AC0123"}}
	path := "/twilio/status?c=cv-1"
	for range 2 {
		if code, resp := h.post(t, path, form, h.public+path); code != http.StatusNoContent {
			t.Fatalf("status %d: %s", code, resp)
		}
	}
	if code, _ := h.post(t, path, form, h.public+"/twilio/status?c=cv-2"); code != http.StatusForbidden {
		t.Fatalf("signature over another conversation's URL accepted: %d", code)
	}
	bad := url.Values{"MessageSid": {newSid()}, "MessageStatus": {"exploded"}}
	if code, _ := h.post(t, path, bad, h.public+path); code != http.StatusBadRequest {
		t.Fatalf("unknown status: %d", code)
	}
	if n := len(ofType(h.all(t), "conversation.delivery_status_changed")); n != 1 {
		t.Fatalf("%d status events, want 1", n)
	}
}

// TestLogDownAnswers503 shows the webhook never claims a message it could
// not make durable: with the log down it answers 503 (so Twilio calls the
// fallback URL, a second replica), well within Twilio's 15 s timeout.
func TestLogDownAnswers503(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code, _ := h.sendSMS(t, newSid(), clientNum, "first, while the log is up"); code != http.StatusOK {
		t.Fatalf("log up: %d", code)
	}
	h.nats.Shutdown()
	h.nats.WaitForShutdown()
	start := time.Now()
	code, _ := h.sendSMS(t, newSid(), "+447700900999", "the log is down")
	took := time.Since(start)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("log down: status %d, want 503", code)
	}
	t.Logf("503 after %s (Twilio waits 15s)", took)
	if took > 12*time.Second {
		t.Fatalf("503 took %s: Twilio would time out first", took)
	}
}

func TestStatusCallbackDoesNotEchoBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	form := url.Values{"MessageSid": {newSid()}, "MessageStatus": {"delivered"}}
	path := "/twilio/status?c=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
	code, resp := h.post(t, path, form, h.public+path)
	if code != http.StatusBadRequest || strings.Contains(resp, "script") || strings.Contains(h.logs.String(), "script") {
		t.Fatalf("status %d, response %q, logs echo input: %v", code, resp, strings.Contains(h.logs.String(), "script"))
	}
}

// TestCloseSeenAfterManyEvents: ingestion remembers conversations and
// reads only what was appended since; a close that comes after more
// events than it reads one by one is still seen.
func TestCloseSeenAfterManyEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.text(t, newSid(), clientNum, "first")
	convID := ofType(h.all(t), "conversation.started")[0].AggregateID
	for i := range 40 { // delivery callbacks, say: far more than the cache reads one by one
		e, _ := events.New(convID, events.DeliveryStatusChanged{ProviderMessageID: fmt.Sprintf("SM%032d", i), Status: "delivered"}, events.Meta{OccurredAt: time.Now()})
		if _, err := h.store.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	h.text(t, newSid(), clientNum, "second")
	h.closeConversation(t, convID, closedLongAgo)
	h.text(t, newSid(), clientNum, "third")
	msgs := ofType(h.all(t), "conversation.message_received")
	if len(msgs) != 3 || msgs[1].AggregateID != convID || msgs[2].AggregateID == convID {
		t.Fatalf("messages went to %v; the third must start a new conversation after %s closed", aggregates(msgs), convID)
	}
}

// A new client's first texts arriving at once open one conversation, and
// so do texts arriving at once after it closed: one client has one open
// conversation per line, whatever the timing (each message used to start
// its own, and each got its own out-of-hours reply).
func TestSimultaneousTextsOpenOneConversation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const n = 10
	burst := func(from, body string) map[string]int {
		t.Helper()
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() { codes[i], _ = h.sendSMS(t, newSid(), from, fmt.Sprintf("%s %d", body, i)) })
		}
		wg.Wait()
		for i, c := range codes {
			if c != http.StatusOK {
				t.Fatalf("text %d answered %d", i, c)
			}
		}
		per := map[string]int{}
		for _, e := range ofType(h.all(t), "conversation.message_received") {
			per[e.AggregateID]++
		}
		return per
	}
	const from = "+447700900556"
	first := burst(from, "are you there")
	if len(first) != 1 {
		t.Fatalf("%d texts at once opened %d conversations (%v), want 1", n, len(first), first)
	}
	var convID string
	for id, got := range first {
		if convID = id; got != n {
			t.Fatalf("conversation %s holds %d messages, want %d", id, got, n)
		}
	}
	h.started(t, 1)

	convs, err := events.NewConversations(h.store, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convs.Update(context.Background(), convID, func(c *events.Conversation) error {
		// Closed longer ago than the reopen window: the next texts start
		// a new conversation.
		return c.Close("sam", events.WrapUp{Outcome: "supported", Categories: []string{"reason:other", "risk:none"}, SeenSeq: c.LastInboundSeq},
			config.DefaultTaxonomy(), events.Meta{OccurredAt: time.Now().Add(-closedLongAgo)})
	}); err != nil {
		t.Fatal(err)
	}
	after := burst(from, "me again")
	delete(after, convID)
	if len(after) != 1 {
		t.Fatalf("%d texts at once after closing opened %d new conversations (%v), want 1", n, len(after), after)
	}
	for id, got := range after {
		if got != n {
			t.Fatalf("new conversation %s holds %d messages, want %d", id, got, n)
		}
	}
}

// A webhook brought again after its conversation closed and another
// opened, past the log's duplicate window, records nothing: it used to
// land in the client's new conversation as a new message.
func TestReplayAfterCloseRecordsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const from, body = "+447700900557", "is anyone there"
	resend := h.textToResend(t, from, body)
	convs, err := events.NewConversations(h.store, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convs.Update(context.Background(), h.started(t, 1)[0].AggregateID, func(c *events.Conversation) error {
		return c.Close("sam", events.WrapUp{Outcome: "supported", SeenSeq: c.Version}, anyWrapUp{}, events.Meta{OccurredAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	h.text(t, newSid(), from, body) // opens the client's next conversation
	h.resendRecordsNothing(t, "a webhook of the closed conversation", resend)
}

// shortWindow stands for the log's own duplicate window (ten minutes at
// least) in tests of a message brought again long after.
const shortWindow = 200 * time.Millisecond

// textToResend shortens the log's duplicate window (shortWindow) and texts
// body from `from` under a sid of its own, then returns the resend of
// that same webhook, for resendRecordsNothing to bring again long after.
func (h *harness) textToResend(t testing.TB, from, body string) (resend func()) {
	t.Helper()
	h.shortenDuplicateWindow(t)
	sid := newSid()
	h.text(t, sid, from, body)
	return func() { h.text(t, sid, from, body) }
}

// shortenDuplicateWindow sets the log's duplicate window to shortWindow.
func (h *harness) shortenDuplicateWindow(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	stream, err := h.js.Stream(ctx, events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	sc := stream.CachedInfo().Config
	sc.Duplicates = shortWindow
	if _, err := h.js.UpdateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
}

// pastDuplicateWindow waits until what was appended before is past the
// shortened window: a fixed span the server keeps, not a guess at how
// long something takes.
func pastDuplicateWindow() { time.Sleep(2 * shortWindow) }

// anyWrapUp accepts every wrap-up: these tests close conversations only to
// see what the client's next messages do.
type anyWrapUp struct{}

func (anyWrapUp) CheckWrapUp(string, []string) error { return nil }

// A client's HELP is answered at once with the line's help_reply (it was
// configured and never sent), recorded on the conversation as an
// automatic reply so the worker sees what the client was told; the word
// itself stays a message for triage and a worker. Any other message gets
// an empty answer, and a retried HELP is answered again.
func TestHelpIsAnsweredWithTheLinesHelpReply(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const from = "+447700900558"
	sid := newSid()
	for range 2 { // the second is Twilio retrying
		code, resp := h.sendSMS(t, sid, from, " Help! ")
		if code != http.StatusOK || !strings.Contains(resp, "<Message>"+html.EscapeString(helpReply)+"</Message>") {
			t.Fatalf("HELP answered %d %s, want the help reply", code, resp)
		}
	}
	if code, resp := h.sendSMS(t, newSid(), from, "please help me"); code != http.StatusOK || strings.Contains(resp, "<Message>") {
		t.Fatalf("a message that is not the keyword answered %d %s, want no message", code, resp)
	}
	all := h.all(t)
	if n := len(ofType(all, "conversation.message_received")); n != 2 {
		t.Fatalf("%d messages recorded, want 2 (HELP once, and the other)", n)
	}
	var sends []string
	for _, e := range ofType(all, events.TypeMessageSent) {
		sends = append(sends, string(e.Payload))
	}
	if len(sends) != 1 || !strings.Contains(sends[0], events.HelpSendPrefix) || !strings.Contains(sends[0], events.SendAutoReply) {
		t.Fatalf("sends recorded: %v, want one automatic help reply", sends)
	}
}

// A returning client's message costs one write to the log (its event:
// nothing in the index, no key) and no read (what the conversation gained
// since, another service's event, came by the receiver's follower),
// counted as the server sees them: messages stored in every stream, and
// message-get requests.
func TestReturningClientsMessageIsOneWriteAndNoRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	const from = "+447700900561"
	// caughtUp waits until the receiver's follower has handed over every
	// conversation event in the log (it started with the log empty).
	caughtUp := func() {
		t.Helper()
		n := 0
		if _, err := h.store.Read(ctx, events.AggregateSubjects(events.AggregateConversation), 0, func(events.Envelope) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 20*time.Second, func() error {
			if got := h.followed(); got < float64(n) {
				return fmt.Errorf("the receiver's follower handed over %v conversation events of %d", got, n)
			}
			return nil
		})
	}
	first := newSid()
	// The first registers the client and opens the conversation, named for
	// it; the second is a returning client's.
	for _, sid := range []string{first, newSid()} {
		h.text(t, sid, from, "are you there")
		caughtUp()
	}
	convID := "cv-" + strings.ToLower(first)
	// Another service appends to the conversation meanwhile (notification
	// records an automatic reply, as triage records its verdicts): the
	// receiver learns of it from its follower of the log, not by a read.
	convs, err := events.NewConversations(h.store, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convs.Update(ctx, convID, func(c *events.Conversation) error {
		return c.RecordSent("auto-"+convID, events.SendAutoReply, "", events.Meta{OccurredAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	caughtUp()
	nc, _ := natstest.Connect(t, h.nats.ClientURL())
	// Synchronous subscriptions queue what arrives as the connection
	// reads it: once a flush's answer is back, every request the server
	// handled before it is counted.
	var subs []*nats.Subscription
	for _, subj := range []string{"$JS.API.STREAM.MSG.GET.>", "$JS.API.DIRECT.GET.>"} {
		sub, err := nc.SubscribeSync(subj)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	before := storedMessages(t, h.js)
	h.text(t, newSid(), from, "me again")
	if err := nc.Flush(); err != nil { // every request the webhook made has reached the counter
		t.Fatal(err)
	}
	if writes := storedMessages(t, h.js) - before; writes != 1 {
		t.Fatalf("a returning client's message stored %d messages in the log, want 1", writes)
	}
	n := 0
	for _, sub := range subs {
		msgs, _, err := sub.Pending()
		if err != nil {
			t.Fatal(err)
		}
		n += msgs
	}
	if n > 0 {
		t.Fatalf("a returning client's message read the log %d times, want none", n)
	}
}

// A new client's first text writes five messages: its data key, its
// registration, its index entry (the claim of its first conversation,
// which makes the entry: before, an empty entry was written first and
// then claimed, and read back between the two), and the conversation's
// start with the message.
func TestNewClientsFirstTextIsFiveWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	before := natstest.Written(t, h.js)
	h.text(t, newSid(), "+447700900562", "are you there")
	after := natstest.Written(t, h.js)
	total := uint64(0)
	for name, seq := range after {
		total += seq - before[name]
	}
	if index := after["KV_"+ingestion.IndexBucket] - before["KV_"+ingestion.IndexBucket]; index != 1 {
		t.Errorf("a new client's first text wrote its index entry %d times, want 1", index)
	}
	if total != 5 {
		t.Errorf("a new client's first text stored %d messages, want 5 (%v before, %v after)", total, before, after)
	}
}

// storedMessages is how many messages every stream on the server holds.
func storedMessages(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	var n uint64
	streams := js.ListStreams(context.Background())
	for info := range streams.Info() {
		n += info.State.Msgs
	}
	if err := streams.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two ingestion replicas: the one that last saw a client's conversation
// keeps its index entry in memory. When the other replica's message found
// it closed and opened the client's next conversation, the first
// replica's next message goes there too, not to the closed one, and a
// message of the first conversation brought to either replica again is
// refused by its id.
func TestAReplicasRememberedEntryFollowsTheNextConversation(t *testing.T) {
	t.Parallel()
	one := newHarness(t)
	one.shortenDuplicateWindow(t)
	two := one.replica(t)
	const from = "+447700900562"
	send := func(h *harness, sid string) { t.Helper(); h.text(t, sid, from, "hello again") }
	first := newSid()
	send(one, first)
	send(one, newSid()) // one now holds the client's entry
	old := one.started(t, 1)[0].AggregateID
	one.closeConversation(t, old, closedLongAgo)
	send(two, newSid()) // opens the next conversation
	later := newSid()
	send(one, later)
	one.resendRecordsNothing(t, "a message of the closed conversation", func() {
		send(one, first)
		send(two, first)
	})
	started := one.started(t, 2)
	for _, e := range ofType(one.all(t), "conversation.message_received") {
		if e.ID == "sms-"+strings.ToLower(later) && e.AggregateID != started[1].AggregateID {
			t.Fatalf("the remembering replica's message went to %s, want the next conversation %s", e.AggregateID, started[1].AggregateID)
		}
	}
}

// A client erased (its key destroyed) who texts again is a new client; a
// message of the erased identity's conversation brought again after the
// log's duplicate window is refused, not recorded as the new client's.
func TestReplayAfterErasureRecordsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const from, body = "+447700900563", "please forget me"
	resend := h.textToResend(t, from, body)
	received := decoded[events.MessageReceived](t, h.all(t), "conversation.message_received")
	if len(received) != 1 {
		t.Fatalf("%d messages, want 1", len(received))
	}
	if err := h.keys.Erase(context.Background(), received[0].ClientID); err != nil {
		t.Fatal(err)
	}
	h.text(t, newSid(), from, body) // the number's next identity
	h.resendRecordsNothing(t, "a message of the erased identity", resend)
	clients := map[string]bool{}
	for _, m := range decoded[events.MessageReceived](t, h.all(t), "conversation.message_received") {
		clients[m.ClientID] = true
	}
	if len(clients) != 2 {
		t.Fatalf("messages of %d clients, want 2 (the erased identity and the new one)", len(clients))
	}
}

// A webhook brought again long after, past the log's duplicate window,
// once its conversation has had so many messages since that a folded
// copy of it no longer holds the message's id (events: recall.go), is
// still the same message: answered, and nothing recorded.
func TestVeryOldMessageSidIsStillOneEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const from, body = "+447700900558", "still here"
	resend := h.textToResend(t, from, body)
	const later = 200 // more than a folded conversation keeps by id (64 to 128)
	for range later {
		h.text(t, newSid(), from, body)
	}
	convID := ofType(h.all(t), "conversation.started")[0].AggregateID
	convs, err := events.NewConversations(h.store, 16)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := convs.Load(context.Background(), convID); err != nil || !c.Forgets() || c.Received != later+1 {
		t.Fatalf("conversation %s folded: forgets %t, %d received (%v): want the oldest ids forgotten", convID, c.Forgets(), c.Received, err)
	}
	h.resendRecordsNothing(t, "a webhook 200 messages old", resend)
}
