package ingestion_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/health"
	"github.com/helpline-org/helpline/internal/httpserver"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/ingestion"
)

// chatHarness runs the web chat as `helpline run` mounts it (the process
// router with its middleware), on a real in-process NATS server.
type chatHarness struct {
	srv   *httptest.Server
	web   *ingestion.ChatHTTP
	feed  *ingestion.JetStreamChatFeed
	store *events.Store
	keys  *keyring.Keyring
	js    jetstream.JetStream
	logs  *logtest.Buffer
	clock *testClock
}

// testClock is the real time plus an offset the test moves.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

type chatOptions struct {
	http ingestion.ChatHTTPConfig
	// timeout, when set, replaces the server's read and write timeouts.
	timeout time.Duration
	// maxConsumers, when set, is the NATS server's consumer limit per
	// stream (nats-server's default is 1,000).
	maxConsumers int
	// maxMessages, when set, is how many messages one chat takes.
	maxMessages int
	// quickExit, when set, is the main line's quick_exit_url.
	quickExit string
}

func newChatHarness(t testing.TB, opts chatOptions) *chatHarness {
	t.Helper()
	ctx := context.Background()
	_, js := natstest.Connect(t, natstest.ServerWith(t, "", func(o *server.Options) {
		if opts.maxConsumers > 0 {
			o.JetStreamLimits.DefaultMaxConsumers = opts.maxConsumers
		}
	}).ClientURL())
	logs := &logtest.Buffer{}
	log := zerolog.New(logs)
	store, keys, identities := openLogAndKeys(t, js, log)
	quickExit := ""
	if opts.quickExit != "" {
		quickExit = `, quick_exit_url: "` + opts.quickExit + `"`
	}
	file, err := config.ParseFile([]byte(`
lines:
  - {id: main, name: "Example Support Line", number: "` + lineNum + `", timezone: Europe/London, always_open: true` + quickExit + `}
  - {id: night, name: "Example Night Line", number: "+442079460001", timezone: Europe/London, always_open: true, emergency_notice: "In an emergency call 112."}
`))
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := ingestion.NewKVChatSessions(ctx, js, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	// As internal/app wires it: no consumer per page or per read.
	chatLog := store.WithoutConsumers()
	feed := ingestion.NewJetStreamChatFeed(js, store.Config().Stream, chatLog, log)
	t.Cleanup(feed.Close)
	chat, err := ingestion.NewChat(ingestion.ChatConfig{DefaultLine: file.Lines[0].ID, MaxMessages: opts.maxMessages}, ingestion.ChatDeps{
		Lines: file, Pseudonyms: identities,
		Keys: keys, Log: chatLog, Feed: feed, Sessions: sessions, Now: clock.now,
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	hc := opts.http
	if hc.PublicURL == "" {
		hc.PublicURL = "https://helpline.example.org"
	}
	hc.Now = clock.now
	web, err := ingestion.NewChatHTTP(hc, chat, log)
	if err != nil {
		t.Fatal(err)
	}
	router := httpserver.New(health.New(0), prometheus.NewRegistry(), log, "").Router
	router.Handle(ingestion.ChatPagePath, web)
	router.Handle(ingestion.ChatPagePath+"/*", web)
	router.Handle(ingestion.ChatAPIPrefix+"/*", web)
	srv := httptest.NewUnstartedServer(router)
	// The production server's timeouts (internal/httpserver), unless the
	// test shortens them.
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Config.ReadTimeout = 30 * time.Second
	if opts.timeout > 0 {
		srv.Config.ReadTimeout, srv.Config.WriteTimeout = opts.timeout, opts.timeout
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(web.Close)
	return &chatHarness{srv: srv, web: web, feed: feed, store: store, keys: keys, js: js, logs: logs, clock: clock}
}

type chatResponse struct {
	code int
	body string
	hdr  http.Header
	resp *http.Response
}

func (r chatResponse) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("response %d is not JSON: %s", r.code, r.body)
	}
	return m
}

// do sends a request with the given session token (none when empty) and,
// for a body, Content-Type application/json unless hdr sets another.
func (h *chatHarness) do(t testing.TB, method, path, token, body string, hdr ...string) chatResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: ingestion.ChatCookieName, Value: token})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return chatResponse{code: resp.StatusCode, body: string(b), hdr: resp.Header, resp: resp}
}

// startChat starts a chat and returns its session token and conversation.
func (h *chatHarness) startChat(t testing.TB) (token, conversation string) {
	t.Helper()
	r := h.do(t, http.MethodPost, ingestion.ChatStartPath, "", `{"language":"en"}`)
	if r.code != http.StatusCreated {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	c := chatCookie(t, r.resp)
	return c.Value, r.json(t)["conversation"].(string)
}

func chatCookie(t testing.TB, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == ingestion.ChatCookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", ingestion.ChatCookieName, resp.Header.Values("Set-Cookie"))
	return nil
}

func (h *chatHarness) send(t testing.TB, token, id, body string) chatResponse {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"id": id, "body": body})
	if id == "" {
		b, _ = json.Marshal(map[string]string{"body": body})
	}
	return h.do(t, http.MethodPost, ingestion.ChatMessagesPath, token, string(b))
}

// all returns every event in the log, in order.
func (h *chatHarness) all(t testing.TB) []events.Envelope { return allEvents(t, h.store) }

// clientOf returns the client id of a conversation, from its start event.
func (h *chatHarness) clientOf(t testing.TB, conversation string) string {
	t.Helper()
	for _, e := range ofType(h.all(t), "conversation.started") {
		if e.AggregateID == conversation {
			p, _ := e.Decode()
			return p.(events.ConversationStarted).ClientID
		}
	}
	t.Fatalf("conversation %s not started", conversation)
	return ""
}

