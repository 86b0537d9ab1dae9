package natsembed_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/natsembed"
	"github.com/helpline-org/helpline/internal/poll"
)

func start(t *testing.T, cfg natsembed.Config) *natsembed.Server {
	t.Helper()
	s, err := natsembed.Start(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOneProcessPerDataDirectory: while a server holds a data directory, a
// second start on it fails at once, naming the holder and how to reach
// it; once the first is shut down, the directory is free again.
func TestOneProcessPerDataDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := start(t, natsembed.Config{DataDir: dir, ListenAddr: "127.0.0.1:-1"})
	_, err := natsembed.Start(natsembed.Config{DataDir: dir}, zerolog.Nop())
	var locked *natsembed.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, natsembed.ErrLocked) {
		first.Shutdown()
		t.Fatalf("second start on the same data directory: %v", err)
	}
	for _, want := range []string{"process " + strconv.Itoa(os.Getpid()), "HELPLINE_NATS_URL=" + first.ClientURL(),
		"HELPLINE_NATS_NKEY_FILE=" + natsembed.AdminNkeyFile(dir)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	first.Shutdown()
	start(t, natsembed.Config{DataDir: dir}).Shutdown()
}

// TestEmbeddedPortNeedsTheCredential: the port an operator opens admits no
// anonymous client, and admits the generated admin credential; in-process
// connections need nothing from the caller.
func TestEmbeddedPortNeedsTheCredential(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, natsembed.Config{DataDir: dir, ListenAddr: "127.0.0.1:-1"})
	defer s.Shutdown()
	if nc, err := nats.Connect(s.ClientURL()); err == nil {
		nc.Close()
		t.Fatal("an anonymous client connected to the embedded port")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous: %v", err)
	}
	if fi, err := os.Stat(natsembed.AdminNkeyFile(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the port's credential: %v %v", fi, err)
	}
	c := natsauth.Client{Role: natsauth.Admin, NkeyFile: natsembed.AdminNkeyFile(dir)}
	nc, err := c.Connect(s.ClientURL(), zerolog.Nop())
	if err != nil {
		t.Fatalf("admin with the generated credential: %v", err)
	}
	nc.Close()
	in, err := s.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.Publish("helpline.anything", nil); err != nil || in.Flush() != nil || in.LastError() != nil {
		t.Fatalf("in-process: %v %v", err, in.LastError())
	}
}

// TestClientReportsGoToTheLog: what a NATS client reports asynchronously
// (a slow consumer dropping messages, as at shutdown) is a structured log
// line, for in-process connections and for clients of the port, and
// nothing is printed raw on stderr (nats.go's default).
func TestClientReportsGoToTheLog(t *testing.T) {
	stderr := captureStderr(t)
	dir := t.TempDir()
	var buf logtest.Buffer
	s, err := natsembed.Start(natsembed.Config{DataDir: dir, ListenAddr: "127.0.0.1:-1"}, zerolog.New(&buf))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	in, err := s.Connect("in-process")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	c := natsauth.Client{Role: natsauth.Admin, NkeyFile: natsembed.AdminNkeyFile(dir), Name: "port"}
	port, err := c.Connect(s.ClientURL(), zerolog.New(&buf))
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	for _, nc := range []*nats.Conn{in, port} {
		slowConsumer(t, nc, natsauth.Admin.InboxPrefix()+".slow")
		poll.Until(t, 10*time.Second, func() error {
			if !strings.Contains(buf.String(), `"connection":"`+nc.Opts.Name+`"`) {
				return fmt.Errorf("no log line for %s's slow consumer yet: %s", nc.Opts.Name, buf.String())
			}
			return nil
		})
	}
	if !strings.Contains(buf.String(), "slow consumer") {
		t.Errorf("the log does not name the slow consumer:\n%s", buf.String())
	}
	if out := stderr(); out != "" {
		t.Errorf("written raw on stderr:\n%s", out)
	}
}

// slowConsumer makes a subscription on subject fall behind until the
// client drops messages.
func slowConsumer(t *testing.T, nc *nats.Conn, subject string) {
	t.Helper()
	release := make(chan struct{})
	sub, err := nc.Subscribe(subject, func(*nats.Msg) { <-release })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(release); sub.Unsubscribe() })
	if err := sub.SetPendingLimits(1, 1<<20); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := nc.Publish(subject, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// captureStderr points os.Stderr at a pipe until the test ends; the
// returned function stops capturing and returns what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	out := make(chan string)
	go func() { b, _ := io.ReadAll(r); out <- string(b) }()
	var once sync.Once
	var got string
	stop := func() string {
		once.Do(func() { os.Stderr = old; w.Close(); got = <-out })
		return got
	}
	t.Cleanup(func() { stop() })
	return stop
}
