package natsauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/ingestion"
)

// refusals watches the processes' log for what the server refused; the
// first refusal ends the test's context, so that an operation refused
// fails at once instead of waiting out its retries.
type refusals struct {
	logs   logtest.Buffer
	cancel context.CancelFunc
}

func (r *refusals) Write(p []byte) (int, error) {
	if bytes.Contains(bytes.ToLower(p), []byte("permissions violation")) {
		r.cancel()
	}
	return r.logs.Write(p)
}

func (r *refusals) check(t *testing.T) {
	t.Helper()
	if strings.Contains(strings.ToLower(r.logs.String()), "permissions violation") {
		t.Errorf("refused:\n%s", r.logs.String())
	}
}

// authLog is a NATS server with the rendered authorization, a seed for
// every role, a master key, and the Twilio-compatible fake the services
// send through.
type authLog struct {
	url, dir, master string
	fake             *twiliofake.Fake
	fakeURL          string
	log              zerolog.Logger
	refusals         *refusals
}

// provisioned starts an authLog, provisions the log as the setup user
// (helpline migrate), and returns it with a context of two minutes that
// the first refusal ends; refusals fail the test.
func provisioned(t *testing.T) (context.Context, *authLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	r := &refusals{cancel: cancel}
	t.Cleanup(func() { r.check(t) })
	url, dir := authServer(t)
	fake, fakeSrv := apptest.TwilioFake(t, twiliofake.Config{AuthToken: twilioToken})
	master := filepath.Join(dir, "master.key")
	if _, _, err := keyring.LoadOrCreateMasterKey(master, true); err != nil {
		t.Fatal(err)
	}
	a := &authLog{url: url, dir: dir, master: master, fake: fake, fakeURL: fakeSrv.URL, log: zerolog.New(r), refusals: r}
	a.open(t, ctx, natsauth.Setup)
	return ctx, a
}

// logs is what the processes logged so far.
func (a *authLog) logs() string { return a.refusals.logs.String() }

