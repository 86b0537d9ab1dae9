package ingestion

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/sse"
)

// Paths of the web chat. The API lives under ChatAPIPrefix, which is also
// the session cookie's path, so the cookie never travels with other
// requests.
const (
	ChatPagePath      = "/chat"
	ChatAPIPrefix     = "/api/chat"
	ChatStartPath     = ChatAPIPrefix + "/conversations"
	ChatMessagesPath  = ChatAPIPrefix + "/messages"
	ChatEventsPath    = ChatAPIPrefix + "/events"
	ChatSessionPath   = ChatAPIPrefix + "/session"
	ChatCookieName    = "helpline_chat"
	chatScriptPath    = ChatPagePath + "/app.js"
	chatStylePath     = ChatPagePath + "/chat.css"
	chatJSONMediaType = "application/json"
)

// ChatHTTPConfig configures the web chat's HTTP port.
type ChatHTTPConfig struct {
	// PublicURL is HELPLINE_PUBLIC_URL: when it is https the session cookie
	// is Secure.
	PublicURL string
	// MaxBodyBytes bounds a JSON request body; larger is 413. Default 8 KiB
	// (a 1,600-character message is at most 6.4 KB of UTF-8).
	MaxBodyBytes int64
	// StartBurst conversation starts are allowed at once per client
	// address, then one per StartEvery: default 5, then one per 2 minutes
	// (5 per 10 minutes).
	StartBurst int
	StartEvery time.Duration
	// SendBurst messages are allowed at once per session, then one per
	// SendEvery: default 20, then one per 2 s. Someone in distress may send
	// many short messages; this only stops a flood.
	SendBurst int
	SendEvery time.Duration
	// AddrSendBurst messages are allowed at once per client address, over
	// all its chats, then one per AddrSendEvery: default 60, then one a
	// second (a shared network's many clients fit; one client opening
	// chat after chat does not multiply its rate).
	AddrSendBurst int
	AddrSendEvery time.Duration
	// GlobalBytesPerSecond bounds what the whole web chat writes to the
	// log (message bodies, and a start counted as chatStartBytes), in
	// bytes a second, with GlobalBurstBytes at once: default 16 KiB/s
	// (about 1.3 GiB a day at most; a message is about 100 bytes) and
	// 1 MiB. Past it the chat answers 503: anonymous chat degrades before
	// the log fills the disk, and SMS is not counted.
	GlobalBytesPerSecond int
	GlobalBurstBytes     int
	// LimiterKeys bounds the addresses and sessions each limiter
	// remembers; default 10,000.
	LimiterKeys int
	// ClientAddrHeader names the header a trusted reverse proxy puts the
	// client's address in (e.g. X-Forwarded-For). Empty: the connection's
	// address. Behind a proxy, leaving it empty puts every client in one
	// rate-limit bucket.
	ClientAddrHeader string
	// Heartbeat is how often an idle event stream gets a comment, so
	// proxies keep it open and dead clients are noticed; default 15 s.
	Heartbeat time.Duration
	// MaxStreams bounds open event streams in this process; default
	// 5,000. They share the process's one subscription to the log, so the
	// bound is for memory (about 20 KiB a stream) and file descriptors:
	// past it the chat answers 503, and nothing else is touched.
	// MaxStreamsPerSession bounds them per session (tabs); default 4.
	MaxStreams           int
	MaxStreamsPerSession int
	// SessionCheck is how often open streams' sessions are looked up, so
	// a chat left through another replica ends its streams here too;
	// default 30 s. A chat left through this process ends them at once.
	SessionCheck time.Duration
	// EmergencyNotice is shown at the top of the chat page; default
	// ChatDefaultEmergencyNotice.
	EmergencyNotice string
	// Now is the clock of the rate limiters; time.Now when nil.
	Now func() time.Time
}

// chatStartBytes is what a start counts against the global rate: its two
// events and its session.
const chatStartBytes = 2 << 10

// ChatDefaultEmergencyNotice is the page's emergency text unless
// configured. It is a constant rather than a line's help_reply, which is
// written for SMS (it mentions STOP).
const ChatDefaultEmergencyNotice = "If you are in immediate danger, call 999."

