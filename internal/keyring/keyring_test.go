package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/poll"
)

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	_, k := oneKeyring(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"empty", nil, []byte("evt-1/body")},
		{"short", []byte("hello"), []byte("evt-2/body")},
		{"unicode", []byte("je ne vais pas bien ce soir 💔"), []byte("evt-3/body")},
		{"large", bytes.Repeat([]byte("x"), 64<<10), []byte("evt-4/body")},
		{"no aad", []byte("+447700900123"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := mustSeal(t, k, "client-a", tt.plaintext, tt.aad)
			if len(sealed) != len(tt.plaintext)+sealOverhead || sealed[0] != sealV1 {
				t.Fatalf("sealed is %d bytes, version %d", len(sealed), sealed[0])
			}
			got, err := k.Open(ctx, "client-a", sealed, tt.aad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Fatal("round trip changed the plaintext")
			}
			again, _ := k.Seal(ctx, "client-a", tt.plaintext, tt.aad)
			if bytes.Equal(again, sealed) {
				t.Fatal("two seals of the same plaintext are equal: nonce reused")
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	_, k := oneKeyring(t)
	ctx := context.Background()
	aad := []byte("evt-9/body")
	sealed := mustSeal(t, k, "client-a", []byte("a message body"), aad)
	if _, err := k.DataKey(ctx, "client-b"); err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name       string
		client     string
		ciphertext []byte
		aad        []byte
		want       error
	}{
		{"wrong aad", "client-a", sealed, []byte("evt-9/phone"), ErrDecrypt},
		{"missing aad", "client-a", sealed, nil, ErrDecrypt},
		{"version byte", "client-a", flip(0), aad, ErrDecrypt},
		{"nonce", "client-a", flip(5), aad, ErrDecrypt},
		{"body", "client-a", flip(1 + nonceSize + 2), aad, ErrDecrypt},
		{"tag", "client-a", flip(len(sealed) - 1), aad, ErrDecrypt},
		{"truncated", "client-a", sealed[:len(sealed)-1], aad, ErrDecrypt},
		{"too short", "client-a", sealed[:sealOverhead-1], aad, ErrDecrypt},
		{"empty", "client-a", nil, aad, ErrDecrypt},
		{"appended", "client-a", append(bytes.Clone(sealed), 0), aad, ErrDecrypt},
		{"another client's key", "client-b", sealed, aad, ErrDecrypt},
		{"client without key", "client-c", sealed, aad, ErrNoKey},
		{"invalid client id", "client.a", sealed, aad, ErrInvalidClientID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k.Open(ctx, tt.client, tt.ciphertext, tt.aad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Fatal("returned plaintext with an error")
			}
		})
	}
}

func TestClientIDValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{"abcdefghijklmnopqrstuvwxyz", true},
		{"Client_1-x=", true},
		{strings.Repeat("a", 128), true},
		{"", false},
		{strings.Repeat("a", 129), false},
		{"a.b", false},
		{"a b", false},
		{"a*", false},
		{">", false},
		{"a/b", false},
		{"é", false},
	}
	for _, tt := range tests {
		err := validateClientID(tt.id)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidClientID)) {
			t.Errorf("validateClientID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
	}
}

func TestEraseShredsAndRefusesRecreation(t *testing.T) {
	t.Parallel()
	ts, k := oneKeyring(t)
	ctx := context.Background()
	aad := []byte("evt-1/body")
	sealed := mustSeal(t, k, "client-a", []byte("content"), aad)
	if err := k.Erase(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}

	if _, err := k.Open(ctx, "client-a", sealed, aad); !errors.Is(err, ErrErased) {
		t.Fatalf("Open after Erase: %v, want ErrErased", err)
	}
	if _, err := k.DataKey(ctx, "client-a"); !errors.Is(err, ErrErased) {
		t.Fatalf("DataKey after Erase: %v, want ErrErased", err)
	}
	if _, err := k.Seal(ctx, "client-a", []byte("more"), aad); !errors.Is(err, ErrErased) {
		t.Fatalf("Seal after Erase: %v, want ErrErased", err)
	}
	if err := k.Erase(ctx, "client-a"); err != nil {
		t.Fatalf("second Erase: %v", err)
	}
	// A fresh instance (empty cache, another process) sees the tombstone.
	fresh := ts.keyring(t, Config{Master: testMaster(1)})
	if _, err := fresh.DataKey(ctx, "client-a"); !errors.Is(err, ErrErased) {
		t.Fatalf("DataKey on a fresh keyring: %v, want ErrErased", err)
	}
	kv, _ := ts.js.KeyValue(ctx, DefaultBucket)
	e, err := kv.Get(ctx, "client-a")
	if err != nil {
		t.Fatal(err)
	}
	if !isTombstone(e.Value()) || len(e.Value()) != tombstoneLen {
		t.Fatalf("bucket entry after Erase is %x, want a tombstone", e.Value())
	}
	// The replaced revision was wiped: nothing but the tombstone is left.
	hist, err := kv.History(ctx, "client-a")
	if err != nil || len(hist) != 1 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
}