// reply appends a worker's reply as the console would: the body sealed
// with the client's key and the event's id.
func (h *chatHarness) reply(t testing.TB, conversation, staffID, senderName, text string) (events.Envelope, uint64) {
	t.Helper()
	ctx := context.Background()
	client := h.clientOf(t, conversation)
	id := events.NewID()
	sealed, err := h.keys.Seal(ctx, client, []byte(text), events.BodyAAD(id))
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.NewWithID(id, conversation, events.ReplyRequested{ReplyID: "r-" + id, StaffID: staffID, SenderName: senderName,
		Body: events.Sealed{KeyID: client, Data: sealed}}, events.Meta{OccurredAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	acks, err := h.store.Append(ctx, events.ExpectAny, e)
	if err != nil {
		t.Fatal(err)
	}
	return e, acks[0].Seq
}

// closeConversation closes a conversation ago before now: longer ago than
// the line's reopen window (closedLongAgo), a message of the client's
// starts a new conversation.
func (h *chatHarness) closeConversation(t testing.TB, conversation string, ago time.Duration) {
	t.Helper()
	e, _ := events.New(conversation, events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{}},
		events.Meta{OccurredAt: time.Now().Add(-ago)})
	if _, err := h.store.Append(context.Background(), events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
}

func (h *chatHarness) consumers(t testing.TB) int {
	t.Helper()
	st, err := h.js.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers
}

// waitLeftNothing waits until ended holds (nil: at once) and the feed has
// no follower left, then fails if the stream has a consumer but the
// feed's one: streams that went leave nothing behind.
func (h *chatHarness) waitLeftNothing(t testing.TB, ended func() bool) {
	t.Helper()
	poll.Until(t, 30*time.Second, func() error {
		if ended != nil && !ended() {
			return errors.New("streams still open")
		}
		if n := h.feed.Followers(); n != 0 {
			return fmt.Errorf("%d followers left", n)
		}
		return nil
	})
	if n := h.consumers(t); n > 1 {
		t.Fatalf("%d consumers on the stream, want the feed's one at most", n)
	}
}

// sseStream reads a server-sent event stream in the background.
type sseStream struct {
	mu         sync.Mutex
	events     []sseEvent
	heartbeats int
	raw        strings.Builder
	done       chan struct{}
	cancel     context.CancelFunc
}

type sseEvent struct {
	name, id string
	data     map[string]any
}

func (h *chatHarness) openEvents(t testing.TB, token, lastEventID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+ingestion.ChatEventsPath, nil)
	req.AddCookie(&http.Cookie{Name: ingestion.ChatCookieName, Value: token})
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// No-store: nothing of the transcript is kept by the browser after a
	// quick exit.
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || resp.Header.Get("Cache-Control") != "no-store" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("events: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	s := &sseStream{done: make(chan struct{}), cancel: cancel}
	t.Cleanup(func() { cancel(); <-s.done })
	go s.read(resp.Body)
	return s
}

func (s *sseStream) read(body io.ReadCloser) {
	defer close(s.done)
	defer body.Close()
	sc := bufio.NewScanner(body)
	var cur sseEvent
	var data string
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.raw.WriteString(line + "\n")
		switch {
		case line == "":
			if cur.name != "" {
				_ = json.Unmarshal([]byte(data), &cur.data)
				s.events = append(s.events, cur)
			}
			cur, data = sseEvent{}, ""
		case strings.HasPrefix(line, ": heartbeat"):
			s.heartbeats++
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
		s.mu.Unlock()
	}
}

func (s *sseStream) snapshot() ([]sseEvent, string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sseEvent(nil), s.events...), s.raw.String(), s.heartbeats
}

// waitFor polls until an event named name with data field text (if not
// empty) has arrived, and returns it.
func (s *sseStream) waitFor(t testing.TB, name, text string) sseEvent {
	t.Helper()
	var found sseEvent
	poll.Until(t, 10*time.Second, func() error {
		evs, _, _ := s.snapshot()
		for _, e := range evs {
			if e.name == name && (text == "" || e.data["text"] == text) {
				found = e
				return nil
			}
		}
		return fmt.Errorf("no %s event %q yet; have %d events", name, text, len(evs))
	})
	return found
}

func (s *sseStream) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func TestChatStartRegistersAnonymousClient(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	r := h.do(t, http.MethodPost, ingestion.ChatStartPath, "", `{"line":"night","language":"pt-BR"}`)
	if r.code != http.StatusCreated {
		t.Fatalf("start: %d %s", r.code, r.body)
	}
	out := r.json(t)
	conv, _ := out["conversation"].(string)
	pseudo, _ := out["pseudonym"].(string)
	if !regexp.MustCompile(`^C-[0-9A-Z]{6}$`).MatchString(pseudo) || events.ValidateID(conv) != nil {
		t.Fatalf("response: %s", r.body)
	}
	c := chatCookie(t, r.resp)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != ingestion.ChatAPIPrefix {
		t.Fatalf("cookie attributes: %+v", c)
	}
	if len(c.Value) != 43 {
		t.Fatalf("token of %d characters, want 43 (256 bits, base64url)", len(c.Value))
	}

	all := h.all(t)
	regs, starts := ofType(all, "client.registered"), ofType(all, "conversation.started")
	if len(regs) != 1 || len(starts) != 1 || len(all) != 2 {
		t.Fatalf("events: %v", types(all))
	}
	p, _ := starts[0].Decode()
	st := p.(events.ConversationStarted)
	if starts[0].AggregateID != conv || st.Channel != events.ChannelWebChat || st.LineID != "night" || st.Pseudonym != pseudo {
		t.Fatalf("conversation.started: %+v", st)
	}
	if len(st.ClientID) != keyring.ClientIDLen || regs[0].AggregateID != st.ClientID {
		t.Fatalf("client id %q (registered %q): want a random 26-character id", st.ClientID, regs[0].AggregateID)
	}
	p, _ = regs[0].Decode()
	if reg := p.(events.ClientRegistered); reg.Channel != events.ChannelWebChat || len(reg.Contact.Data) != 0 || reg.Pseudonym != pseudo {
		t.Fatalf("client.registered: %+v", reg)
	}
	checkContracts(t, all)

	// The bucket knows the token's hash, never the token.
	kv, err := h.js.KeyValue(context.Background(), ingestion.ChatSessionBucket)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(c.Value))
	e, err := kv.Get(context.Background(), hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatalf("session not stored under the token's SHA-256: %v", err)
	}
	if strings.Contains(string(e.Value()), c.Value) || !strings.Contains(string(e.Value()), conv) {
		t.Fatalf("session record: %s", e.Value())
	}
	if _, err := kv.Get(context.Background(), c.Value); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("token itself used as a key: %v", err)
	}

	// The session resumes with the cookie.
	s := h.do(t, http.MethodGet, ingestion.ChatSessionPath, c.Value, "")
	if s.code != http.StatusOK || s.json(t)["conversation"] != conv || s.json(t)["pseudonym"] != pseudo {
		t.Fatalf("session: %d %s", s.code, s.body)
	}
	if logs := h.logs.String(); strings.Contains(logs, c.Value) || !strings.Contains(logs, conv) {
		t.Fatal("logs hold the token, or not the conversation id")
	}
}