// SetDefaults fills unset fields.
func (c *ChatHTTPConfig) SetDefaults() {
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, 8<<10)
	c.StartBurst = cmp.Or(c.StartBurst, 5)
	c.StartEvery = cmp.Or(c.StartEvery, 2*time.Minute)
	c.SendBurst = cmp.Or(c.SendBurst, 20)
	c.SendEvery = cmp.Or(c.SendEvery, 2*time.Second)
	c.AddrSendBurst = cmp.Or(c.AddrSendBurst, 60)
	c.AddrSendEvery = cmp.Or(c.AddrSendEvery, time.Second)
	c.GlobalBytesPerSecond = cmp.Or(c.GlobalBytesPerSecond, 16<<10)
	c.GlobalBurstBytes = cmp.Or(c.GlobalBurstBytes, 1<<20)
	c.LimiterKeys = cmp.Or(c.LimiterKeys, 10_000)
	c.Heartbeat = cmp.Or(c.Heartbeat, 15*time.Second)
	c.SessionCheck = cmp.Or(c.SessionCheck, 30*time.Second)
	c.MaxStreams = cmp.Or(c.MaxStreams, 5000)
	c.MaxStreamsPerSession = cmp.Or(c.MaxStreamsPerSession, 4)
	c.EmergencyNotice = cmp.Or(c.EmergencyNotice, ChatDefaultEmergencyNotice)
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports a configuration that cannot work.
func (c ChatHTTPConfig) Validate() error {
	switch {
	case c.MaxBodyBytes < 1<<10:
		return fmt.Errorf("chat: max body %d bytes: want at least 1 KiB", c.MaxBodyBytes)
	case c.StartBurst < 1 || c.SendBurst < 1 || c.StartEvery <= 0 || c.SendEvery <= 0 || c.AddrSendBurst < 1 || c.AddrSendEvery <= 0:
		return errors.New("chat: rate limits must be positive")
	case c.GlobalBytesPerSecond < 1 || c.GlobalBurstBytes < chatStartBytes+4*maxChatBodyChars:
		return fmt.Errorf("chat: global rate %d B/s with burst %d B: want positive, and a burst of at least one start and one message", c.GlobalBytesPerSecond, c.GlobalBurstBytes)
	case c.LimiterKeys < 1 || c.MaxStreams < 1 || c.MaxStreamsPerSession < 1:
		return errors.New("chat: limiter keys and stream limits must be positive")
	case c.SessionCheck < 10*time.Millisecond:
		return fmt.Errorf("chat: session check every %s: want at least 10ms", c.SessionCheck)
	case c.Heartbeat < 100*time.Millisecond:
		return fmt.Errorf("chat: heartbeat %s: want at least 100ms", c.Heartbeat)
	}
	return nil
}

// ChatHTTP is the web chat's HTTP port: the JSON API, the event stream and
// the page. It is an http.Handler for ChatPagePath and everything under
// it, and for everything under ChatAPIPrefix.
type ChatHTTP struct {
	cfg     ChatHTTPConfig
	chat    *Chat
	mux     *http.ServeMux
	starts  *chatLimiter
	sends   *chatLimiter
	addrs   *chatLimiter // sends per client address
	global  *rate.Limiter
	streams *chatStreams
	page    *chatPage
	sse     *sse.Server
	done    chan struct{} // closed by Close
	closing sync.Once
	secure  bool
	logger  zerolog.Logger
}

// NewChatHTTP builds the handlers.
func NewChatHTTP(cfg ChatHTTPConfig, chat *Chat, logger zerolog.Logger) (*ChatHTTP, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	page, err := newChatPage()
	if err != nil {
		return nil, err
	}
	h := &ChatHTTP{
		cfg:     cfg,
		chat:    chat,
		mux:     http.NewServeMux(),
		starts:  newChatLimiter(cfg.StartEvery, cfg.StartBurst, cfg.LimiterKeys),
		sends:   newChatLimiter(cfg.SendEvery, cfg.SendBurst, cfg.LimiterKeys),
		addrs:   newChatLimiter(cfg.AddrSendEvery, cfg.AddrSendBurst, cfg.LimiterKeys),
		global:  rate.NewLimiter(rate.Limit(cfg.GlobalBytesPerSecond), cfg.GlobalBurstBytes),
		streams: newChatStreams(cfg.MaxStreams, cfg.MaxStreamsPerSession),
		page:    page,
		secure:  strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
		logger:  logger.With().Str("svc", "ingestion").Str("channel", events.ChannelWebChat).Logger(),
		sse:     sse.New(sse.Config{Heartbeat: cfg.Heartbeat}),
		done:    make(chan struct{}),
	}
	go h.endLeftSessions()
	h.mux.HandleFunc("GET "+ChatPagePath, h.showPage)
	h.mux.HandleFunc("GET "+chatScriptPath, h.page.script)
	h.mux.HandleFunc("GET "+chatStylePath, h.page.style)
	h.mux.HandleFunc("POST "+ChatStartPath, h.start)
	h.mux.HandleFunc("GET "+ChatSessionPath, h.session)
	h.mux.HandleFunc("DELETE "+ChatSessionPath, h.leave)
	h.mux.HandleFunc("POST "+ChatMessagesPath, h.send)
	h.mux.HandleFunc("GET "+ChatEventsPath, h.events)
	return h, nil
}