// An Erase interrupted after its tombstone (crash, or the wipe failed) is
// finished by the next Erase.
func TestEraseFinishesInterruptedWipe(t *testing.T) {
	t.Parallel()
	ts, k := oneKeyring(t)
	ctx := context.Background()
	if _, err := k.DataKey(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	kv, _ := ts.js.KeyValue(ctx, DefaultBucket)
	e, _ := kv.Get(ctx, "client-a")
	if _, err := kv.Update(ctx, "client-a", tombstone(time.Now()), e.Revision()); err != nil {
		t.Fatal(err)
	}
	if hist, _ := kv.History(ctx, "client-a"); len(hist) != 2 {
		t.Fatalf("setup: %d revisions, want the key and the tombstone", len(hist))
	}
	if err := k.Erase(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	hist, err := kv.History(ctx, "client-a")
	if err != nil || len(hist) != 1 || !isTombstone(hist[0].Value()) {
		t.Fatalf("after Erase: %d revisions, %v; want only the tombstone", len(hist), err)
	}
}

func TestEraseUnknownClientBlocksCreation(t *testing.T) {
	t.Parallel()
	_, k := oneKeyring(t)
	ctx := context.Background()
	if err := k.Erase(ctx, "never-seen"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Seal(ctx, "never-seen", []byte("x"), nil); !errors.Is(err, ErrErased) {
		t.Fatalf("Seal: %v, want ErrErased", err)
	}
}

// A key removed outside the keyring (nats kv del / purge) is treated as
// erased, not silently re-created.
func TestRemovedKeyIsNotRecreated(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	k1, k2 := ts.twoProcesses(t)
	if _, err := k1.DataKey(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := k2.DataKey(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	kv, _ := ts.js.KeyValue(ctx, DefaultBucket)
	if err := kv.Purge(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, func() error {
		if _, err := k2.Open(ctx, "client-a", make([]byte, sealOverhead), nil); !errors.Is(err, ErrNoKey) {
			return fmt.Errorf("Open: %v, want ErrNoKey", err)
		}
		return nil
	})
	if _, err := k2.DataKey(ctx, "client-a"); !errors.Is(err, ErrErased) {
		t.Fatalf("DataKey over a purge marker: %v, want ErrErased", err)
	}
}

// Another process's Keyring must stop decrypting once the first one erased,
// without waiting for its cache TTL: its watcher evicts the key.
func TestEraseReachesOtherInstances(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	k1, k2 := ts.twoProcesses(t)
	aad := []byte("evt-1/body")
	sealed := mustSeal(t, k1, "client-a", []byte("content"), aad)
	if _, err := k2.Open(ctx, "client-a", sealed, aad); err != nil {
		t.Fatal(err)
	}
	k2.mu.Lock()
	cached := k2.cache.contains("client-a")
	k2.mu.Unlock()
	if !cached {
		t.Fatal("second keyring did not cache the key: the test would prove nothing")
	}

	if err := k1.Erase(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, func() error {
		if _, err := k2.Open(ctx, "client-a", sealed, aad); !errors.Is(err, ErrErased) {
			return fmt.Errorf("second keyring Open: %v, want ErrErased", err)
		}
		return nil
	})
	if _, err := k2.Seal(ctx, "client-a", []byte("x"), nil); !errors.Is(err, ErrErased) {
		t.Fatalf("second keyring Seal: %v, want ErrErased", err)
	}
}

func TestConcurrentDataKeyAgrees(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	// Two instances, as two processes would be, four goroutines each.
	rings := []*Keyring{
		ts.keyring(t, Config{Master: testMaster(1)}),
		ts.keyring(t, Config{Master: testMaster(1)}),
	}
	for round := range 5 {
		id := fmt.Sprintf("client-%d", round)
		keys := make([][]byte, 8)
		errs := make([]error, 8)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range 8 {
			wg.Go(func() {
				start.Wait()
				keys[i], errs[i] = rings[i%2].DataKey(ctx, id)
			})
		}
		start.Done()
		wg.Wait()
		for i := range 8 {
			if errs[i] != nil {
				t.Fatalf("goroutine %d: %v", i, errs[i])
			}
			if len(keys[i]) != DataKeySize || !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("round %d: goroutine %d got another key", round, i)
			}
		}
	}
}

// Once Erase has returned, no DataKey on that keyring succeeds, whatever was
// in flight.
func TestEraseWhileDataKeyInFlight(t *testing.T) {
	t.Parallel()
	_, k := oneKeyring(t)
	ctx := context.Background()
	for round := range 5 {
		id := fmt.Sprintf("client-%d", round)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						k.DataKey(ctx, id)
					}
				}
			})
		}
		if err := k.Erase(ctx, id); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			if _, err := k.DataKey(ctx, id); !errors.Is(err, ErrErased) {
				t.Fatalf("round %d: DataKey after Erase returned: %v", round, err)
			}
		}
		close(stop)
		wg.Wait()
	}
}

