package keyring

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/disktest"
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
	sealed := mustSeal(t, k, "client-live", plaintext, []byte("evt-1/body"))
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
	mustSeal(t, k, "client-erased", []byte("x"), nil)
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
	mustFind := map[string][]byte{
		"sealed message (control)":      sealed[1+nonceSize:],
		"live wrapped record (control)": liveRec,
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
	needles := maps.Clone(mustFind)
	maps.Copy(needles, mustNotFind)
	found, _ := disktest.Search(t, ts.storeDir, needles)
	for what := range mustFind {
		if found[what] == "" {
			t.Errorf("%s not found on disk: the search proves nothing", what)
		}
	}
	for what := range mustNotFind {
		if where := found[what]; where != "" {
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