// checkContracts validates emitted payloads against contracts/events.
func checkContracts(t testing.TB, es []events.Envelope) {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, e := range es {
		path := fmt.Sprintf("../../contracts/events/%s.v%d.schema.json", e.Type, e.Version)
		sch, err := c.Compile(path)
		if err != nil {
			t.Fatalf("schema %s: %v", path, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(e.Payload))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s does not match its contract: %v", e.Type, err)
		}
	}
}

func TestChatCookieNotSecureOnHTTP(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{PublicURL: "http://127.0.0.1:8080"}})
	r := h.do(t, http.MethodPost, ingestion.ChatStartPath, "", `{}`)
	if c := chatCookie(t, r.resp); c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie: %+v", c)
	}
}

func TestChatMessageIsSealed(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, conv := h.startChat(t)
	body := "I don't feel safe at home tonight"
	r := h.send(t, token, "", body)
	if r.code != http.StatusAccepted {
		t.Fatalf("send: %d %s", r.code, r.body)
	}
	all := h.all(t)
	msgs := ofType(all, "conversation.message_received")
	if len(msgs) != 1 || msgs[0].AggregateID != conv || r.json(t)["id"] != msgs[0].ID {
		t.Fatalf("events %v, response %s", types(all), r.body)
	}
	checkContracts(t, msgs)
	for _, e := range all {
		if strings.Contains(string(e.Payload), body) {
			t.Fatalf("plaintext in the log: %s", e.Type)
		}
	}
	p, _ := msgs[0].Decode()
	m := p.(events.MessageReceived)
	if m.Channel != events.ChannelWebChat || m.Body.KeyID != m.ClientID || m.ClientID != h.clientOf(t, conv) {
		t.Fatalf("message: %+v", m)
	}
	plain, err := h.keys.Open(context.Background(), m.ClientID, m.Body.Data, events.BodyAAD(msgs[0].ID))
	if err != nil || string(plain) != body {
		t.Fatalf("open body: %q %v", plain, err)
	}
	if logs := h.logs.String(); strings.Contains(logs, body) || strings.Contains(logs, token) || !strings.Contains(logs, conv) {
		t.Fatal("logs hold the body or the token, or not the conversation id")
	}
}

func TestChatSameIDIsOneEvent(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, _ := h.startChat(t)
	first := h.send(t, token, "7f3a9c", "hello?")
	again := h.send(t, token, "7f3a9c", "hello?")
	if first.code != http.StatusAccepted || again.code != http.StatusAccepted {
		t.Fatalf("sends: %d %s / %d %s", first.code, first.body, again.code, again.body)
	}
	if first.json(t)["id"] != again.json(t)["id"] || again.json(t)["duplicate"] != true {
		t.Fatalf("repeat is not the same message: %s / %s", first.body, again.body)
	}
	if n := len(ofType(h.all(t), "conversation.message_received")); n != 1 {
		t.Fatalf("%d messages after a double click, want 1", n)
	}
	// Another id, or no id, is another message.
	h.send(t, token, "7f3a9d", "hello?")
	h.send(t, token, "", "hello?")
	h.send(t, token, "", "hello?")
	if n := len(ofType(h.all(t), "conversation.message_received")); n != 4 {
		t.Fatalf("%d messages, want 4", n)
	}
	// The same client id in another chat is another message.
	other, _ := h.startChat(t)
	if r := h.send(t, other, "7f3a9c", "hi"); r.code != http.StatusAccepted || r.json(t)["duplicate"] == true {
		t.Fatalf("id collided across conversations: %s", r.body)
	}
}

func TestChatNeedsAValidSession(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, _ := h.startChat(t)
	forged := strings.Repeat("A", 43)
	tests := []struct {
		name, token string
	}{
		{"no cookie", ""},
		{"forged token", forged},
		{"malformed token", "not-a-token"},
		{"token's hash instead of the token", func() string { s := sha256.Sum256([]byte(token)); return hex.EncodeToString(s[:]) }()},
	}
	for _, tt := range tests {
		if r := h.send(t, tt.token, "", "hello"); r.code != http.StatusUnauthorized {
			t.Errorf("%s: send %d %s", tt.name, r.code, r.body)
		}
		if r := h.do(t, http.MethodGet, ingestion.ChatEventsPath, tt.token, ""); r.code != http.StatusUnauthorized {
			t.Errorf("%s: events %d", tt.name, r.code)
		}
		if r := h.do(t, http.MethodGet, ingestion.ChatSessionPath, tt.token, ""); r.code != http.StatusUnauthorized {
			t.Errorf("%s: session %d", tt.name, r.code)
		}
	}
	if n := len(ofType(h.all(t), "conversation.message_received")); n != 0 {
		t.Fatalf("%d messages without a session", n)
	}
	// Sessions expire after a day, by our clock.
	if r := h.send(t, token, "", "still there?"); r.code != http.StatusAccepted {
		t.Fatalf("valid session: %d %s", r.code, r.body)
	}
	h.clock.advance(ingestion.DefaultChatSessionTTL + time.Second)
	if r := h.send(t, token, "", "still there?"); r.code != http.StatusUnauthorized || !strings.Contains(r.body, "start a new chat") {
		t.Fatalf("expired session: %d %s", r.code, r.body)
	}
}

