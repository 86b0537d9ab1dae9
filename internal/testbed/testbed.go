// Package testbed assembles the real platform in one process for tests,
// through the composition root's platform (internal/app/platform): the
// embedded NATS server with JetStream (fsync on every write), the event
// store, the keyring, a configuration, ingestion's receiver, durable timers
// and consumer routers, all on an injectable clock; a whole process is
// built on a bed with app.Build and Config.Platform. Nothing in it is a
// mock.
package testbed

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/ingestion"
)

// Clock is a clock tests move by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Bed is one assembled platform.
type Bed struct {
	// Env is the bed's environment: the defaults, with the embedded
	// server in a temporary directory.
	Env      config.Env
	Platform *platform.Platform
	JS       jetstream.JetStream
	Store    *events.Store
	Keys     *keyring.Keyring
	Pseudo   *keyring.Pseudonymizer
	File     *config.File
	Receiver *ingestion.Receiver
	Clock    *Clock
}

// New assembles a platform for the configuration (YAML) at time at.
func New(t testing.TB, yamlConfig string, at time.Time) *Bed {
	t.Helper()
	ctx := context.Background()
	b := &Bed{Clock: NewClock(at)}
	var err error
	if b.Env, err = config.LoadEnv(config.MapLookup(map[string]string{config.VarDataDir: t.TempDir()})); err != nil {
		t.Fatal(err)
	}
	if b.File, err = config.ParseFile([]byte(yamlConfig)); err != nil {
		t.Fatal(err)
	}
	if b.Platform, err = platform.Open(ctx, platform.Config{Env: b.Env, Name: "testbed"}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Platform.Close)
	b.JS, b.Store = b.Platform.JS, b.Platform.Store
	if b.Keys, b.Pseudo, err = b.Platform.Keys(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Receiver, err = b.Platform.Receiver(ctx, b.File, b.Clock.Now); err != nil {
		t.Fatal(err)
	}
	return b
}

// Password is the password of the staff accounts tests register.
const Password = "correct horse battery staple"

// hashedPassword is Password hashed, once per test process.
var hashedPassword struct {
	once sync.Once
	hash string
	err  error
}

// PasswordHash returns Password hashed by hash (the console's
// HashPassword: testbed cannot import the console, whose read models'
// tests import testbed), computed once per test process: each argon2id
// hash costs 64 MiB and about half a second of CPU under the race
// detector, and a test's world registers several accounts. Signing in
// still compares with the real parameters.
func PasswordHash(hash func(password string) (string, error)) string {
	hashedPassword.once.Do(func() { hashedPassword.hash, hashedPassword.err = hash(Password) })
	if hashedPassword.err != nil {
		panic(hashedPassword.err)
	}
	return hashedPassword.hash
}

// Register records a staff account on the bed's log (id, name, one role,
// and the hash of its password), as an admin adding it would.
func (b *Bed) Register(t testing.TB, id, name, role, passwordHash string) {
	t.Helper()
	register := func(w *events.Worker) error {
		return w.Register(name, passwordHash, role, "test", events.Meta{OccurredAt: b.Clock.Now()})
	}
	if _, err := events.NewWorkers(b.Store).Update(context.Background(), id, register); err != nil {
		t.Fatal(err)
	}
}

// ConsumeConfig redelivers and retries quickly, so tests of failures
// finish soon.
func ConsumeConfig() consume.Config {
	return consume.Config{NackDelay: 20 * time.Millisecond, RetryWait: time.Millisecond}
}

var sids atomic.Int64

// SID returns a new Twilio-shaped message sid.
func SID() string { return fmt.Sprintf("SM%032x", sids.Add(1)) }

// Webhook posts form to target as Twilio posts a webhook, signed with
// authToken for target's URL, and returns the answer's status (its body
// read and closed). A request that gets no answer fails the test.
func Webhook(t testing.TB, target, authToken string, form url.Values) int {
	t.Helper()
	req, err := sms.NewWebhook(context.Background(), target, target, authToken, form)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Text brings a client's SMS in through ingestion, as its webhook would.
func (b *Bed) Text(t testing.TB, from, to, body string) ingestion.Receipt {
	t.Helper()
	rc, err := b.Receiver.ReceiveSMS(context.Background(), ingestion.InboundSMS{MessageSid: SID(), From: from, To: to, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// Update runs cmd on conversation conv as the console would: through the
// conversation repository, with meta at the bed's clock, correlated to
// conv.
func (b *Bed) Update(t testing.TB, conv string, cmd func(c *events.Conversation, m events.Meta) error) {
	t.Helper()
	convs, err := events.NewConversations(b.Store, 16)
	if err != nil {
		t.Fatal(err)
	}
	m := events.Meta{CorrelationID: conv, OccurredAt: b.Clock.Now()}
	if _, err := convs.Update(context.Background(), conv, func(c *events.Conversation) error { return cmd(c, m) }); err != nil {
		t.Fatal(err)
	}
}

// Reply records staffID's reply, signed senderName, in conversation conv
// as the console requests one: text sealed with the client's key, bound
// to the reply's event (events.BodyAAD of events.ReplyEventID(replyID));
// the process's SMS bridge, where one runs, sends it.
func (b *Bed) Reply(t testing.TB, conv, replyID, staffID, senderName, text string) {
	t.Helper()
	b.Update(t, conv, func(c *events.Conversation, m events.Meta) error {
		data, err := b.Keys.Seal(context.Background(), c.ClientID, []byte(text), events.BodyAAD(events.ReplyEventID(replyID)))
		if err != nil {
			return err
		}
		return c.RequestReply(replyID, staffID, senderName, events.Sealed{KeyID: c.ClientID, Data: data}, m)
	})
}

// Close closes conversation conv now on the bed's clock, as staffID's
// wrap-up would: outcome supported, categories reason:other and
// risk:none of its line's taxonomy.
func (b *Bed) Close(t testing.TB, conv, staffID string) {
	t.Helper()
	b.CloseAs(t, conv, staffID, "supported")
}

// CloseAs is Close with another outcome of the line's taxonomy.
func (b *Bed) CloseAs(t testing.TB, conv, staffID, outcome string) {
	t.Helper()
	b.Update(t, conv, func(c *events.Conversation, m events.Meta) error {
		l, _ := b.File.LineByID(c.LineID)
		return c.Close(staffID, events.WrapUp{Outcome: outcome, Categories: []string{"reason:other", "risk:none"}, SeenSeq: c.LastInboundSeq},
			l.Taxonomy, m)
	})
}

// Conversations returns a conversation repository of its own on the bed's
// log, for one service replica, and its follower of the log to run with
// the replica's handlers, as a process builds them (the platform's
// repository, followed by consume.FollowConversations).
func (b *Bed) Conversations(t testing.TB) (*events.Conversations, consume.Spec) {
	t.Helper()
	convs, err := events.NewConversations(b.Store, events.DefaultConversationCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	return convs, consume.FollowConversations(convs)
}

// Timers opens a timer bucket on the bed's clock.
func (b *Bed) Timers(t testing.TB, bucket string) *timers.Store {
	t.Helper()
	tm, err := timers.Open(context.Background(), b.JS, bucket, 1, b.Clock.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// Run starts a router for the handlers, as one service replica; the
// returned stop (also run at cleanup) ends it and waits.
func (b *Bed) Run(t testing.TB, specs []consume.Spec) (stop func()) {
	t.Helper()
	r, err := consume.NewRouter(b.JS, b.Store, ConsumeConfig(), specs, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return RunRouter(t, r)
}

// RunRouter runs r until the returned stop (also run at cleanup), which
// ends it and waits; it returns once r is running.
func RunRouter(t testing.TB, r *consume.Router) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	<-r.Running()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// Events returns every event of an aggregate type of the given event type.
func (b *Bed) Events(t testing.TB, aggregate, typ string) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	if _, err := b.Store.Read(context.Background(), events.AggregateSubjects(aggregate), 0, func(e events.Envelope) error {
		if typ == "" || e.Type == typ {
			out = append(out, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// WaitEvents waits until at least n conversation events of type typ exist.
func (b *Bed) WaitEvents(t testing.TB, typ string, n int) []events.Envelope {
	t.Helper()
	var got []events.Envelope
	poll.Until(t, 15*time.Second, func() error {
		if got = b.Events(t, events.AggregateConversation, typ); len(got) < n {
			return fmt.Errorf("%d %s, want %d", len(got), typ, n)
		}
		return nil
	})
	return got
}

// Payloads returns the payloads of conversation conv's events of type
// typ, in the log's order; typ's payload must be a P.
func Payloads[P events.Payload](t testing.TB, b *Bed, conv, typ string) []P {
	t.Helper()
	var out []P
	for _, e := range b.Events(t, events.AggregateConversation, typ) {
		if e.AggregateID == conv {
			out = append(out, Payload[P](t, e))
		}
	}
	return out
}

// Payload decodes e's payload, which must be a P.
func Payload[P events.Payload](t testing.TB, e events.Envelope) P {
	t.Helper()
	p, err := e.Decode()
	if err != nil {
		t.Fatal(err)
	}
	v, ok := p.(P)
	if !ok {
		t.Fatalf("%s is a %T", e.Type, p)
	}
	return v
}

// Reading is one content_read record of the audit trail, and who read:
// the staff member it is filed under.
type Reading struct {
	events.ContentRead
	StaffID string
}

// Readings returns the content_read records of store's audit trail,
// oldest first. Every record of the trail must decode.
func Readings(t testing.TB, store *events.Store) []Reading {
	t.Helper()
	var out []Reading
	if _, err := store.ReadAudit(context.Background(), 0, func(e events.Envelope) error {
		p, err := e.Decode()
		if cr, ok := p.(events.ContentRead); ok {
			out = append(out, Reading{ContentRead: cr, StaffID: e.AggregateID})
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
