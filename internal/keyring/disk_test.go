package keyring

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestNothingSecretOnDisk seals content into a stream, erases another client,
// stops the server (so everything is flushed) and searches every file of its
// store for secrets. Positive controls prove the search sees what was written.
func TestNothingSecretOnDisk(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	master := GenerateMasterKey()
	k := ts.keyring(t, Config{Master: master})
	kv, err := ts.js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	events, err := ts.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "EVENTS", Subjects: []string{"helpline.events.>"}, Storage: jetstream.FileStorage,
	})
	if err != nil {
		t.Fatal(err)
	}

	// A live client: content sealed into the log.
	plaintext := []byte("I am not safe tonight, my number is +447700900123, marker " + rand.Text())
	sealed, err := k.Seal(ctx, "client-live", plaintext, []byte("evt-1/body"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.js.Publish(ctx, "helpline.events.client.client-live", sealed); err != nil {
		t.Fatal(err)
	}
	liveKey, err := k.DataKey(ctx, "client-live")
	if err != nil {
		t.Fatal(err)
	}
	liveRec := mustGet(t, kv, "client-live")

	// An erased client: its wrapped key must be gone from disk, not only
	// from the bucket's index.
	if _, err := k.Seal(ctx, "client-erased", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	erasedKey, err := k.DataKey(ctx, "client-erased")
	if err != nil {
		t.Fatal(err)
	}
	erasedRec := mustGet(t, kv, "client-erased")
	if err := k.Erase(ctx, "client-erased"); err != nil {
		t.Fatal(err)
	}
	if _, err := events.Info(ctx); err != nil {
		t.Fatal(err)
	}

	ts.srv.Shutdown()
	ts.srv.WaitForShutdown()
	files := readTree(t, ts.storeDir)

	mustFind := map[string][]byte{
		"sealed message (control)":      sealed[1+nonceSize:],
		"live wrapped record (control)": liveRec,
	}
	for what, b := range mustFind {
		if where := findIn(files, b); where == "" {
			t.Errorf("%s not found on disk: the search proves nothing", what)
		}
	}
	mustNotFind := map[string][]byte{
		"plaintext":           plaintext,
		"phone number":        []byte("+447700900123"),
		"live data key":       liveKey,
		"erased data key":     erasedKey,
		"erased wrapped key":  erasedRec[wrappedHeaderLen:],
		"master key":          master.s.b[:],
		"key-encryption key":  master.kek(),
		"pseudonym key":       master.pseudonymKey(),
		"live data key (hex)": []byte(hex.EncodeToString(liveKey)),
		"live data key (b64)": []byte(base64.StdEncoding.EncodeToString(liveKey)),
		"master key (b64)":    []byte(base64.StdEncoding.EncodeToString(master.s.b[:])),
	}
	for what, b := range mustNotFind {
		if where := findIn(files, b); where != "" {
			t.Errorf("%s found on disk in %s", what, where)
		}
	}
}

func mustGet(t *testing.T, kv jetstream.KeyValue, key string) []byte {
	t.Helper()
	e, err := kv.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(e.Value())
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("store directory is empty")
	}
	return files
}

func findIn(files map[string][]byte, needle []byte) string {
	for path, b := range files {
		if bytes.Contains(b, needle) {
			return path
		}
	}
	return ""
}