func TestChatLeaveForgetsTheSession(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, _ := h.startChat(t)
	r := h.do(t, http.MethodDelete, ingestion.ChatSessionPath, token, "")
	if r.code != http.StatusNoContent {
		t.Fatalf("leave: %d %s", r.code, r.body)
	}
	if c := chatCookie(t, r.resp); c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("cookie not cleared: %+v", c)
	}
	if r := h.send(t, token, "", "hello"); r.code != http.StatusUnauthorized {
		t.Fatalf("send after leaving: %d", r.code)
	}
}

// TestChatLeaveEndsItsStreams: leaving a chat ends its open streams (other
// tabs) at once, not at the session's expiry a day later. (The session
// check that catches a leave through another replica is an hour away.)
func TestChatLeaveEndsItsStreams(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{SessionCheck: time.Hour}})
	token, _ := h.startChat(t)
	other, _ := h.startChat(t)
	a, b := h.openEvents(t, token, ""), h.openEvents(t, token, "")
	stays := h.openEvents(t, other, "")
	for _, s := range []*sseStream{a, b, stays} {
		s.waitFor(t, "ready", "")
	}
	if r := h.do(t, http.MethodDelete, ingestion.ChatSessionPath, token, ""); r.code != http.StatusNoContent {
		t.Fatalf("leave: %d %s", r.code, r.body)
	}
	poll.Until(t, 20*time.Second, func() error {
		if !a.ended() || !b.ended() {
			return errors.New("the left chat's streams are still open")
		}
		if n := h.web.OpenStreams(); n != 1 {
			return fmt.Errorf("%d streams counted open, want the other chat's", n)
		}
		return nil
	})
	if stays.ended() {
		t.Fatal("another chat's stream ended")
	}
}

// TestChatLeftElsewhereEndsStreamsHere: a chat left through another
// replica (its session deleted from the shared bucket) ends the streams
// open here at the next session check.
func TestChatLeftElsewhereEndsStreamsHere(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{SessionCheck: 50 * time.Millisecond}})
	token, _ := h.startChat(t)
	other, _ := h.startChat(t)
	gone, stays := h.openEvents(t, token, ""), h.openEvents(t, other, "")
	gone.waitFor(t, "ready", "")
	stays.waitFor(t, "ready", "")
	kv, err := h.js.KeyValue(context.Background(), ingestion.ChatSessionBucket)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if err := kv.Delete(context.Background(), hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() error {
		if !gone.ended() {
			return errors.New("the stream of a chat left elsewhere is still open")
		}
		return nil
	})
	if stays.ended() {
		t.Fatal("another chat's stream ended")
	}
}

// TestChatStreamsAreCapped: past the process's cap (or a session's), a new
// stream is refused with 503 and Retry-After, and the chat goes on.
func TestChatStreamsAreCapped(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{MaxStreams: 3, MaxStreamsPerSession: 2}})
	a, _ := h.startChat(t)
	b, _ := h.startChat(t)
	for _, tok := range []string{a, a, b} {
		h.openEvents(t, tok, "").waitFor(t, "ready", "")
	}
	for name, tok := range map[string]string{"third stream of a session": a, "fourth stream in all": b} {
		r := h.do(t, http.MethodGet, ingestion.ChatEventsPath, tok, "")
		if r.code != http.StatusServiceUnavailable || r.hdr.Get("Retry-After") == "" {
			t.Errorf("%s: %d %s", name, r.code, r.body)
		}
	}
	if r := h.send(t, b, "", "still here"); r.code != http.StatusAccepted {
		t.Fatalf("send beside full streams: %d %s", r.code, r.body)
	}
}

