package ingestion

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// Web chat: clients without SMS write to a line from its web page. A
// web-chat client has no phone number, so its client id is random rather
// than a keyed hash of a number: nothing links two chats of one person, and
// nothing needs to. The browser holds a random bearer token in a cookie;
// the server keeps only the token's SHA-256, mapped to the client and its
// one conversation, and forgets it after the session's time to live.

// Errors the chat's HTTP port maps to status codes (besides ErrBadInput,
// ErrUnknownLine and the events and keyring sentinels).
var (
	// ErrChatNoSession means the request carries no token, or one that is
	// unknown or expired.
	ErrChatNoSession = errors.New("no chat session")
	// ErrChatFull means the chat holds as many messages as one chat may:
	// the log cannot be pruned, so an anonymous session cannot write to
	// it without end.
	ErrChatFull = errors.New("this chat has reached its length limit")
)

// ChatLines finds a line by its id.
type ChatLines interface {
	LineByID(id string) (config.Line, bool)
}

// ChatPseudonyms gives the label staff see for a client (KeyringIdentities
// is one).
type ChatPseudonyms interface {
	Pseudonym(clientID string) string
}

// ChatKeys seals and opens content with one client's data key (the
// keyring).
type ChatKeys interface {
	Sealer
	Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error)
}

// ChatLog is the event log as the chat uses it: append, load one
// conversation, and read a subject's history.
type ChatLog interface {
	Log
	Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error)
}

// ChatFeed follows a subject live: it calls fn for every event stored on
// subject after sequence after, in order, never concurrently, and never
// after Follow has returned. It returns when ctx ends (with ctx's error) or
// when fn returns an error (with that error).
type ChatFeed interface {
	Follow(ctx context.Context, subject string, after uint64, fn func(events.Envelope) error) error
}

