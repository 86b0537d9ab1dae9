package kv_test

import (
	"context"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
	"github.com/helpline-org/helpline/internal/natstest"
)

// TestStreamConfigIsTheLibrarysBucket checks kv.StreamConfig, a copy of
// what nats.go's CreateKeyValue declares (its builder is private), against
// the library itself: for each setting, a bucket made by CreateKeyValue and
// one made by kv.Declare from kv.StreamConfig have the same stream settings
// on the server, but for the name. A nats.go upgrade that changes how
// buckets are declared fails here instead of making our buckets differ
// from the ones the CLI and the library expect.
func TestStreamConfigIsTheLibrarysBucket(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t)
	ctx := context.Background()
	cases := map[string]jetstream.KeyValueConfig{
		"plain":       {},
		"history":     {History: 5, Description: "five revisions"},
		"ttl":         {TTL: 30 * time.Second},
		"long ttl":    {TTL: time.Hour, History: 2},
		"limits":      {MaxBytes: 1 << 20, MaxValueSize: 4096},
		"compressed":  {Compression: true},
		"memory":      {Storage: jetstream.MemoryStorage},
		"with labels": {Metadata: map[string]string{"owner": "helpline"}},
	}
	i := 0
	for name, cfg := range cases {
		i++
		lib, ours := cfg, cfg
		lib.Bucket, ours.Bucket = "cfg_lib_"+string(rune('a'+i)), "cfg_ours_"+string(rune('a'+i))
		if _, err := js.CreateKeyValue(ctx, lib); err != nil {
			t.Fatalf("%s: nats.go: %v", name, err)
		}
		sc, err := kv.StreamConfig(ours)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := kv.Declare(ctx, js, ours.Bucket, sc); err != nil {
			t.Fatalf("%s: declare: %v", name, err)
		}
		want, got := declared(t, js, lib.Bucket), declared(t, js, ours.Bucket)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: the stream behind kv.StreamConfig differs from nats.go's bucket:\nnats.go %+v\nours    %+v", name, want, got)
		}
	}
}

// declared is the stream behind a bucket as the server holds it, with the
// bucket's name taken out.
func declared(t *testing.T, js jetstream.JetStream, bucket string) jetstream.StreamConfig {
	t.Helper()
	s, err := js.Stream(context.Background(), "KV_"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	c := s.CachedInfo().Config
	c.Name = "KV_"
	for i, subj := range c.Subjects {
		c.Subjects[i] = strings.Replace(subj, "."+bucket+".", ".", 1)
	}
	c.Metadata = maps.Clone(c.Metadata)
	maps.DeleteFunc(c.Metadata, func(k, _ string) bool { return strings.HasPrefix(k, "_nats.") }) // the server's own
	return c
}
