// Package twiliofake is a local, in-memory stand-in for Twilio Programmable
// Messaging: a REST endpoint twilio-go can send SMS through, signed status
// callbacks and inbound-SMS webhooks, fault injection for tests, and a sandbox
// page for trying the helpline by hand. It is for development and tests only.
package twiliofake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Defaults for Config's zero values.
const (
	// DefaultWebhookTimeout is Twilio's own total timeout for a webhook.
	DefaultWebhookTimeout = 15 * time.Second
	DefaultCallbackQueue  = 256
	callbackWorkers       = 2
	subscriberBuffer      = 64
)

var alphanumeric = regexp.MustCompile(`^[a-zA-Z0-9]*$`)

// Config configures a Fake.
type Config struct {
	// AccountSID and AuthToken are the credentials the fake accepts and signs
	// webhooks with. Empty means a random value (read it back with AccountSID and
	// AuthToken).
	AccountSID string
	AuthToken  string
	// MessagingServiceSID, if set, is added to inbound webhooks.
	MessagingServiceSID string
	// DeliverStatus makes every accepted message go on to "sent" then
	// "delivered", posting a signed status callback for each when the message has
	// a StatusCallback URL.
	DeliverStatus bool
	// CallbackQueue bounds the messages waiting for status delivery; beyond it
	// they stay "queued" (and a warning is logged). Zero means DefaultCallbackQueue.
	CallbackQueue int
	// HTTPClient posts webhooks and status callbacks. Nil means a client with
	// DefaultWebhookTimeout.
	HTTPClient *http.Client
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Validate reports the first problem with the configuration.
func (c Config) Validate() error {
	if !alphanumeric.MatchString(c.AccountSID) || !alphanumeric.MatchString(c.AuthToken) {
		return errors.New("account SID and auth token must be alphanumeric (twilio-go refuses others)")
	}
	if c.CallbackQueue < 0 {
		return fmt.Errorf("callback queue %d is negative", c.CallbackQueue)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.AccountSID == "" {
		c.AccountSID = newSID("AC")
	}
	if c.AuthToken == "" {
		c.AuthToken = randomHex(16)
	}
	if c.CallbackQueue <= 0 {
		c.CallbackQueue = DefaultCallbackQueue
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// SentMessage is one SMS the fake accepted, as it stands now.
type SentMessage struct {
	SID                 string    `json:"sid"`
	AccountSID          string    `json:"account_sid"`
	From                string    `json:"from"`
	To                  string    `json:"to"`
	MessagingServiceSID string    `json:"messaging_service_sid,omitempty"`
	Body                string    `json:"body"`
	StatusCallback      string    `json:"status_callback,omitempty"`
	Status              string    `json:"status"`
	NumSegments         int       `json:"num_segments"`
	SentAt              time.Time `json:"sent_at"`
	// ViaTwiML is true when the message came from a TwiML <Message> in a webhook
	// answer rather than from the REST API.
	ViaTwiML bool `json:"via_twiml,omitempty"`
}

type fault struct{ status, code, left int }

// Fake is a Twilio stand-in. Its ServeHTTP serves the REST API; it is safe for
// concurrent use. Call Close when done.
type Fake struct {
	cfg    Config
	logger zerolog.Logger
	mux    *http.ServeMux

	mu       sync.Mutex
	messages []SentMessage
	index    map[string]int
	changed  chan struct{} // closed and replaced at every change
	subs     map[int]chan SentMessage
	nextSub  int
	faults   []fault
	optedOut map[string]bool
	closed   bool

	callbacks chan SentMessage
	ctx       context.Context // cancelled by Close: stops callback delivery
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var _ http.Handler = (*Fake)(nil)

// New returns a Fake. Zero fields of cfg take defaults; cfg.Validate is the
// caller's to check.
func New(cfg Config, logger zerolog.Logger) *Fake {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fake{
		cfg:       cfg,
		logger:    logger.With().Str("component", "twiliofake").Logger(),
		index:     map[string]int{},
		changed:   make(chan struct{}),
		subs:      map[int]chan SentMessage{},
		optedOut:  map[string]bool{},
		callbacks: make(chan SentMessage, cfg.CallbackQueue),
		ctx:       ctx,
		cancel:    cancel,
	}
	f.mux = f.routes()
	if cfg.DeliverStatus {
		for range callbackWorkers {
			f.wg.Go(f.deliverStatuses)
		}
	}
	return f
}

// AccountSID returns the account SID the fake accepts.
func (f *Fake) AccountSID() string { return f.cfg.AccountSID }

// AuthToken returns the auth token the fake accepts and signs with.
func (f *Fake) AuthToken() string { return f.cfg.AuthToken }

// ServeHTTP serves Twilio's REST API paths under /2010-04-01/.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

// Close stops status delivery (pending callbacks are dropped) and ends every
// subscription. The REST API keeps answering.
func (f *Fake) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		f.wg.Wait()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.closed = true
		for id, ch := range f.subs {
			close(ch)
			delete(f.subs, id)
		}
	})
	return nil
}

// Sent returns every message accepted so far, oldest first.
func (f *Fake) Sent() []SentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages)
}