// ChatSessions stores sessions under the SHA-256 of their token.
type ChatSessions interface {
	// Create stores a new session; it fails if the key exists.
	Create(ctx context.Context, key string, s ChatSession) error
	// Get returns the session, or ErrChatNoSession.
	Get(ctx context.Context, key string) (ChatSession, error)
	// Update replaces a stored session, or returns ErrChatNoSession when
	// it is gone (never bringing back one the client left).
	Update(ctx context.Context, key string, s ChatSession) error
	// Delete forgets the session; deleting a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// ChatSession is what a token stands for. It holds ids only.
type ChatSession struct {
	ClientID       string    `json:"client_id"`
	ConversationID string    `json:"conversation_id"`
	LineID         string    `json:"line_id"`
	Language       string    `json:"language,omitempty"`
	Created        time.Time `json:"created"`
	Expires        time.Time `json:"expires"`

	// key is the token's hash the session is stored under; not stored.
	key string
}

// ChatConfig configures the web chat use cases.
type ChatConfig struct {
	// DefaultLine is the line a chat reaches when the client names none:
	// the first line of the configuration file.
	DefaultLine string
	// SessionTTL is how long a chat token is valid after the chat started;
	// default DefaultChatSessionTTL.
	SessionTTL time.Duration
	// MaxMessages is how many messages one chat takes from its client;
	// default 500 (a long conversation is a few hundred). Past it a new
	// chat must be started, which the per-address start limit bounds.
	MaxMessages int
}

// DefaultChatSessionTTL is how long a web chat session lasts by default.
const DefaultChatSessionTTL = 24 * time.Hour

// SetDefaults fills unset fields.
func (c *ChatConfig) SetDefaults() {
	c.SessionTTL = cmp.Or(c.SessionTTL, DefaultChatSessionTTL)
	c.MaxMessages = cmp.Or(c.MaxMessages, 500)
}

// Validate reports a configuration that cannot work.
func (c ChatConfig) Validate() error {
	if c.DefaultLine == "" {
		return errors.New("chat: no default line")
	}
	if c.MaxMessages < 1 {
		return fmt.Errorf("chat: max messages %d: want at least 1", c.MaxMessages)
	}
	if c.SessionTTL < time.Minute {
		return fmt.Errorf("chat: session TTL %s: want at least 1m", c.SessionTTL)
	}
	return nil
}

// ChatDeps are the adapters the chat use cases run on.
type ChatDeps struct {
	Lines      ChatLines
	Pseudonyms ChatPseudonyms
	Keys       ChatKeys
	Log        ChatLog
	Feed       ChatFeed
	Sessions   ChatSessions
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Chat holds the web chat use cases: start a chat, send a message, follow
// the conversation, leave.
type Chat struct {
	cfg     ChatConfig
	d       ChatDeps
	convs   *events.Conversations
	clients *events.Clients
	logger  zerolog.Logger
}

// NewChat wires the use cases and checks the configuration.
func NewChat(cfg ChatConfig, d ChatDeps, logger zerolog.Logger) (*Chat, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Lines == nil || d.Pseudonyms == nil || d.Keys == nil || d.Log == nil || d.Feed == nil || d.Sessions == nil {
		return nil, errors.New("chat: a dependency is missing")
	}
	if _, ok := d.Lines.LineByID(cfg.DefaultLine); !ok {
		return nil, fmt.Errorf("chat: default line %q is not configured", cfg.DefaultLine)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	convs, err := events.NewConversations(d.Log, events.DefaultConversationCacheSize)
	if err != nil {
		return nil, err
	}
	return &Chat{cfg: cfg, d: d, convs: convs, clients: events.NewClients(d.Log), logger: logger.With().Str("svc", "ingestion").Str("channel", events.ChannelWebChat).Logger()}, nil
}

// Line returns the line a chat for lineID reaches: the default line when
// lineID is empty.
func (c *Chat) Line(lineID string) (config.Line, bool) {
	lineID = cmp.Or(lineID, c.cfg.DefaultLine)
	return c.d.Lines.LineByID(lineID)
}

// Pseudonym returns the label staff see for the session's client.
func (c *Chat) Pseudonym(s ChatSession) string { return c.d.Pseudonyms.Pseudonym(s.ClientID) }

// ChatStarted is a new chat: the token is the client's only credential and
// is never stored.
type ChatStarted struct {
	Session   ChatSession
	Pseudonym string
	Token     string
}

// chatLanguage is a BCP 47 style tag kept short: "en", "pt-BR", "zh-Hant".
var chatLanguage = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$`)

// Start opens an anonymous conversation: a new client (random id, its
// pseudonym, no contact) and its conversation, both durable in the log
// before the session exists. If the session cannot be stored, the
// conversation stays in the log without a client who can write to it.
func (c *Chat) Start(ctx context.Context, lineID, language string) (ChatStarted, error) {
	line, ok := c.Line(lineID)
	if !ok {
		return ChatStarted{}, ErrUnknownLine
	}
	if language != "" && !chatLanguage.MatchString(language) {
		return ChatStarted{}, fmt.Errorf("%w: language must be a code like \"en\" or \"pt-BR\"", ErrBadInput)
	}
	now := c.d.Now()
	s := ChatSession{ClientID: events.NewID(), ConversationID: "cv-" + events.NewID(), LineID: line.ID, Language: language,
		Created: now.UTC(), Expires: now.Add(c.cfg.SessionTTL).UTC()}
	pseudonym := c.d.Pseudonyms.Pseudonym(s.ClientID)
	meta := events.Meta{CorrelationID: s.ConversationID, OccurredAt: now}
	// Both ids are new and random: each registers and starts once.
	if _, err := c.clients.Create(ctx, s.ClientID, func(cl *events.Client) error {
		return cl.Register(line.ID, pseudonym, events.ChannelWebChat, events.Sealed{KeyID: s.ClientID}, meta)
	}); err != nil {
		return ChatStarted{}, err
	}
	if _, err := c.convs.Create(ctx, s.ConversationID, func(conv *events.Conversation) error {
		return conv.Start(line.ID, s.ClientID, pseudonym, events.ChannelWebChat, meta)
	}); err != nil {
		return ChatStarted{}, err
	}
	token := newChatToken()
	s.key = chatTokenKey(token)
	if err := c.d.Sessions.Create(ctx, s.key, s); err != nil {
		return ChatStarted{}, fmt.Errorf("store chat session: %w", err)
	}
	c.logger.Info().Str("line", line.ID).Str("client", pseudonym).Str("conversation", s.ConversationID).Msg("web chat started")
	return ChatStarted{Session: s, Pseudonym: pseudonym, Token: token}, nil
}

// Authenticate returns the session a token stands for, or ErrChatNoSession
// when the token is malformed, unknown or expired.
func (c *Chat) Authenticate(ctx context.Context, token string) (ChatSession, error) {
	if !validChatToken(token) {
		return ChatSession{}, ErrChatNoSession
	}
	key := chatTokenKey(token)
	s, err := c.d.Sessions.Get(ctx, key)
	if err != nil {
		return ChatSession{}, err
	}
	s.key = key
	// The bucket's TTL removes old sessions eventually; this check makes
	// expiry exact, by our clock.
	if !c.d.Now().Before(s.Expires) {
		return ChatSession{}, ErrChatNoSession
	}
	return s, nil
}

// End forgets the session: the token no longer works. The conversation
// stays open for the line's team, who can still read it.
func (c *Chat) End(ctx context.Context, s ChatSession) error {
	if err := c.d.Sessions.Delete(ctx, s.key); err != nil {
		return fmt.Errorf("delete chat session: %w", err)
	}
	c.logger.Info().Str("conversation", s.ConversationID).Str("client", c.Pseudonym(s)).Msg("web chat left")
	return nil
}

// sessionEnded reports whether the session stored under key is gone or
// expired: left through another replica, say. A failing store is not an
// end.
func (c *Chat) sessionEnded(ctx context.Context, key string) (bool, error) {
	s, err := c.d.Sessions.Get(ctx, key)
	if errors.Is(err, ErrChatNoSession) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return !c.d.Now().Before(s.Expires), nil
}

// maxChatBodyChars matches SMS: a chat message is at most 1,600 characters.
const maxChatBodyChars = 1600

// ChatSent says where a message went. It holds no content.
type ChatSent struct {
	EventID   string
	Seq       uint64
	Duplicate bool
}

// Send records a message from the client durably: when it returns nil the
// message is in the log. The body is sealed with the client's key and the
// event's id. clientMsgID, when given, makes the send idempotent: the same
// id in the same conversation is the same event (a double click, a retry
// after a lost response), whatever the body of the repeat.
//
// A message soon after a worker closed the conversation reopens it (the
// line's reopen window); later, it opens the client's next conversation,
// as an SMS does: the same client, so the same pseudonym, and the session
// follows it. The next conversation's id derives from the closed one's,
// so sends racing each other, and a retry of one, all land in the same.
func (c *Chat) Send(ctx context.Context, s ChatSession, clientMsgID, body string) (ChatSent, error) {
	if err := validateChatBody(body); err != nil {
		return ChatSent{}, err
	}
	// Never echo the id: the message is fixed.
	if clientMsgID != "" && events.ValidateID(clientMsgID) != nil {
		return ChatSent{}, fmt.Errorf("%w: id must be 1-64 characters of letters, digits, '_' or '-'", ErrBadInput)
	}
	randomID := "wc-" + events.NewID()
	convID := s.ConversationID
	for range maxChatHops {
		sent, err := c.sendTo(ctx, s, convID, randomID, clientMsgID, body)
		if errors.Is(err, events.ErrClosed) {
			convID = nextChatConversation(convID)
			continue
		}
		if err != nil || convID == s.ConversationID {
			return sent, err
		}
		// The message is in the log; a session that fails to follow is
		// found again through the same ids at the next send.
		moved := s
		moved.ConversationID = convID
		if err := c.d.Sessions.Update(ctx, s.key, moved); err != nil && !errors.Is(err, ErrChatNoSession) {
			c.logger.Warn().Err(err).Str("conversation", convID).Msg("web chat session not moved to the new conversation")
		}
		c.logger.Info().Str("conversation", convID).Str("previous", s.ConversationID).Str("client", c.Pseudonym(s)).
			Msg("web chat opened a new conversation after the reopen window")
		return sent, nil
	}
	return ChatSent{}, fmt.Errorf("conversation %s: %d closed conversations in a row: %w", s.ConversationID, maxChatHops, events.ErrClosed)
}

// maxChatHops bounds how many closed conversations of a session one send
// walks past (each closed within the seconds before it): more is a fault.
const maxChatHops = 8

// nextChatConversation is the id of the conversation a chat client's
// message opens once conversation id has closed for longer than the
// line's reopen window.
func nextChatConversation(id string) string { return "cv-" + events.DerivedID("webchat-next", id) }

// sendTo records the message in conversation convID: the session's own,
// or (any other id) the next one, which it starts if needed.
func (c *Chat) sendTo(ctx context.Context, s ChatSession, convID, randomID, clientMsgID, body string) (ChatSent, error) {
	eventID := randomID
	if clientMsgID != "" {
		eventID = chatMessageID(convID, clientMsgID)
	}
	meta := events.Meta{CorrelationID: eventID, OccurredAt: c.d.Now()}
	line, _ := c.Line(s.LineID)
	var sealed []byte
	decide := func(conv *events.Conversation) error {
		if !conv.Started && convID != s.ConversationID {
			if err := conv.Start(line.ID, s.ClientID, c.Pseudonym(s), events.ChannelWebChat, meta); err != nil {
				return err
			}
		}
		if !conv.Started || conv.ClientID != s.ClientID {
			return fmt.Errorf("conversation %s: %w", convID, events.ErrNotFound)
		}
		seen, err := conv.Seen(eventID)
		if err != nil {
			return err
		}
		if !seen && conv.MessagesSeen >= c.cfg.MaxMessages {
			return ErrChatFull
		}
		if !seen && sealed == nil {
			var err error
			if sealed, err = c.d.Keys.Seal(ctx, s.ClientID, []byte(body), events.BodyAAD(eventID)); err != nil {
				return fmt.Errorf("seal body: %w", err)
			}
		}
		return conv.Receive(eventID, "", events.Sealed{KeyID: s.ClientID, Data: sealed}, line.ReopenWindow.Duration, meta)
	}
	update := c.convs.Update
	if convID != s.ConversationID {
		update = c.convs.Create // most likely new
	}
	saved, err := update(ctx, convID, decide)
	if err != nil {
		return ChatSent{}, err
	}
	if len(saved.Appended) == 0 {
		// A repeat the conversation holds already, however long after.
		return ChatSent{EventID: eventID, Seq: saved.State.Messages[eventID], Duplicate: true}, nil
	}
	c.logger.Info().Str("conversation", convID).Str("client", c.Pseudonym(s)).Str("event", eventID).
		Bool("duplicate", saved.Duplicate()).Msg("web chat message received")
	return ChatSent{EventID: eventID, Seq: saved.Seq(), Duplicate: saved.Duplicate()}, nil
}

func validateChatBody(body string) error {
	switch {
	case !utf8.ValidString(body):
		return fmt.Errorf("%w: message is not valid UTF-8", ErrBadInput)
	case strings.TrimSpace(body) == "":
		return fmt.Errorf("%w: message is empty", ErrBadInput)
	case utf8.RuneCountInString(body) > maxChatBodyChars:
		return fmt.Errorf("%w: message is longer than %d characters", ErrBadInput, maxChatBodyChars)
	}
	return nil
}

// chatIDEncoding is the alphabet of events.NewID: lowercase base32.
var chatIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// chatMessageID derives a message's event id from the client's own id,
// scoped to the conversation: a client cannot choose another event's id
// (the log's dedupe is stream-wide), and one id in two chats is two
// messages.
func chatMessageID(conversationID, clientMsgID string) string {
	sum := sha256.Sum256([]byte("helpline/webchat/v1\x00" + conversationID + "\x00" + clientMsgID))
	return "wc-" + strings.ToLower(chatIDEncoding.EncodeToString(sum[:16]))
}

// Chat items: what the client's page is shown.
const (
	ChatItemMessage = "message" // the client's own message
	ChatItemReply   = "reply"   // a worker's reply
	ChatItemClosed  = "closed"  // the conversation ended
	ChatItemReady   = "ready"   // the history is sent; what follows is live
)

// ChatItem is one thing the client sees. It never carries a staff id, a
// surname or a number: a reply shows its text and the worker's first name
// at most.
type ChatItem struct {
	Kind string `json:"-"`
	// Seq is the event's stream sequence (0 for ready).
	Seq uint64 `json:"-"`
	// ID is the event id: the same message is the same id, live or
	// replayed, and it is what Send returned.
	ID         string    `json:"id,omitempty"`
	From       string    `json:"from,omitempty"` // "you" or "team"
	SenderName string    `json:"sender_name,omitempty"`
	Text       string    `json:"text,omitempty"`
	At         time.Time `json:"at,omitzero"`
	// Unavailable is set when a body can no longer be read (the client
	// was erased): the item is shown without text.
	Unavailable bool `json:"unavailable,omitempty"`
}

// errChatStreamEnd stops a stream after the conversation closed.
var errChatStreamEnd = errors.New("chat stream ends")

// Remaining is how long session s has left, on the chat's clock.
func (c *Chat) Remaining(s ChatSession) time.Duration { return s.Expires.Sub(c.d.Now()) }

// Stream shows the conversation to its client: first its history after
// sequence after (what the client has not seen yet), then a ready item,
// then new items live. It ends after the closed item, which is always
// sent, even when at or before after, so a page that reconnects to an
// ended conversation learns it has ended. It returns nil when ctx ends,
// and an error when the log fails. emit is called from one goroutine at a
// time and never after Stream returns.
func (c *Chat) Stream(ctx context.Context, s ChatSession, after uint64, emit func(ChatItem) error) error {
	subject := events.Subject(events.AggregateConversation, s.ConversationID)
	var st chatState
	handle := func(e events.Envelope) error {
		it, ok := c.item(ctx, s, &st, e)
		if !ok {
			return nil
		}
		if e.Sequence > after || it.Kind == ChatItemClosed {
			if err := emit(it); err != nil {
				return err
			}
		}
		if it.Kind == ChatItemClosed {
			return errChatStreamEnd
		}
		return nil
	}
	// The history ends the stream only when the conversation is closed
	// still: a client's message soon after a close reopened it.
	var closed *ChatItem
	history := func(e events.Envelope) error {
		switch e.Type {
		case events.TypeConversationClosed:
			if it, ok := c.item(ctx, s, &st, e); ok {
				closed = &it
			}
			return nil
		case events.TypeConversationReopened:
			closed = nil
			return nil
		}
		return handle(e)
	}
	last, err := c.d.Log.Read(ctx, subject, 0, history)
	if err == nil && closed != nil {
		// Always sent, even when the client saw it before: then the page
		// stops.
		if err := emit(*closed); err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	}
	if err == nil {
		err = emit(ChatItem{Kind: ChatItemReady})
	}
	if err == nil {
		err = c.d.Feed.Follow(ctx, subject, last, handle)
	}
	if errors.Is(err, errChatStreamEnd) || ctx.Err() != nil {
		return nil
	}
	return err
}

// chatState is what a stream keeps of the events before the one it shows:
// the latest out-of-hours contact, which an automatic reply answers.
type chatState struct {
	ooh events.OutOfHoursContactRecorded
}

// item turns an event into what the client sees, if anything.
func (c *Chat) item(ctx context.Context, s ChatSession, st *chatState, e events.Envelope) (ChatItem, bool) {
	p, err := e.Decode()
	if err != nil {
		c.logger.Warn().Err(err).Str("conversation", s.ConversationID).Uint64("seq", e.Sequence).Msg("skip undecodable event")
		return ChatItem{}, false
	}
	it := ChatItem{Seq: e.Sequence, ID: e.ID, At: e.OccurredAt}
	switch p := p.(type) {
	case events.MessageReceived:
		if p.ClientID != s.ClientID {
			return ChatItem{}, false
		}
		it.Kind, it.From = ChatItemMessage, "you"
		it.Text, it.Unavailable = c.open(ctx, s, e, p.Body)
	case events.ReplyRequested:
		it.Kind, it.From, it.SenderName = ChatItemReply, "team", chatFirstName(p.SenderName)
		it.Text, it.Unavailable = c.open(ctx, s, e, p.Body)
	case events.ConversationClosed:
		it.Kind = ChatItemClosed
	case events.OutOfHoursContactRecorded:
		st.ooh = p
		return ChatItem{}, false
	case events.MessageSent:
		text, ok := c.automatic(s, st, p)
		if !ok {
			return ChatItem{}, false
		}
		it.Kind, it.From, it.Text = ChatItemReply, "team", text
	default:
		return ChatItem{}, false
	}
	return it, true
}

// automatic is the text of an automatic reply the notification service
// recorded as sent to a web chat, as an SMS client gets it: the line's
// out-of-hours text (when it opens again, as the contact it answers said)
// or its crisis text, in the contact's or the chat's language.
func (c *Chat) automatic(s ChatSession, st *chatState, p events.MessageSent) (string, bool) {
	line, ok := c.Line(s.LineID)
	if p.Kind != events.SendAutoReply || p.Recipient != events.RecipientClient || !ok {
		return "", false
	}
	lang := cmp.Or(st.ooh.Language, s.Language)
	switch {
	case strings.HasPrefix(p.SendID, events.CrisisSendPrefix):
		return line.CrisisText(s.Language), true
	case strings.HasPrefix(p.SendID, events.OutOfHoursSendPrefix):
		loc, err := time.LoadLocation(line.Timezone)
		if err != nil {
			return "", false
		}
		return line.OutOfHoursText(lang, config.DescribeOpening(st.ooh.NextOpen, loc, lang)), true
	}
	return "", false
}

// open decrypts a body sealed for this client and this event; anything
// else is shown as unavailable, never as another client's text.
func (c *Chat) open(ctx context.Context, s ChatSession, e events.Envelope, body events.Sealed) (string, bool) {
	if body.KeyID != s.ClientID {
		c.logger.Warn().Str("conversation", s.ConversationID).Str("event", e.ID).Msg("body sealed for another client: not shown")
		return "", true
	}
	plain, err := c.d.Keys.Open(ctx, s.ClientID, body.Data, events.BodyAAD(e.ID))
	if err != nil {
		c.logger.Warn().Err(err).Str("conversation", s.ConversationID).Str("event", e.ID).Msg("body cannot be opened: not shown")
		return "", true
	}
	return string(plain), false
}

// chatFirstName is what a client may see of a worker's name: the first
// word, and nothing that looks like a number, an address or a handle. The
// console should only ever record a first name; this is the last check.
func chatFirstName(name string) string {
	fields := strings.Fields(name)
	if len(fields) == 0 {
		return ""
	}
	first := fields[0]
	for _, r := range first {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '-' && r != '\'' && r != '’' && r != '.' {
			return ""
		}
	}
	if utf8.RuneCountInString(first) > 32 {
		return ""
	}
	return first
}

// chatTokenBytes is the token's entropy: 256 bits.
const chatTokenBytes = 32

var chatTokenEncoding = base64.RawURLEncoding

func newChatToken() string {
	b := make([]byte, chatTokenBytes)
	// crypto/rand.Read never returns an error (Go 1.24+): it crashes the
	// program irrecoverably instead if the system's source fails.
	_, _ = rand.Read(b)
	return chatTokenEncoding.EncodeToString(b)
}

func validChatToken(token string) bool {
	if len(token) != chatTokenEncoding.EncodedLen(chatTokenBytes) {
		return false
	}
	_, err := chatTokenEncoding.DecodeString(token)
	return err == nil
}

// chatTokenKey is where a token's session is stored: its SHA-256 in hex.
// The token itself is never stored or logged.
func chatTokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