// env is the environment of a process connecting as role.
func (a *authLog) env(t *testing.T, role natsauth.Role) config.Env {
	t.Helper()
	env, err := config.LoadEnv(config.MapLookup(map[string]string{config.VarNATSURL: a.url, config.VarReplicas: "1",
		config.VarNATSNkeyFile: filepath.Join(a.dir, string(role)+natsauth.SeedExt), config.VarMasterKeyFile: a.master,
		config.VarDataDir: t.TempDir(), config.VarTwilioSID: a.fake.AccountSID(), config.VarTwilioToken: twilioToken,
		config.VarTwilioAPIURL: a.fakeURL}))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// open opens the platform as role, as the services and commands do; the
// setup user (helpline migrate) also makes the keys bucket.
func (a *authLog) open(t *testing.T, ctx context.Context, role natsauth.Role) *platform.Platform {
	t.Helper()
	p, err := platform.Open(ctx, platform.Config{Env: a.env(t, role), Role: role}, a.log.With().Str("role", string(role)).Logger())
	if err != nil {
		t.Fatalf("%s opens the log: %v", role, err)
	}
	t.Cleanup(p.Close)
	if role == natsauth.Setup {
		if _, err := keyring.EnsureBucket(ctx, p.JS, keyring.BucketConfig{}); err != nil {
			t.Fatalf("setup creates the keys bucket: %v", err)
		}
	}
	return p
}

func keysOf(t *testing.T, ctx context.Context, p *platform.Platform) *keyring.Keyring {
	t.Helper()
	k, _, err := p.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
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
func consumeAll(t *testing.T, ctx context.Context, p *platform.Platform, names []string, want int) {
	t.Helper()
	seen := make([]atomic.Int64, len(names))
	var specs []consume.Spec
	for i, n := range names {
		specs = append(specs, consume.Shared{Name: n, Filter: events.AggregateSubjects(events.AggregateConversation),
			Handler: func(context.Context, events.Envelope) error {
				if seen[i].Add(1) == 1 {
					return consume.Permanent(errors.New("dead-letter the first"))
				}
				return nil
			}})
	}
	r, err := consume.NewRouter(p.JS, p.Store, consume.Config{}, specs, nil, zerolog.Nop())
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
	ctx, a := provisioned(t)
	const n = 70 // beyond the store's 64 single gets: an ordered reader

	in := a.open(t, ctx, natsauth.Ingestion)
	sealed, err := keysOf(t, ctx, in).Seal(ctx, "c1", []byte("hello"), []byte("aad"))
	if err != nil {
		t.Fatalf("ingestion seals (creating the key): %v", err)
	}
	if _, err := in.Store.Append(ctx, events.ExpectAny, example(t, events.TypeClientRegistered, "c1")); err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := in.Store.Append(ctx, events.ExpectAny, example(t, events.TypeMessageReceived, "conv1")); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, err := in.Store.Load(ctx, events.AggregateConversation, "conv1"); err != nil || len(got) != n {
		t.Fatalf("ingestion loads a long history: %d events, %v", len(got), err)
	}
	index, err := ingestion.NewKVIndex(ctx, in.JS, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.Put(ctx, "c1", "conv1"); err != nil {
		t.Fatal(err)
	}
	chats, err := ingestion.NewKVChatSessions(ctx, in.JS, 1, time.Hour)
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
		p := a.open(t, ctx, svc.role)
		if b, err := keysOf(t, ctx, p).Open(ctx, "c1", sealed, []byte("aad")); err != nil || string(b) != "hello" {
			t.Fatalf("%s opens content: %q %v", svc.role, b, err)
		}
		tm, err := timers.Open(ctx, p.JS, svc.bucket, 1, time.Now, zerolog.Nop())
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
		if _, err := p.Store.Append(ctx, events.ExpectAny, example(t, events.TypeMessageTriaged, "conv1")); err != nil {
			t.Fatalf("%s appends: %v", svc.role, err)
		}
	}

	names := []string{responsetimes.Name, escalations.Name, inbox.Name}
	consumeAll(t, ctx, a.open(t, ctx, natsauth.Projector), names, n)

	// The console follows the log on the projector's consumers: it
	// applies what the projector has not.
	con := a.open(t, ctx, natsauth.Console)
	for range n {
		if _, err := con.Store.Append(ctx, events.ExpectAny, example(t, events.TypeConversationAssigned, "conv1")); err != nil {
			t.Fatalf("console appends: %v", err)
		}
	}
	consumeAll(t, ctx, con, names, n)
	if _, err := keysOf(t, ctx, con).Seal(ctx, "c1", []byte("a reply"), []byte("aad")); err != nil {
		t.Fatalf("console seals a reply: %v", err)
	}
	if _, err := con.Store.AppendAudit(ctx, events.AuditContentRead, example(t, events.TypeContentRead, "ada")); err != nil {
		t.Fatalf("console audits: %v", err)
	}
	if _, err := con.Store.ReadAudit(ctx, 0, func(events.Envelope) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := con.Store.Append(ctx, events.ExpectAny, example(t, events.TypeWorkerRegistered, "bo")); err != nil {
		t.Fatal(err)
	}
	sessions, err := auth.OpenSessions(ctx, con.JS, 1, time.Minute, time.Hour, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sessions.Create(ctx, "ada", "admin"); err != nil {
		t.Fatal(err)
	}

	adm := a.open(t, ctx, natsauth.Admin)
	if _, err := adm.Store.Append(ctx, events.ExpectAny, example(t, events.TypeWorkerRegistered, "cy")); err != nil {
		t.Fatalf("admin adds staff: %v", err)
	}
	if err := keysOf(t, ctx, adm).Erase(ctx, "c1"); err != nil {
		t.Fatalf("admin erases a client's key: %v", err)
	}
	if _, err := adm.Store.Append(ctx, events.ExpectAny, example(t, events.TypeClientErased, "c1")); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.Store.LastSequence(ctx); err != nil {
		t.Fatal(err)
	}
}