// WaitFor returns the first message (oldest first, in its current state) for
// which pred is true, waiting for new messages and status changes until ctx ends.
func (f *Fake) WaitFor(ctx context.Context, pred func(SentMessage) bool) (SentMessage, error) {
	for {
		f.mu.Lock()
		msgs, changed := slices.Clone(f.messages), f.changed
		f.mu.Unlock()
		for _, m := range msgs {
			if pred(m) {
				return m, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return SentMessage{}, fmt.Errorf("wait for message: %w", ctx.Err())
		}
	}
}

// Subscribe returns a channel receiving every new message and every status
// change (the message in its new state), and a cancel func. A subscriber that
// falls more than a buffer behind has its channel closed: resync with Sent.
// Close also closes the channel.
func (f *Fake) Subscribe() (<-chan SentMessage, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan SentMessage, subscriberBuffer)
	if f.closed {
		close(ch)
		return ch, func() {}
	}
	id := f.nextSub
	f.nextSub++
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c, ok := f.subs[id]; ok {
			close(c)
			delete(f.subs, id)
		}
	}
}

// FailNext makes the next n create-message requests fail with HTTP status and
// Twilio error code (0: a code usual for the status, such as 20429 for 429).
// Calls queue up: FailNext(1, 429, 0) then FailNext(1, 500, 0) fails with 429,
// then 500.
func (f *Fake) FailNext(n, status, code int) {
	if n <= 0 {
		return
	}
	if code == 0 {
		code = defaultCode(status)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{status: status, code: code, left: n})
}

// OptOut makes sending to number fail with 400 / 21610, as after the recipient
// texted STOP. Unlike Twilio, which scopes an opt-out to the sender number or
// messaging service, the fake's opt-outs apply to every sender.
func (f *Fake) OptOut(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.optedOut[number] = true
}

// OptIn undoes OptOut, as after the recipient texted START.
func (f *Fake) OptIn(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.optedOut, number)
}

func (f *Fake) isOptedOut(number string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.optedOut[number]
}

// takeFault consumes the next injected fault, if any.
func (f *Fake) takeFault() (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.faults) == 0 {
		return fault{}, false
	}
	ft := f.faults[0]
	f.faults[0].left--
	if f.faults[0].left == 0 {
		f.faults = f.faults[1:]
	}
	return ft, true
}

// record stores a new message and tells waiters and subscribers.
func (f *Fake) record(m SentMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index[m.SID] = len(f.messages)
	f.messages = append(f.messages, m)
	f.notifyLocked(m)
}

// setStatus changes a message's status and tells waiters and subscribers.
func (f *Fake) setStatus(sid, status string) (SentMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index[sid]
	if !ok {
		return SentMessage{}, false
	}
	f.messages[i].Status = status
	f.notifyLocked(f.messages[i])
	return f.messages[i], true
}

func (f *Fake) message(sid string) (SentMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index[sid]
	if !ok {
		return SentMessage{}, false
	}
	return f.messages[i], true
}

func (f *Fake) notifyLocked(m SentMessage) {
	close(f.changed)
	f.changed = make(chan struct{})
	for id, ch := range f.subs {
		select {
		case ch <- m:
		default:
			// Too slow: cut it off rather than block the API or lose events silently.
			close(ch)
			delete(f.subs, id)
			f.logger.Warn().Int("subscriber", id).Msg("subscriber fell behind; closed")
		}
	}
}

func newSID(prefix string) string { return prefix + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