// chatCSP allows the page its own script, style and API and nothing else:
// no inline script or style, no other origin, no framing.
const chatCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ServeHTTP sets the security headers every chat response carries, then
// routes.
func (h *ChatHTTP) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", chatCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, req)
}

// Close ends every open event stream and refuses new ones; the rest of
// the chat keeps working until the server stops. Call it when the server
// shuts down: streams never end by themselves.
func (h *ChatHTTP) Close() {
	h.sse.Close()
	h.closing.Do(func() { close(h.done) })
}

// OpenStreams is how many event streams are open.
func (h *ChatHTTP) OpenStreams() int { return h.streams.open() }

type chatStartRequest struct {
	Line     string `json:"line"`
	Language string `json:"language"`
}

type chatSessionResponse struct {
	Conversation string    `json:"conversation"`
	Pseudonym    string    `json:"pseudonym"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// start handles POST /api/chat/conversations.
func (h *ChatHTTP) start(w http.ResponseWriter, req *http.Request) {
	if ok, wait := h.starts.allow(chatClientAddr(req, h.cfg.ClientAddrHeader), h.cfg.Now()); !ok {
		h.fail(w, req, &chatRateLimited{wait: wait, what: "too many new chats from your network; please wait and try again"})
		return
	}
	var in chatStartRequest
	if err := h.decode(w, req, &in, `{"line":"<line id, optional>","language":"<code, optional>"}`); err != nil {
		h.fail(w, req, err)
		return
	}
	if !h.global.AllowN(h.cfg.Now(), chatStartBytes) {
		h.fail(w, req, errChatSaturated)
		return
	}
	st, err := h.chat.Start(req.Context(), in.Line, in.Language)
	if err != nil {
		h.fail(w, req, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ChatCookieName, Value: st.Token, Path: ChatAPIPrefix,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	h.json(w, http.StatusCreated, chatSessionResponse{Conversation: st.Session.ConversationID, Pseudonym: st.Pseudonym,
		ExpiresAt: st.Session.Expires})
}

// session handles GET /api/chat/session: whether the browser has a chat
// to resume (200) or not (401).
func (h *ChatHTTP) session(w http.ResponseWriter, req *http.Request) {
	s, err := h.authenticate(req)
	if err != nil {
		h.fail(w, req, err)
		return
	}
	h.json(w, http.StatusOK, chatSessionResponse{Conversation: s.ConversationID, Pseudonym: h.chat.Pseudonym(s), ExpiresAt: s.Expires})
}

// leave handles DELETE /api/chat/session: forget the session and the
// cookie, e.g. on a shared device. Without a session it still clears the
// cookie.
func (h *ChatHTTP) leave(w http.ResponseWriter, req *http.Request) {
	s, err := h.authenticate(req)
	if err == nil {
		err = h.chat.End(req.Context(), s)
	}
	if err == nil {
		// Its open streams (other tabs) end with it.
		h.streams.end(s.key)
	}
	if err != nil && !errors.Is(err, ErrChatNoSession) {
		h.fail(w, req, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ChatCookieName, Value: "", Path: ChatAPIPrefix, MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

type chatSendRequest struct {
	ID   string `json:"id"`
	Body string `json:"body"`
}

type chatSendResponse struct {
	ID        string `json:"id"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
}

// send handles POST /api/chat/messages. It answers 202 only once the
// message is durable in the log.
func (h *ChatHTTP) send(w http.ResponseWriter, req *http.Request) {
	s, err := h.authenticate(req)
	if err != nil {
		h.fail(w, req, err)
		return
	}
	var in chatSendRequest
	if err := h.decode(w, req, &in, `{"body":"<your message>","id":"<your id for it, optional>"}`); err != nil {
		h.fail(w, req, err)
		return
	}
	now := h.cfg.Now()
	if ok, wait := h.sends.allow(s.key, now); !ok {
		h.fail(w, req, &chatRateLimited{wait: wait, what: "you are sending messages very fast; please wait a moment and send again"})
		return
	}
	if ok, wait := h.addrs.allow(chatClientAddr(req, h.cfg.ClientAddrHeader), now); !ok {
		h.fail(w, req, &chatRateLimited{wait: wait, what: "many messages are coming from your network; please wait a moment and send again"})
		return
	}
	if !h.global.AllowN(now, len(in.Body)) {
		h.fail(w, req, errChatSaturated)
		return
	}
	sent, err := h.chat.Send(req.Context(), s, in.ID, in.Body)
	if err != nil {
		h.fail(w, req, err)
		return
	}
	h.json(w, http.StatusAccepted, chatSendResponse{ID: sent.EventID, Seq: sent.Seq, Duplicate: sent.Duplicate})
}