func TestChatRejectsBadRequestsWithoutEcho(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, _ := h.startChat(t)
	tests := []struct {
		name, path, body, ctype string
		want                    int
	}{
		{"empty message", ingestion.ChatMessagesPath, `{"body":""}`, "", http.StatusBadRequest},
		{"blank message", ingestion.ChatMessagesPath, `{"body":" \n\t "}`, "", http.StatusBadRequest},
		{"too long", ingestion.ChatMessagesPath, `{"body":"` + strings.Repeat("a", 1601) + `"}`, "", http.StatusBadRequest},
		{"oversized body", ingestion.ChatMessagesPath, `{"body":"` + strings.Repeat("a", 9<<10) + `"}`, "", http.StatusRequestEntityTooLarge},
		{"not JSON", ingestion.ChatMessagesPath, `{"body": secretword`, "", http.StatusBadRequest},
		{"unknown field", ingestion.ChatMessagesPath, `{"body":"hi","secretfield":1}`, "", http.StatusBadRequest},
		{"two objects", ingestion.ChatMessagesPath, `{"body":"hi"}{"body":"secretword"}`, "", http.StatusBadRequest},
		{"wrong type", ingestion.ChatMessagesPath, `{"body":12345678}`, "", http.StatusBadRequest},
		{"bad id", ingestion.ChatMessagesPath, `{"body":"hi","id":"secret word!"}`, "", http.StatusBadRequest},
		{"form post", ingestion.ChatMessagesPath, `body=secretword`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"unknown line", ingestion.ChatStartPath, `{"line":"secretline"}`, "", http.StatusNotFound},
		{"bad language", ingestion.ChatStartPath, `{"language":"<secretword>"}`, "", http.StatusBadRequest},
		{"start with unknown field", ingestion.ChatStartPath, `{"secretfield":"x"}`, "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		var hdr []string
		if tt.ctype != "" {
			hdr = []string{"Content-Type", tt.ctype}
		}
		r := h.do(t, http.MethodPost, tt.path, token, tt.body, hdr...)
		if r.code != tt.want {
			t.Errorf("%s: status %d (%s), want %d", tt.name, r.code, r.body, tt.want)
		}
		if msg, _ := r.json(t)["error"].(string); msg == "" || strings.Contains(r.body, "secret") || strings.Contains(r.body, "aaaa") {
			t.Errorf("%s: missing message or echoed input: %s", tt.name, r.body)
		}
	}
	all := h.all(t)
	if len(ofType(all, "conversation.message_received")) != 0 || len(ofType(all, "conversation.started")) != 1 {
		t.Fatalf("bad requests changed the log: %v", types(all))
	}
	// 1,600 characters is the limit, counted as characters, not bytes.
	if r := h.send(t, token, "", strings.Repeat("é", 1600)); r.code != http.StatusAccepted {
		t.Fatalf("1600 two-byte characters: %d %s", r.code, r.body)
	}
	if strings.Contains(h.logs.String(), "secret") {
		t.Fatal("input reached the logs")
	}
}

func TestChatRateLimits(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{ClientAddrHeader: "X-Forwarded-For", SendBurst: 3}})
	from := func(addr string) chatResponse {
		return h.do(t, http.MethodPost, ingestion.ChatStartPath, "", `{}`, "X-Forwarded-For", addr)
	}
	for i := range 5 {
		if r := from("203.0.113.7"); r.code != http.StatusCreated {
			t.Fatalf("start %d: %d %s", i+1, r.code, r.body)
		}
	}
	r := from("203.0.113.7")
	if r.code != http.StatusTooManyRequests {
		t.Fatalf("sixth start: %d %s", r.code, r.body)
	}
	if s, err := strconv.Atoi(r.hdr.Get("Retry-After")); err != nil || s < 1 || s > 120 {
		t.Fatalf("Retry-After %q", r.hdr.Get("Retry-After"))
	}
	if r := from("203.0.113.8"); r.code != http.StatusCreated {
		t.Fatalf("another address limited: %d", r.code)
	}
	if n := len(ofType(h.all(t), "conversation.started")); n != 6 {
		t.Fatalf("%d conversations, want 6", n)
	}
	h.clock.advance(2 * time.Minute)
	if r := from("203.0.113.7"); r.code != http.StatusCreated {
		t.Fatalf("no new start after the refill: %d", r.code)
	}

	token, _ := h.startChat(t)
	for i := range 3 {
		if r := h.send(t, token, "", fmt.Sprint("message ", i)); r.code != http.StatusAccepted {
			t.Fatalf("send %d: %d", i, r.code)
		}
	}
	if r := h.send(t, token, "", "one too many"); r.code != http.StatusTooManyRequests || r.hdr.Get("Retry-After") == "" {
		t.Fatalf("flood: %d %s", r.code, r.body)
	}
}

// TestChatQuotas: one chat takes at most maxMessages (a repeat of one it
// holds is still fine); one address's chats share a send rate, so opening
// chat after chat does not multiply it; and past the global byte rate the
// chat answers 503 for everyone, new chats included, before the log fills
// the disk.
func TestChatQuotas(t *testing.T) {
	t.Parallel()
	t.Run("per chat", func(t *testing.T) {
		t.Parallel()
		h := newChatHarness(t, chatOptions{maxMessages: 3})
		token, _ := h.startChat(t)
		for i := range 3 {
			if r := h.send(t, token, fmt.Sprint("q", i), "hello"); r.code != http.StatusAccepted {
				t.Fatalf("send %d: %d %s", i, r.code, r.body)
			}
		}
		if r := h.send(t, token, "q3", "one more"); r.code != http.StatusConflict || !strings.Contains(r.body, "start a new chat") {
			t.Fatalf("send past the quota: %d %s", r.code, r.body)
		}
		if r := h.send(t, token, "q1", "hello"); r.code != http.StatusAccepted || r.json(t)["duplicate"] != true {
			t.Fatalf("repeat within the quota: %d %s", r.code, r.body)
		}
		if n := len(ofType(h.all(t), "conversation.message_received")); n != 3 {
			t.Fatalf("%d messages in the log, want 3", n)
		}
	})
	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		// One message an hour past the burst: under load, the five sends
		// took over a second, and the default refill let the fifth in.
		h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{ClientAddrHeader: "X-Forwarded-For", AddrSendBurst: 4,
			AddrSendEvery: time.Hour}})
		var tokens []string
		for range 3 {
			r := h.do(t, http.MethodPost, ingestion.ChatStartPath, "", `{}`, "X-Forwarded-For", "203.0.113.9")
			tokens = append(tokens, chatCookie(t, r.resp).Value)
		}
		sendFrom := func(token, addr string) chatResponse {
			return h.do(t, http.MethodPost, ingestion.ChatMessagesPath, token, `{"body":"hello"}`, "X-Forwarded-For", addr)
		}
		for i := range 4 {
			if r := sendFrom(tokens[i%3], "203.0.113.9"); r.code != http.StatusAccepted {
				t.Fatalf("send %d: %d %s", i, r.code, r.body)
			}
		}
		if r := sendFrom(tokens[1], "203.0.113.9"); r.code != http.StatusTooManyRequests || r.hdr.Get("Retry-After") == "" {
			t.Fatalf("fifth message from one address over three chats: %d %s", r.code, r.body)
		}
		other, _ := h.startChat(t)
		if r := sendFrom(other, "198.51.100.4"); r.code != http.StatusAccepted {
			t.Fatalf("another address: %d %s", r.code, r.body)
		}
	})
	t.Run("global", func(t *testing.T) {
		t.Parallel()
		h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{GlobalBytesPerSecond: 1, GlobalBurstBytes: 20 << 10}})
		token, _ := h.startChat(t)
		big := strings.Repeat("a", 1600)
		saturated := 0
		for i := range 20 {
			r := h.send(t, token, fmt.Sprint("g", i), big)
			if r.code == http.StatusServiceUnavailable && r.hdr.Get("Retry-After") != "" {
				saturated++
				continue
			}
			if r.code != http.StatusAccepted || saturated > 0 {
				t.Fatalf("send %d: %d %s (after %d refusals)", i, r.code, r.body, saturated)
			}
		}
		if saturated == 0 {
			t.Fatal("20 × 1,600 bytes passed a 20 KiB budget")
		}
		if r := h.do(t, http.MethodPost, ingestion.ChatStartPath, "", `{}`); r.code != http.StatusServiceUnavailable {
			t.Fatalf("new chat while saturated: %d %s", r.code, r.body)
		}
	})
}

