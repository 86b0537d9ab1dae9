package natsembed_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/natsembed"
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