// authenticate finds the session of the request's cookie.
func (h *ChatHTTP) authenticate(req *http.Request) (ChatSession, error) {
	c, err := req.Cookie(ChatCookieName)
	if err != nil {
		return ChatSession{}, ErrChatNoSession
	}
	return h.chat.Authenticate(req.Context(), c.Value)
}

// Errors of the HTTP layer itself.
var (
	errChatMediaType = errors.New("send the request body as application/json")
	errChatTooLarge  = errors.New("request body too large")
	errChatBusy      = errors.New("too many open chat streams; please try again shortly")
	errChatSaturated = errors.New("the chat is very busy; please try again in a minute, or text the line")
	errChatClosing   = errors.New("the service is restarting; please reconnect shortly")
)

// chatRateLimited is a refusal for now, with how long to wait.
type chatRateLimited struct {
	wait time.Duration
	what string
}

func (e *chatRateLimited) Error() string { return e.what }

// decode reads one JSON object of known fields into dst. Its errors never
// quote the body: shape is the expected form, shown instead.
func (h *ChatHTTP) decode(w http.ResponseWriter, req *http.Request, dst any, shape string) error {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != chatJSONMediaType {
		return errChatMediaType
	}
	body := http.MaxBytesReader(w, req.Body, h.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		// One object and nothing after it.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
			if errors.As(terr, new(*http.MaxBytesError)) {
				err = terr
			}
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.As(err, new(*http.MaxBytesError)):
		return errChatTooLarge
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the request body is empty; send a JSON object like %s", ErrBadInput, shape)
	case strings.Contains(err.Error(), "unknown field"):
		return fmt.Errorf("%w: the request body has a field this API does not know; send a JSON object like %s", ErrBadInput, shape)
	default:
		return fmt.Errorf("%w: the request body is not a JSON object like %s", ErrBadInput, shape)
	}
}

// fail maps an error to its status: the one place the chat does so.
// Messages are fixed texts; none quotes what the client sent.
func (h *ChatHTTP) fail(w http.ResponseWriter, req *http.Request, err error) {
	var limited *chatRateLimited
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(limited.wait)))
		h.reject(w, req, http.StatusTooManyRequests, limited.what)
	case errors.Is(err, ErrBadInput):
		h.reject(w, req, http.StatusBadRequest, err.Error())
	case errors.Is(err, errChatMediaType):
		h.reject(w, req, http.StatusUnsupportedMediaType, err.Error())
	case errors.Is(err, errChatTooLarge):
		h.reject(w, req, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, ErrChatNoSession):
		h.reject(w, req, http.StatusUnauthorized, "no chat session, or it has expired; please start a new chat")
	case errors.Is(err, ErrUnknownLine):
		h.reject(w, req, http.StatusNotFound, "there is no such line")
	case errors.Is(err, events.ErrClosed):
		h.reject(w, req, http.StatusConflict, "this conversation has ended; please start a new chat if you want to talk again")
	case errors.Is(err, events.ErrNotFound), errors.Is(err, keyring.ErrErased):
		h.reject(w, req, http.StatusGone, "this chat is no longer available; please start a new chat")
	case errors.Is(err, ErrChatFull):
		h.reject(w, req, http.StatusConflict, "this chat has reached its length limit; please start a new chat to go on")
	case errors.Is(err, errChatBusy), errors.Is(err, errChatClosing), errors.Is(err, errChatSaturated):
		w.Header().Set("Retry-After", "5")
		h.reject(w, req, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, events.ErrUnavailable), errors.Is(err, events.ErrConcurrency):
		h.logger.Error().Err(err).Str("route", req.Pattern).Msg("web chat: event log unavailable")
		w.Header().Set("Retry-After", "2")
		h.json(w, http.StatusServiceUnavailable, chatError{"temporarily unavailable; please try again"})
	default:
		h.logger.Error().Err(err).Str("route", req.Pattern).Msg("web chat failed")
		h.json(w, http.StatusInternalServerError, chatError{"something went wrong on our side; please try again"})
	}
}

type chatError struct {
	Error string `json:"error"`
}

func (h *ChatHTTP) reject(w http.ResponseWriter, req *http.Request, code int, msg string) {
	// Route patterns only, never the URL; the reason is one of our texts.
	// A page opened without a chat asks for its session and gets 401:
	// ordinary, so only a debug line.
	lvl := zerolog.InfoLevel
	if code == http.StatusUnauthorized {
		lvl = zerolog.DebugLevel
	}
	h.logger.WithLevel(lvl).Int("status", code).Str("route", req.Pattern).Str("reason", msg).Msg("web chat request refused")
	h.json(w, code, chatError{msg})
}

func (h *ChatHTTP) json(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", chatJSONMediaType+"; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