// TestChatMessageLongAfterCloseOpensANewConversation: a chat client who
// writes after the line's reopen window is not told to start a new chat:
// the message opens a new conversation of the same client (same
// pseudonym), as an SMS does, the session follows it (its stream shows
// the new conversation) and a retry of the message is the same message.
func TestChatMessageLongAfterCloseOpensANewConversation(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, conv := h.startChat(t)
	h.send(t, token, "m1", "thank you")
	h.closeConversation(t, conv, closedLongAgo)
	// The stream of a closed conversation shows it and ends.
	s := h.openEvents(t, token, "")
	s.waitFor(t, "closed", "")
	poll.Until(t, 10*time.Second, func() error {
		if !s.ended() {
			return errors.New("stream still open after closed")
		}
		return nil
	})
	// A repeat of a message that was in before the close is still fine.
	if r := h.send(t, token, "m1", "thank you"); r.code != http.StatusAccepted || r.json(t)["duplicate"] != true {
		t.Fatalf("repeat after close: %d %s", r.code, r.body)
	}
	if r := h.send(t, token, "m2", "one more thing"); r.code != http.StatusAccepted || r.json(t)["duplicate"] == true {
		t.Fatalf("send after the reopen window: %d %s", r.code, r.body)
	}
	if r := h.send(t, token, "m2", "one more thing"); r.code != http.StatusAccepted || r.json(t)["duplicate"] != true {
		t.Fatalf("retry of the message that opened the new conversation: %d %s", r.code, r.body)
	}
	all := h.all(t)
	started, msgs := ofType(all, events.TypeConversationStarted), ofType(all, events.TypeMessageReceived)
	if len(started) != 2 || started[0].AggregateID != conv || started[1].AggregateID == conv {
		t.Fatalf("%d conversations started, want the chat's and a new one", len(started))
	}
	if len(ofType(all, events.TypeConversationReopened)) != 0 {
		t.Fatal("the closed conversation was reopened past the window")
	}
	if len(msgs) != 2 || msgs[1].AggregateID != started[1].AggregateID {
		t.Fatalf("%d messages: want the second in the new conversation", len(msgs))
	}
	first, second := testbed.Payload[events.ConversationStarted](t, started[0]), testbed.Payload[events.ConversationStarted](t, started[1])
	if second.ClientID != first.ClientID || second.Pseudonym != first.Pseudonym || second.Channel != events.ChannelWebChat {
		t.Fatalf("new conversation %+v, want the same client and pseudonym as %+v", second, first)
	}
	// The session follows: its stream is the new conversation's.
	h.streamGoesOn(t, token, "one more thing", "the new conversation")
}

func TestChatMessageSoonAfterCloseReopens(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, conv := h.startChat(t)
	h.send(t, token, "m1", "thank you")
	h.closeConversation(t, conv, time.Hour)
	if r := h.send(t, token, "m2", "one more thing"); r.code != http.StatusAccepted {
		t.Fatalf("send within the reopen window: %d %s", r.code, r.body)
	}
	all := h.all(t)
	reopened, msgs := ofType(all, events.TypeConversationReopened), ofType(all, events.TypeMessageReceived)
	if len(reopened) != 1 || reopened[0].AggregateID != conv || len(msgs) != 2 || msgs[1].AggregateID != conv {
		t.Fatalf("%d reopened, %d messages: want the chat's conversation reopened with the message", len(reopened), len(msgs))
	}
	// The reopened conversation's stream goes on past the earlier close.
	h.streamGoesOn(t, token, "one more thing", "a reopened conversation")
}

// streamGoesOn opens the session's event stream and checks it shows the
// client's last message (text), is ready for more, and stays open: the
// stream of conversation (what it is, for the failure) goes on.
func (h *chatHarness) streamGoesOn(t *testing.T, token, text, conversation string) {
	t.Helper()
	s := h.openEvents(t, token, "")
	s.waitFor(t, "message", text)
	s.waitFor(t, "ready", "")
	if s.ended() {
		t.Fatalf("the stream of %s ended", conversation)
	}
}

