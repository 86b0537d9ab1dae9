package natsauth_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/ingestion"
)

// violations collects what the server refused any connection of a test.
// The first ends the test's context, so that an operation refused fails
// at once instead of waiting out its retries.
type violations struct {
	mu     sync.Mutex
	errs   []error
	cancel context.CancelFunc
}

func (v *violations) option() nats.Option {
	return nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.errs = append(v.errs, err)
		v.cancel()
	})
}

func (v *violations) check(t *testing.T) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, err := range v.errs {
		t.Errorf("refused: %v", err)
	}
}

// platform is one role's view of the log.
type platform struct {
	js    jetstream.JetStream
	store *events.Store
}

func openAs(t *testing.T, ctx context.Context, url, dir string, r natsauth.Role, v *violations) platform {
	t.Helper()
	c := natsauth.Client{Role: r, NkeyFile: filepath.Join(dir, string(r)+natsauth.SeedExt), Name: "work-" + string(r)}
	nc, err := c.Connect(url, zerolog.Nop(), v.option())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	p := platform{js: js}
	if r == natsauth.Setup {
		if p.store, err = events.NewStore(ctx, js, events.StoreConfig{}, zerolog.Nop()); err != nil {
			t.Fatalf("setup creates the streams: %v", err)
		}
		if _, err := keyring.EnsureBucket(ctx, js, keyring.BucketConfig{}); err != nil {
			t.Fatalf("setup creates the keys bucket: %v", err)
		}
		return p
	}
	if p.store, err = events.OpenStore(ctx, js, events.StoreConfig{}, zerolog.Nop()); err != nil {
		t.Fatalf("%s opens the log: %v", r, err)
	}
	return p
}

