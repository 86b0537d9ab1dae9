package keyring

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/natstest"
)

// testServer is a JetStream server with file storage (natstest.Server),
// and a client of it.
type testServer struct {
	srv      *server.Server
	js       jetstream.JetStream
	storeDir string
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	dir := t.TempDir()
	srv := natstest.Server(t, dir)
	_, js := natstest.Connect(t, srv.ClientURL())
	return &testServer{srv: srv, js: js, storeDir: dir}
}

// keyring opens a Keyring on bucket (created if needed) and closes it at the
// end of the test.
func (ts *testServer) keyring(t testing.TB, cfg Config) *Keyring {
	t.Helper()
	ctx := context.Background()
	if _, err := EnsureBucket(ctx, ts.js, BucketConfig{Name: cfg.Bucket}); err != nil {
		t.Fatal(err)
	}
	k, err := New(ctx, ts.js, cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// oneKeyring opens most keyring tests: a server and, on it, a keyring
// with master key 1.
func oneKeyring(t testing.TB) (*testServer, *Keyring) {
	t.Helper()
	ts := startServer(t)
	return ts, ts.keyring(t, Config{Master: testMaster(1)})
}

// twoProcesses opens a test of what one process's keyring does to
// another's: two keyrings on ts with master key 1, caching for an hour.
func (ts *testServer) twoProcesses(t testing.TB) (*Keyring, *Keyring) {
	t.Helper()
	cfg := Config{Master: testMaster(1), CacheTTL: time.Hour}
	return ts.keyring(t, cfg), ts.keyring(t, cfg)
}

// mustSeal seals plaintext with client's key, bound to aad, or fails the
// test.
func mustSeal(t testing.TB, k *Keyring, client string, plaintext, aad []byte) []byte {
	t.Helper()
	sealed, err := k.Seal(context.Background(), client, plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	return sealed
}

// testMaster returns a fixed master key: bytes seed, seed+1, ...
func testMaster(seed byte) MasterKey {
	b := make([]byte, MasterKeySize)
	for i := range b {
		b[i] = seed + byte(i)
	}
	m, err := NewMasterKey(b)
	if err != nil {
		panic(err)
	}
	return m
}