func TestChatEventsStreamHistoryAndLiveReplies(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, conv := h.startChat(t)
	h.send(t, token, "", "is anyone there?")
	s := h.openEvents(t, token, "")
	mine := s.waitFor(t, "message", "is anyone there?")
	if mine.data["from"] != "you" || mine.id == "" {
		t.Fatalf("own message: %+v", mine)
	}
	s.waitFor(t, "ready", "")

	staffID := "alex-7731"
	rep, seq := h.reply(t, conv, staffID, "Alex Moreno", "I'm here. Do you want to tell me what's happening?")
	got := s.waitFor(t, "reply", "I'm here. Do you want to tell me what's happening?")
	if got.data["sender_name"] != "Alex" || got.data["from"] != "team" || got.data["id"] != rep.ID || got.id != strconv.FormatUint(seq, 10) {
		t.Fatalf("reply: %+v", got)
	}
	// The client's next message arrives live too.
	h.send(t, token, "", "thank you")
	s.waitFor(t, "message", "thank you")
	_, raw, _ := s.snapshot()
	for _, secret := range []string{staffID, "Moreno", "staff"} {
		if strings.Contains(raw, secret) {
			t.Fatalf("stream shows %q: %s", secret, raw)
		}
	}

	// A reload with Last-Event-ID gets only what came after.
	again := h.openEvents(t, token, got.id)
	again.waitFor(t, "message", "thank you")
	again.waitFor(t, "ready", "")
	evs, _, _ := again.snapshot()
	for _, e := range evs {
		if e.data["text"] == "is anyone there?" || e.name == "reply" {
			t.Fatalf("replayed before Last-Event-ID: %+v", e)
		}
	}

	// Closing ends both streams, and they leave nothing behind: no
	// follower, and no consumer but the process's one subscription.
	h.closeConversation(t, conv, closedLongAgo)
	s.waitFor(t, "closed", "")
	again.waitFor(t, "closed", "")
	h.waitLeftNothing(t, func() bool { return s.ended() && again.ended() })
}

// TestChatStreamCleansUpWhenTheClientGoes: streams whose clients went away
// leave no follower behind. It waits on the feed's own count, which drops
// as each handler returns (it used to wait for the server to delete a
// consumer per stream, which a loaded machine could take longer to do).
func TestChatStreamCleansUpWhenTheClientGoes(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, _ := h.startChat(t)
	var streams []*sseStream
	for range 3 {
		s := h.openEvents(t, token, "")
		s.waitFor(t, "ready", "")
		streams = append(streams, s)
	}
	poll.Until(t, 30*time.Second, func() error {
		if n := h.feed.Followers(); n != 3 {
			return fmt.Errorf("%d followers, want one per open stream", n)
		}
		return nil
	})
	for _, s := range streams {
		s.cancel()
	}
	h.waitLeftNothing(t, nil)
}

// TestChatStreamsDoNotSpendTheLogsConsumers holds more open chat streams
// than the server allows consumers per stream (8 here, 1,000 by default),
// one of them over a history longer than a read by message gets: every
// stream shows its history and its live replies, the stream keeps at most
// the feed's one consumer, and a read that needs a consumer (as triage,
// notification and the console's catch-up do) still gets one.
func TestChatStreamsDoNotSpendTheLogsConsumers(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{maxConsumers: 8, http: ingestion.ChatHTTPConfig{SendBurst: 200, AddrSendBurst: 200}})
	type chat struct {
		token, conv string
		streams     []*sseStream
	}
	var chats []*chat
	for range 5 {
		token, conv := h.startChat(t)
		chats = append(chats, &chat{token: token, conv: conv})
	}
	const long = 70 // more than the store reads by message gets
	for i := range long {
		if r := h.send(t, chats[0].token, "", fmt.Sprint("line ", i)); r.code != http.StatusAccepted {
			t.Fatalf("send %d: %d %s", i, r.code, r.body)
		}
	}
	for _, c := range chats {
		for range 4 {
			s := h.openEvents(t, c.token, "")
			s.waitFor(t, "ready", "")
			c.streams = append(c.streams, s)
		}
	}
	evs, _, _ := chats[0].streams[3].snapshot()
	if n := len(evs); n != long+1 {
		t.Fatalf("long history: %d events, want %d messages and ready", n, long)
	}
	if n := h.consumers(t); n > 1 {
		t.Fatalf("%d consumers for 20 open chat streams, want the feed's one at most", n)
	}
	for i, c := range chats {
		h.reply(t, c.conv, "sam", "Sam", fmt.Sprint("reply to chat ", i))
	}
	for i, c := range chats {
		for _, s := range c.streams {
			s.waitFor(t, "reply", fmt.Sprint("reply to chat ", i))
		}
	}
	var n int
	if _, err := h.store.Read(context.Background(), events.SubjectPrefix+".>", 0, func(events.Envelope) error { n++; return nil }); err != nil {
		t.Fatalf("a long read beside 20 open chat streams: %v", err)
	}
	if n < long {
		t.Fatalf("long read saw %d events", n)
	}
}

func TestChatStreamsEndOnShutdown(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, _ := h.startChat(t)
	s := h.openEvents(t, token, "")
	s.waitFor(t, "ready", "")
	h.web.Close()
	poll.Until(t, 10*time.Second, func() error {
		if !s.ended() {
			return errors.New("stream open after Close")
		}
		return nil
	})
	if r := h.do(t, http.MethodGet, ingestion.ChatEventsPath, token, ""); r.code != http.StatusServiceUnavailable {
		t.Fatalf("new stream after Close: %d", r.code)
	}
}

func TestChatStreamOutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	// A server with read and write timeouts must not cut a stream off:
	// heartbeats every 100ms keep arriving for more than twice the
	// timeout, then a reply. The timeout must be long enough for the
	// chat's own requests (two fsynced appends) on a loaded machine: at
	// 500ms the write timeout cut the chat's start off (EOF) in a run at
	// load 36.
	const timeout = 2 * time.Second
	h := newChatHarness(t, chatOptions{timeout: timeout, http: ingestion.ChatHTTPConfig{Heartbeat: 100 * time.Millisecond}})
	token, conv := h.startChat(t)
	opened := time.Now()
	s := h.openEvents(t, token, "")
	poll.Until(t, 30*time.Second, func() error {
		if _, _, n := s.snapshot(); n < 3 || time.Since(opened) < 2*timeout {
			return fmt.Errorf("%d heartbeats after %s", n, time.Since(opened))
		}
		return nil
	})
	if s.ended() {
		t.Fatal("stream ended at the read timeout")
	}
	h.reply(t, conv, "sam", "Sam", "still here")
	s.waitFor(t, "reply", "still here")
}

