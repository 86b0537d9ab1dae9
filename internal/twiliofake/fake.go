// Package twiliofake is a local, in-memory stand-in for Twilio Programmable
// Messaging and Voice: a REST endpoint twilio-go can send SMS and place calls
// through, signed status callbacks, inbound-SMS webhooks and key presses on a
// call's <Gather>, fault injection for tests (refused requests, undelivered
// messages, unanswered calls), and a sandbox page for trying the helpline by
// hand. It is for development and tests only.
package twiliofake

import (
	"cmp"
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
	// a StatusCallback URL. Messages to a number given to FailDeliveries go on
	// to their failure whether or not DeliverStatus is set; calls always ring.
	DeliverStatus bool
	// CallbackQueue bounds the messages and calls waiting for status changes;
	// beyond it they stay "queued" (and a warning is logged). Zero means
	// DefaultCallbackQueue.
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
	c.AccountSID = cmp.Or(c.AccountSID, newSID("AC"))
	c.AuthToken = cmp.Or(c.AuthToken, randomHex(16))
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
	SID                 string `json:"sid"`
	AccountSID          string `json:"account_sid"`
	From                string `json:"from"`
	To                  string `json:"to"`
	MessagingServiceSID string `json:"messaging_service_sid,omitempty"`
	Body                string `json:"body"`
	StatusCallback      string `json:"status_callback,omitempty"`
	Status              string `json:"status"`
	NumSegments         int    `json:"num_segments"`
	// ErrorCode is Twilio's error code for an undelivered or failed message.
	ErrorCode int       `json:"error_code,omitempty"`
	SentAt    time.Time `json:"sent_at"`
	// ViaTwiML is true when the message came from a TwiML <Message> in a webhook
	// answer rather than from the REST API.
	ViaTwiML bool `json:"via_twiml,omitempty"`
}

type fault struct{ status, code, left int }

// outcome is how deliveries or calls to a number end.
type outcome struct {
	status string
	code   int
}

// Fake is a Twilio stand-in. Its ServeHTTP serves the REST API; it is safe for
// concurrent use. Call Close when done.
type Fake struct {
	cfg    Config
	logger zerolog.Logger
	mux    *http.ServeMux

	mu          sync.Mutex
	messages    []SentMessage
	index       map[string]int
	calls       []*callRecord
	callIndex   map[string]int
	changed     chan struct{} // closed and replaced at every change
	subs        map[int]subscriber
	nextSub     int
	faults      []fault
	optedOut    map[string]bool
	undelivered map[string]outcome // by number: how messages to it end
	unanswered  map[string]outcome // by number: how calls to it end
	held        map[string]int     // by number: messages whose answer is held (HoldAnswer)
	// lastInbound is when a WhatsApp address last wrote to a sender, by
	// "client sender": the 24-hour window.
	lastInbound map[string]time.Time
	closed      bool

	jobs      chan func()     // status changes to make: message deliveries, calls ringing
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
		cfg:         cfg,
		logger:      logger.With().Str("component", "twiliofake").Logger(),
		index:       map[string]int{},
		callIndex:   map[string]int{},
		changed:     make(chan struct{}),
		subs:        map[int]subscriber{},
		optedOut:    map[string]bool{},
		undelivered: map[string]outcome{},
		unanswered:  map[string]outcome{},
		held:        map[string]int{},
		lastInbound: map[string]time.Time{},
		jobs:        make(chan func(), cfg.CallbackQueue),
		ctx:         ctx,
		cancel:      cancel,
	}
	f.mux = f.routes()
	for range callbackWorkers {
		f.wg.Go(f.work)
	}
	return f
}

// AccountSID returns the account SID the fake accepts.
func (f *Fake) AccountSID() string { return f.cfg.AccountSID }

// AuthToken returns the auth token the fake accepts and signs with.
func (f *Fake) AuthToken() string { return f.cfg.AuthToken }

// ServeHTTP serves Twilio's REST API paths under /2010-04-01/.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

// Close stops status delivery and calls ringing (pending callbacks are
// dropped) and ends every subscription. The REST API keeps answering.
func (f *Fake) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		f.wg.Wait()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.closed = true
		for id, sub := range f.subs {
			sub.close()
			delete(f.subs, id)
		}
	})
	return nil
}

// Sent returns every message accepted so far, oldest first (an empty
// list, not nil, before the first: the sandbox's JSON is then [], as its
// contract says, not null).
func (f *Fake) Sent() []SentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SentMessage{}, f.messages...)
}

// WaitFor returns the first message (oldest first, in its current state) for
// which pred is true, waiting for new messages and status changes until ctx ends.
func (f *Fake) WaitFor(ctx context.Context, pred func(SentMessage) bool) (SentMessage, error) {
	return waitFor(ctx, f, "message", func() []SentMessage { return slices.Clone(f.messages) }, pred)
}

// record stores a new message and tells waiters and subscribers.
func (f *Fake) record(m SentMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index[m.SID] = len(f.messages)
	f.messages = append(f.messages, m)
	f.notifyLocked(Update{Message: &m})
}

// setStatus changes a message's status and error code, and tells waiters and
// subscribers.
func (f *Fake) setStatus(sid, status string, code int) (SentMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.index[sid]
	if !ok {
		return SentMessage{}, false
	}
	f.messages[i].Status, f.messages[i].ErrorCode = status, code
	m := f.messages[i]
	f.notifyLocked(Update{Message: &m})
	return m, true
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

// enqueue queues a status job for the workers; a full queue leaves the
// message or call as it is, with a warning.
func (f *Fake) enqueue(sid string, job func()) {
	select {
	case f.jobs <- job:
	default:
		f.logger.Warn().Str("sid", sid).Msg("status queue full; left as it is")
	}
}

// work runs status jobs until Close.
func (f *Fake) work() {
	for {
		select {
		case <-f.ctx.Done():
			return
		case job := <-f.jobs:
			job()
		}
	}
}

func newSID(prefix string) string { return prefix + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
