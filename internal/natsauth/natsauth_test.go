package natsauth_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/natsauth"
)

// authServer starts a JetStream server from a configuration file that
// includes the auth.conf `helpline nats users` renders, as the shipped
// cluster configuration does, with a seed for every role in dir.
func authServer(t *testing.T) (url, dir string) {
	t.Helper()
	dir = t.TempDir()
	if _, err := natsauth.Users(dir, natsauth.Roles()); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "server.conf")
	body := "listen: 127.0.0.1:-1\njetstream { store_dir: " + filepath.Join(dir, "js") + " }\ninclude ./" + natsauth.AuthFile + "\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("the rendered authorization does not parse: %v", err)
	}
	opts.NoSigs, opts.NoLog = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL(), dir
}

// connectAs connects with the role's seed from dir.
func connectAs(t *testing.T, url, dir string, r natsauth.Role) *nats.Conn {
	t.Helper()
	c := natsauth.Client{Role: r, NkeyFile: filepath.Join(dir, string(r)+natsauth.SeedExt), Name: "test-" + string(r)}
	nc, err := c.Connect(url, zerolog.Nop())
	if err != nil {
		t.Fatalf("connect as %s: %v", r, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// refused reports whether the server refuses the role publishing to (or,
// with sub set, subscribing to) subject. JetStream API requests carry a
// body the API cannot parse, so a permitted one changes nothing.
func refused(t *testing.T, url, dir string, r natsauth.Role, subject string, sub bool) bool {
	t.Helper()
	nc := connectAs(t, url, dir, r)
	if sub {
		if _, err := nc.SubscribeSync(subject); err != nil {
			t.Fatal(err)
		}
	} else if err := nc.Publish(subject, []byte("{")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	err := nc.LastError()
	if err != nil && !errors.Is(err, nats.ErrPermissionViolation) {
		t.Fatalf("%s %s: %v", r, subject, err)
	}
	return err != nil
}

// TestNoAnonymousClient: a client without credentials, or with a key the
// server does not know, is refused at connection.
func TestNoAnonymousClient(t *testing.T) {
	t.Parallel()
	url, _ := authServer(t)
	if nc, err := nats.Connect(url); err == nil {
		nc.Close()
		t.Fatal("a client without credentials connected")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous: %v, want an authorization violation", err)
	}
	stranger := filepath.Join(t.TempDir(), "stranger.nk")
	if _, err := natsauth.CreateSeed(stranger, natsauth.Console); err != nil {
		t.Fatal(err)
	}
	c := natsauth.Client{Role: natsauth.Console, NkeyFile: stranger}
	if nc, err := c.Connect(url, zerolog.Nop()); err == nil {
		nc.Close()
		t.Fatal("an unknown nkey connected")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("unknown nkey: %v, want an authorization violation", err)
	}
}

// TestEachRoleOnlyWhatItNeeds tries, as each role, what the audit found
// anyone reaching the port could do (forge a console session, read content
// keys, create an admin, destroy client keys, rewrite the log's
// configuration, steal or delete a service's consumer, listen in on
// others' traffic), and the same operations as the role that needs them:
// refused to every role outside the matrix's row, permitted in it.
func TestEachRoleOnlyWhatItNeeds(t *testing.T) {
	t.Parallel()
	url, dir := authServer(t)
	const (
		ingestion, triage, notification  = natsauth.Ingestion, natsauth.Triage, natsauth.Notification
		projector, console, admin, setup = natsauth.Projector, natsauth.Console, natsauth.Admin, natsauth.Setup
	)
	cases := []struct {
		what    string
		subject string
		sub     bool
		allowed []natsauth.Role
	}{
		{"forge a console session", "$KV.helpline_console_sessions.t0k3n", false, []natsauth.Role{console}},
		{"read data keys (leader)", "$JS.API.STREAM.MSG.GET.KV_helpline_keys", false, []natsauth.Role{ingestion, triage, notification, console, admin}},
		{"read data keys (direct)", "$JS.API.DIRECT.GET.KV_helpline_keys.$KV.helpline_keys.c1", false, []natsauth.Role{ingestion, triage, notification, console, admin}},
		{"create or overwrite a data key", "$KV.helpline_keys.c1", false, []natsauth.Role{ingestion, admin}},
		{"wipe a data key", "$JS.API.STREAM.MSG.DELETE.KV_helpline_keys", false, []natsauth.Role{admin}},
		{"create an admin", "helpline.events.worker.eve", false, []natsauth.Role{console, admin}},
		{"record a conversation event", "helpline.events.conversation.c1", false, []natsauth.Role{ingestion, triage, notification, console}},
		{"register, erase or flag a client", "helpline.events.client.c1", false, []natsauth.Role{ingestion, console, admin}},
		{"write the audit trail", "helpline.audit.content_read", false, []natsauth.Role{console}},
		{"read the audit trail", "$JS.API.STREAM.MSG.GET.HELPLINE_AUDIT", false, []natsauth.Role{console, admin}},
		{"read the log", "$JS.API.STREAM.MSG.GET.HELPLINE_EVENTS", false, []natsauth.Role{ingestion, triage, notification, projector, console, admin}},
		{"take triage's events", "$JS.API.CONSUMER.MSG.NEXT.HELPLINE_EVENTS.triage", false, []natsauth.Role{triage}},
		{"redefine triage's consumer", "$JS.API.CONSUMER.CREATE.HELPLINE_EVENTS.triage.helpline.events.>", false, []natsauth.Role{triage}},
		{"acknowledge for triage", "$JS.ACK.HELPLINE_EVENTS.triage.1.5.5.0.1", false, []natsauth.Role{triage}},
		{"delete triage's consumer", "$JS.API.CONSUMER.DELETE.HELPLINE_EVENTS.triage", false, nil},
		{"take the inbox projection's events", "$JS.API.CONSUMER.MSG.NEXT.HELPLINE_EVENTS.projection-inbox", false, []natsauth.Role{projector, console}},
		{"open an ordered reader", "$JS.API.CONSUMER.CREATE.HELPLINE_EVENTS.rdr1.helpline.events.client.>", false, []natsauth.Role{ingestion, triage, notification, projector, console, admin}},
		{"reconfigure the log", "$JS.API.STREAM.UPDATE.HELPLINE_EVENTS", false, []natsauth.Role{setup}},
		{"create the log", "$JS.API.STREAM.CREATE.HELPLINE_AUDIT", false, []natsauth.Role{setup}},
		{"reconfigure the data keys", "$JS.API.STREAM.UPDATE.KV_helpline_keys", false, []natsauth.Role{setup}},
		{"reconfigure triage's timers", "$JS.API.STREAM.UPDATE.KV_helpline_triage_timers", false, []natsauth.Role{triage}},
		{"delete the log", "$JS.API.STREAM.DELETE.HELPLINE_EVENTS", false, nil},
		{"purge the dead letters", "$JS.API.STREAM.PURGE.HELPLINE_DLQ", false, nil},
		{"dead-letter for triage", "helpline.dlq.triage", false, []natsauth.Role{triage}},
		{"list the streams", "$JS.API.STREAM.NAMES", false, []natsauth.Role{admin, setup}},
		{"listen to every append", "helpline.events.>", true, nil},
		{"listen to every reply", "_INBOX.>", true, nil},
		{"listen to the console's replies", "_INBOX_console.>", true, []natsauth.Role{console}},
		{"listen to key changes", "$KV.helpline_keys.>", true, nil},
	}
	for _, c := range cases {
		for _, r := range natsauth.Roles() {
			want := !slices.Contains(c.allowed, r)
			if got := refused(t, url, dir, r, c.subject, c.sub); got != want {
				t.Errorf("%s (%s) as %s: refused %v, want %v", c.what, c.subject, r, got, want)
			}
		}
	}
}

// TestSeedOfAnotherRoleIsNamed: a process given another role's seed says
// so at start.
func TestSeedOfAnotherRoleIsNamed(t *testing.T) {
	t.Parallel()
	url, dir := authServer(t)
	c := natsauth.Client{Role: natsauth.Console, NkeyFile: filepath.Join(dir, "triage"+natsauth.SeedExt)}
	_, err := c.Connect(url, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), `"triage" user's`) {
		t.Fatalf("console with triage's seed: %v", err)
	}
	// A seed made by another tool names no role: the server's refusal of
	// the role's inbox is reported instead.
	kp, _ := nkeys.FromSeed(mustSeed(t, filepath.Join(dir, "triage"+natsauth.SeedExt)))
	seed, _ := kp.Seed()
	bare := filepath.Join(t.TempDir(), "bare.nk")
	if err := os.WriteFile(bare, append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	c.NkeyFile = bare
	if _, err := c.Connect(url, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "console user's permissions") {
		t.Fatalf("console with a bare triage seed: %v", err)
	}
}

func mustSeed(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "SU") {
			return []byte(line)
		}
	}
	t.Fatalf("no seed in %s", path)
	return nil
}