func (p platform) keys(t *testing.T, ctx context.Context, master keyring.MasterKey) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(ctx, p.js, keyring.Config{Master: master}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// example is a catalogued event of type typ for aggregate id.
func example(t *testing.T, typ, id string) events.Envelope {
	t.Helper()
	d, ok := events.Lookup(typ, 1)
	if !ok {
		t.Fatalf("no event type %s", typ)
	}
	e, err := events.New(id, d.Example(), events.Meta{OccurredAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// consumeAll runs a router with handlers named names on conversation
// events until each has seen want events; the first event of each is
// dead-lettered once (a permanent failure).
func consumeAll(t *testing.T, ctx context.Context, p platform, names []string, want int) {
	t.Helper()
	seen := make([]atomic.Int64, len(names))
	var specs []consume.Spec
	for i, n := range names {
		specs = append(specs, consume.Spec{Name: n, Filter: events.AggregateSubjects(events.AggregateConversation),
			Handler: func(context.Context, events.Envelope) error {
				if seen[i].Add(1) == 1 {
					return consume.Permanent(errors.New("dead-letter the first"))
				}
				return nil
			}})
	}
	r, err := consume.NewRouter(p.js, p.store, consume.Config{}, specs, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("router: %v", err)
		}
	}()
	poll.Until(t, 30*time.Second, func() error {
		for i, n := range names {
			if got := seen[i].Load(); got < int64(want) {
				return fmt.Errorf("%s saw %d of %d events", n, got, want)
			}
		}
		return nil
	})
}

// TestEachRoleDoesItsWork runs, as each role over the rendered
// authorization, what its service does on the log with the real
// components: setup creates the streams and the keys bucket; ingestion
// appends, creates a client's key and seals with it, reads a long history
// (an ordered reader) and keeps its own buckets; triage and notification
// consume on their durable consumers (acknowledging, dead-lettering),
// open content and keep their timers; the projector's and the console's
// projections consume; the console writes and reads the audit trail and
// keeps its sessions; admin registers staff and erases a client's key.
// Nothing any of them does is refused.
func TestEachRoleDoesItsWork(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, dir := authServer(t)
	master := keyring.GenerateMasterKey()
	const n = 70 // beyond the store's 64 single gets: an ordered reader
	v := violations{cancel: cancel}
	t.Cleanup(func() { v.check(t) })

	openAs(t, ctx, url, dir, natsauth.Setup, &v)

	in := openAs(t, ctx, url, dir, natsauth.Ingestion, &v)
	sealed, err := in.keys(t, ctx, master).Seal(ctx, "c1", []byte("hello"), []byte("aad"))
	if err != nil {
		t.Fatalf("ingestion seals (creating the key): %v", err)
	}
	if _, err := in.store.Append(ctx, events.ExpectAny, example(t, events.TypeClientRegistered, "c1")); err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := in.store.Append(ctx, events.ExpectAny, example(t, events.TypeMessageReceived, "conv1")); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, err := in.store.Load(ctx, events.AggregateConversation, "conv1"); err != nil || len(got) != n {
		t.Fatalf("ingestion loads a long history: %d events, %v", len(got), err)
	}
	index, err := ingestion.NewKVIndex(ctx, in.js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.Put(ctx, "c1", "conv1"); err != nil {
		t.Fatal(err)
	}
	chats, err := ingestion.NewKVChatSessions(ctx, in.js, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := chats.Create(ctx, "k1", ingestion.ChatSession{ClientID: "c1", ConversationID: "conv1", LineID: "main", Created: time.Now(), Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	for _, svc := range []struct {
		role   natsauth.Role
		bucket string
	}{{natsauth.Triage, "helpline_triage_timers"}, {natsauth.Notification, "helpline_notification_timers"}} {
		p := openAs(t, ctx, url, dir, svc.role, &v)
		if b, err := p.keys(t, ctx, master).Open(ctx, "c1", sealed, []byte("aad")); err != nil || string(b) != "hello" {
			t.Fatalf("%s opens content: %q %v", svc.role, b, err)
		}
		tm, err := timers.Open(ctx, p.js, svc.bucket, 1, time.Now, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		if err := tm.Set(ctx, timers.Timer{Key: "conv1.t", Due: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if fired, err := tm.Fire(ctx, func(context.Context, timers.Timer) error { return nil }); err != nil || fired != 1 {
			t.Fatalf("%s fires its timer: %d %v", svc.role, fired, err)
		}
		consumeAll(t, ctx, p, []string{string(svc.role)}, n)
		if _, err := p.store.Append(ctx, events.ExpectAny, example(t, events.TypeMessageTriaged, "conv1")); err != nil {
			t.Fatalf("%s appends: %v", svc.role, err)
		}
	}

	names := []string{responsetimes.Name, escalations.Name, inbox.Name}
	consumeAll(t, ctx, openAs(t, ctx, url, dir, natsauth.Projector, &v), names, n)

	// The console follows the log on the projector's consumers: it
	// applies what the projector has not.
	con := openAs(t, ctx, url, dir, natsauth.Console, &v)
	for range n {
		if _, err := con.store.Append(ctx, events.ExpectAny, example(t, events.TypeConversationAssigned, "conv1")); err != nil {
			t.Fatalf("console appends: %v", err)
		}
	}
	consumeAll(t, ctx, con, names, n)
	if _, err := con.keys(t, ctx, master).Seal(ctx, "c1", []byte("a reply"), []byte("aad")); err != nil {
		t.Fatalf("console seals a reply: %v", err)
	}
	if _, err := con.store.AppendAudit(ctx, events.AuditContentRead, example(t, events.TypeContentRead, "ada")); err != nil {
		t.Fatalf("console audits: %v", err)
	}
	if _, err := con.store.ReadAudit(ctx, 0, func(events.Envelope) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := con.store.Append(ctx, events.ExpectAny, example(t, events.TypeWorkerRegistered, "bo")); err != nil {
		t.Fatal(err)
	}
	sessions, err := console.OpenSessions(ctx, con.js, 1, time.Minute, time.Hour, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sessions.Create(ctx, "ada", "admin"); err != nil {
		t.Fatal(err)
	}

	adm := openAs(t, ctx, url, dir, natsauth.Admin, &v)
	if _, err := adm.store.Append(ctx, events.ExpectAny, example(t, events.TypeWorkerRegistered, "cy")); err != nil {
		t.Fatalf("admin adds staff: %v", err)
	}
	if err := adm.keys(t, ctx, master).Erase(ctx, "c1"); err != nil {
		t.Fatalf("admin erases a client's key: %v", err)
	}
	if _, err := adm.store.Append(ctx, events.ExpectAny, example(t, events.TypeClientErased, "c1")); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.store.LastSequence(ctx); err != nil {
		t.Fatal(err)
	}
}