func TestChatStreamNeverShowsAnotherClientsContent(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, conv := h.startChat(t)
	_, otherConv := h.startChat(t)
	// A reply sealed for another client, pasted into this conversation.
	other := h.clientOf(t, otherConv)
	id := events.NewID()
	sealed, _ := h.keys.Seal(context.Background(), other, []byte("someone else's words"), events.BodyAAD(id))
	e, _ := events.NewWithID(id, conv, events.ReplyRequested{ReplyID: id, StaffID: "sam", SenderName: "Sam",
		Body: events.Sealed{KeyID: other, Data: sealed}}, events.Meta{OccurredAt: time.Now()})
	if _, err := h.store.Append(context.Background(), events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
	s := h.openEvents(t, token, "")
	got := s.waitFor(t, "reply", "")
	if got.data["unavailable"] != true || got.data["text"] != nil {
		t.Fatalf("reply sealed for another client shown: %+v", got.data)
	}
}

func TestChatPageIsSafeAndAccessible(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	r := h.do(t, http.MethodGet, ingestion.ChatPagePath, "", "")
	if r.code != http.StatusOK || !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", r.code, r.hdr.Get("Content-Type"))
	}
	csp := r.hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
		!strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP: %q", csp)
	}
	if r.hdr.Get("X-Content-Type-Options") != "nosniff" || r.hdr.Get("Referrer-Policy") != "no-referrer" || r.hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", r.hdr)
	}
	page := r.body
	// The one URL of another site is the quick exit's, in its link and
	// for the script: the neutral site the page leaves for.
	exit := config.DefaultQuickExitURL
	if !strings.Contains(page, `id="quick-exit" class="quick-exit-button" href="`+exit+`"`) || !strings.Contains(page, `data-exit="`+exit+`"`) {
		t.Fatalf("page lacks the quick exit link to %s", exit)
	}
	page = strings.ReplaceAll(page, exit, "")
	for _, tag := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, `src="/chat/app.js"`) {
			t.Fatalf("inline or foreign script: %s", tag)
		}
	}
	if regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=|https?://`).MatchString(page) {
		t.Fatal("page has inline style, an inline handler or an external URL")
	}
	for _, want := range []string{
		`name="viewport"`, `aria-live="polite"`, `<label for="body">`, `id="body"`, `lang="en"`,
		ingestion.ChatDefaultEmergencyNotice, "Example Support Line", "Replies come from the line's team",
	} {
		if !strings.Contains(page, want) && !strings.Contains(page, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("page lacks %q", want)
		}
	}
	if r := h.do(t, http.MethodGet, ingestion.ChatPagePath+"?line=night", "", ""); !strings.Contains(r.body, "Example Night Line") ||
		!strings.Contains(r.body, "In an emergency call 112.") || strings.Contains(r.body, ingestion.ChatDefaultEmergencyNotice) {
		t.Error("?line= does not choose the line, or not its own emergency notice")
	}
	if r := h.do(t, http.MethodGet, ingestion.ChatPagePath+"?line=%3Cscript%3E", "", ""); r.code != http.StatusNotFound || strings.Contains(r.body, "<script>") {
		t.Errorf("unknown line: %d %s", r.code, r.body)
	}

	js := h.do(t, http.MethodGet, "/chat/app.js", "", "")
	if js.code != http.StatusOK || !strings.HasPrefix(js.hdr.Get("Content-Type"), "text/javascript") || js.hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("script: %d %v", js.code, js.hdr)
	}
	// Messages are shown as text: the script never builds markup.
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js.body, sink) {
			t.Errorf("app.js uses %s", sink)
		}
	}
	if !strings.Contains(js.body, "textContent") {
		t.Error("app.js does not use textContent")
	}
	if css := h.do(t, http.MethodGet, "/chat/chat.css", "", ""); css.code != http.StatusOK || !strings.HasPrefix(css.hdr.Get("Content-Type"), "text/css") {
		t.Fatalf("style: %d", css.code)
	}
}

func TestChatMarkupInMessagesIsNeverMarkup(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{})
	token, conv := h.startChat(t)
	xss := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	r := h.send(t, token, "", xss)
	if r.code != http.StatusAccepted || strings.Contains(r.body, "<") {
		t.Fatalf("send: %d %s", r.code, r.body)
	}
	h.reply(t, conv, "sam", "<b>Sam</b>", "<i>"+xss)
	s := h.openEvents(t, token, "")
	mine := s.waitFor(t, "message", xss)
	got := s.waitFor(t, "reply", "<i>"+xss)
	if mine.data["text"] != xss || got.data["sender_name"] != nil {
		t.Fatalf("decoded: %+v / %+v", mine.data, got.data)
	}
	_, raw, _ := s.snapshot()
	if strings.ContainsAny(raw, "<>") {
		t.Fatalf("stream carries raw markup: %s", raw)
	}
	page := h.do(t, http.MethodGet, ingestion.ChatPagePath, "", "")
	if strings.Contains(page.body, "alert(") {
		t.Fatal("page renders message content")
	}
}

func TestChatConcurrentSends(t *testing.T) {
	t.Parallel()
	h := newChatHarness(t, chatOptions{http: ingestion.ChatHTTPConfig{SendBurst: 100}})
	token, _ := h.startChat(t)
	var wg sync.WaitGroup
	codes := make([]int, 12)
	for i := range codes {
		// Eight distinct messages racing for the conversation's next
		// sequence, and a double click sent four times at once.
		id := fmt.Sprintf("m%d", i)
		if i >= 8 {
			id = "double-click"
		}
		wg.Go(func() { codes[i] = h.send(t, token, id, "message "+id).code })
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("send %d: %d", i, c)
		}
	}
	if n := len(ofType(h.all(t), "conversation.message_received")); n != 9 {
		t.Fatalf("%d messages, want 9", n)
	}
}