func TestCacheIsBoundedAndExpires(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	k := ts.keyring(t, Config{Master: testMaster(1), CacheSize: 2, CacheTTL: time.Minute, Now: clock})
	for _, id := range []string{"a", "b", "c"} {
		if _, err := k.DataKey(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	k.mu.Lock()
	n, hasA, hasC := k.cache.len(), k.cache.contains("a"), k.cache.contains("c")
	k.mu.Unlock()
	if n != 2 || hasA || !hasC {
		t.Fatalf("cache holds %d entries (a: %v, c: %v), want the 2 most recent", n, hasA, hasC)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	k.mu.Lock()
	_, fresh := k.cache.get("c", clock())
	k.mu.Unlock()
	if fresh {
		t.Fatal("entry outlived its TTL")
	}
	// Still the same key from the bucket.
	if _, err := k.DataKey(ctx, "c"); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureBucket(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	for range 2 { // idempotent
		if _, err := EnsureBucket(ctx, ts.js, BucketConfig{Name: "keys_a"}); err != nil {
			t.Fatal(err)
		}
		kv, _ := ts.js.KeyValue(ctx, "keys_a")
		st, err := kv.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.History() != bucketHistory {
			t.Fatalf("history %d, want %d", st.History(), bucketHistory)
		}
	}
	s, _ := ts.js.Stream(ctx, "KV_keys_a")
	if c := s.CachedInfo().Config; c.DenyDelete || c.AllowDirect || c.Storage != jetstream.FileStorage {
		t.Fatalf("stream config: deny_delete %v, allow_direct %v, storage %v", c.DenyDelete, c.AllowDirect, c.Storage)
	}

	// A bucket made the ordinary way cannot be securely erased: refused.
	if _, err := ts.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "keys_b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureBucket(ctx, ts.js, BucketConfig{Name: "keys_b"}); err == nil || !strings.Contains(err.Error(), "deny_delete") {
		t.Fatalf("EnsureBucket on a deny_delete bucket: %v", err)
	}
	if _, err := New(ctx, ts.js, Config{Bucket: "keys_b", Master: testMaster(1)}, zerolog.Nop()); err == nil {
		t.Fatal("New accepted a deny_delete bucket")
	}
	if _, err := New(ctx, ts.js, Config{Bucket: "missing", Master: testMaster(1)}, zerolog.Nop()); err == nil {
		t.Fatal("New accepted a missing bucket")
	}
	if _, err := EnsureBucket(ctx, ts.js, BucketConfig{Name: "bad.name"}); err == nil {
		t.Fatal("EnsureBucket accepted a bad name")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Master: testMaster(1)}, true},
		{"no master", Config{}, false},
		{"empty previous", Config{Master: testMaster(1), Previous: []MasterKey{{}}}, false},
		{"bad bucket", Config{Master: testMaster(1), Bucket: "a.b"}, false},
		{"negative cache", Config{Master: testMaster(1), CacheSize: -1}, false},
		{"negative ttl", Config{Master: testMaster(1), CacheTTL: -time.Second}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestActiveClientIDStartsFreshIdentity(t *testing.T) {
	t.Parallel()
	_, k := oneKeyring(t)
	ctx := context.Background()
	p := NewPseudonymizer(testMaster(1))
	const line, number = "line-1", "+447700900123"

	id0, err := k.ActiveClientID(ctx, p, line, number)
	if err != nil || id0 != p.ClientID(line, number) {
		t.Fatalf("first identity %q, %v; want ClientID", id0, err)
	}
	mustSeal(t, k, id0, []byte("x"), nil)
	if err := k.Erase(ctx, id0); err != nil {
		t.Fatal(err)
	}
	id1, err := k.ActiveClientID(ctx, p, line, number)
	if err != nil || id1 == id0 || id1 != p.ClientIDGeneration(line, number, 1) {
		t.Fatalf("after erasure: %q, %v; want generation 1", id1, err)
	}
	mustSeal(t, k, id1, []byte("x"), nil)
	if _, err := k.DataKey(ctx, id0); !errors.Is(err, ErrErased) {
		t.Fatalf("old identity: %v, want ErrErased", err)
	}
	again, _ := k.ActiveClientID(ctx, p, line, number)
	if again != id1 {
		t.Fatal("identity not stable after the fresh start")
	}
}

func TestRewrap(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	oldM, newM := testMaster(1), testMaster(100)
	k := ts.keyring(t, Config{Master: oldM})
	sealed := map[string][]byte{}
	for _, id := range []string{"a", "b", "c"} {
		sealed[id] = mustSeal(t, k, id, []byte("body of "+id), []byte(id))
	}
	if err := k.Erase(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	// During the rotation, services know both keys.
	during := ts.keyring(t, Config{Master: newM, Previous: []MasterKey{oldM}})
	if _, err := during.Open(ctx, "a", sealed["a"], []byte("a")); err != nil {
		t.Fatal(err)
	}

	stats, err := during.Rewrap(ctx, oldM, newM)
	if err != nil {
		t.Fatal(err)
	}
	if stats != (RewrapStats{Rewrapped: 2, Erased: 1}) {
		t.Fatalf("stats %+v", stats)
	}
	stats, err = during.Rewrap(ctx, oldM, newM)
	if err != nil || stats != (RewrapStats{Current: 2, Erased: 1}) {
		t.Fatalf("second run: %+v, %v", stats, err)
	}
	kv, _ := ts.js.KeyValue(ctx, DefaultBucket)
	if hist, _ := kv.History(ctx, "a"); len(hist) != 1 {
		t.Fatalf("%d revisions after rewrap: the old record was not wiped", len(hist))
	}

	after := ts.keyring(t, Config{Master: newM})
	for _, id := range []string{"a", "b"} {
		got, err := after.Open(ctx, id, sealed[id], []byte(id))
		if err != nil || string(got) != "body of "+id {
			t.Fatalf("open %s under the new key only: %q, %v", id, got, err)
		}
	}
	if _, err := after.Open(ctx, "c", sealed["c"], []byte("c")); !errors.Is(err, ErrErased) {
		t.Fatalf("erased client after rotation: %v", err)
	}
	stale := ts.keyring(t, Config{Master: oldM})
	if _, err := stale.Open(ctx, "a", sealed["a"], []byte("a")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("old key only, after rotation: %v, want ErrDecrypt", err)
	}
}

func TestKeyringNeverPrinted(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	m := testMaster(0x41)
	k := ts.keyring(t, Config{Master: m})
	dk, err := k.DataKey(ctx, "client-a") // now cached, as an AEAD
	if err != nil {
		t.Fatal(err)
	}
	// Printing the live keyring through reflection would race with the NATS
	// client's goroutines (its kv and stream fields); a copy holding the same
	// key material and cache exercises the same paths.
	detached := &Keyring{keys: k.keys, cache: k.cache}
	type exported struct{ K *Keyring }
	type unexported struct{ k *Keyring }
	type byValue struct{ k Keyring }
	outputs := printAll(map[string]any{
		"keyring": k, "exported field": exported{detached}, "unexported field": unexported{detached},
		"pointer to struct": &unexported{detached}, "by value": &byValue{k: Keyring{keys: k.keys, cache: k.cache}},
	})
	var forms []string
	for _, key := range [][]byte{m.s.b[:], m.kek(), dk} {
		forms = append(forms, secretForms(key)...)
	}
	assertNoSecrets(t, outputs, forms)
}

// Without its watcher a keyring cannot learn of erasures elsewhere, so it
// stops caching.
func TestLostWatcherDisablesCache(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	ts.keyring(t, Config{Master: testMaster(1)}) // creates the bucket
	nc, err := nats.Connect("", nats.InProcessServer(ts.srv))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	k, err := New(ctx, js, Config{Master: testMaster(1)}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, err := k.DataKey(ctx, "client-a"); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	poll.Until(t, 5*time.Second, func() error {
		k.mu.Lock()
		defer k.mu.Unlock()
		if !k.cacheOff || k.cache.len() != 0 {
			return errors.New("cache still on")
		}
		return nil
	})
}
