package kv_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/transient"
)

func TestErrorsCallersActOn(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t)
	ctx := context.Background()
	cfg := jetstream.KeyValueConfig{Bucket: "kv_errors", History: 1}
	b, err := kv.Open(ctx, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Open(ctx, js, cfg); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("get of a missing key: %v, want ErrNotFound", err)
	}
	rev, err := b.Create(ctx, "k", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, "k", []byte("v2")); !errors.Is(err, kv.ErrExists) {
		t.Errorf("create over a value: %v, want ErrExists", err)
	}
	rev2, err := b.Update(ctx, "k", []byte("v2"), rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "k", []byte("v3"), rev); !errors.Is(err, kv.ErrExists) {
		t.Errorf("update at a stale revision: %v, want ErrExists", err)
	}
	if err := b.Delete(ctx, "k", rev); !errors.Is(err, kv.ErrExists) {
		t.Errorf("delete at a stale revision: %v, want ErrExists", err)
	}
	if e, err := b.Get(ctx, "k"); err != nil || !bytes.Equal(e.Value(), []byte("v2")) || e.Revision() != rev2 {
		t.Fatalf("get: %v %v", e, err)
	}
	if err := b.Delete(ctx, "k", rev2); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("get of a deleted key: %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "k", 0); err != nil {
		t.Errorf("deleting a deleted key: %v", err)
	}
	if err := b.Purge(ctx, "never-set"); err != nil {
		t.Errorf("purging a missing key: %v", err)
	}
	// The server refuses a value over the bucket's limit: for good.
	small, err := kv.Open(ctx, js, jetstream.KeyValueConfig{Bucket: "kv_small", MaxValueSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.Put(ctx, "big", make([]byte, 257)); !errors.Is(err, transient.ErrPermanent) || errors.Is(err, transient.ErrUnavailable) {
		t.Errorf("put over the value limit: %v, want ErrPermanent", err)
	}
	if _, err := kv.Lookup(ctx, js, "kv_missing"); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("lookup of a missing bucket: %v, want ErrNotFound", err)
	}
}

func TestKeysAndWatch(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t)
	ctx := context.Background()
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{Bucket: "kv_watch"})
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := b.Keys(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("keys of an empty bucket: %v %v", keys, err)
	}
	for _, k := range []string{"b", "a"} {
		if _, err := b.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if keys, err := b.Keys(ctx); err != nil || len(keys) != 2 || keys[0] != "a" || keys[1] != "b" {
		t.Fatalf("keys: %v %v", keys, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.Watch(wctx, false)
	if err != nil {
		t.Fatal(err)
	}
	var initial []string
	for e := range w.Updates() {
		if e == nil {
			break
		}
		initial = append(initial, e.Key())
	}
	if len(initial) != 2 {
		t.Fatalf("initial values %v", initial)
	}
	if err := b.Delete(ctx, "a", 0); err != nil {
		t.Fatal(err)
	}
	if e := <-w.Updates(); e == nil || e.Key() != "a" || e.Operation() != jetstream.KeyValueDelete {
		t.Fatalf("update after a delete: %v", e)
	}
}

// TestUnavailableWhenTheServerIsGone: after the retries, a server that
// does not answer is ErrUnavailable, not a missing key.
func TestUnavailableWhenTheServerIsGone(t *testing.T) {
	t.Parallel()
	srv := natstest.Server(t, "")
	_, js := natstest.Connect(t, srv.ClientURL())
	ctx := context.Background()
	b, err := kv.Open(ctx, js, jetstream.KeyValueConfig{Bucket: "kv_gone"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := b.Get(gctx, "k"); !errors.Is(err, transient.ErrUnavailable) || errors.Is(err, kv.ErrNotFound) {
		t.Errorf("get with the server gone: %v, want ErrUnavailable", err)
	}
}

// A replicated bucket reads its own writes: a value put through one
// server is found at once through every other (with direct gets, any
// replica answers, and a lagging one reports the key missing: a session
// just created read as "please sign in" in the process-cluster test).
func TestReplicatedBucketReadsItsWrites(t *testing.T) {
	t.Parallel()
	c := natstest.StartCluster(t, 3)
	ctx := context.Background()
	var conns []jetstream.JetStream
	for _, s := range c.Servers {
		_, js := natstest.Connect(t, s.ClientURL())
		conns = append(conns, js)
	}
	cfg := jetstream.KeyValueConfig{Bucket: "kv_r3", History: 1, Replicas: 3, Storage: jetstream.FileStorage}
	buckets := make([]*kv.Bucket, len(conns))
	for i, js := range conns {
		b, err := kv.Open(ctx, js, cfg)
		if err != nil {
			t.Fatal(err)
		}
		buckets[i] = b
	}
	s, err := conns[0].Stream(ctx, "KV_kv_r3")
	if err != nil {
		t.Fatal(err)
	}
	if s.CachedInfo().Config.AllowDirect {
		t.Fatal("a replicated bucket allows direct gets, which any lagging replica may answer")
	}
	for i := range 60 {
		key := fmt.Sprintf("k%d", i)
		if _, err := buckets[i%3].Put(ctx, key, []byte("v")); err != nil {
			t.Fatal(err)
		}
		for j, b := range buckets {
			if _, err := b.Get(ctx, key); err != nil {
				t.Fatalf("key %s put through server %d, read through server %d: %v", key, i%3, j, err)
			}
		}
	}

	// A single replica is its own leader and keeps the faster direct gets;
	// a bucket made by jetstream.CreateKeyValue is taken over in place.
	if _, err := conns[0].CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "kv_r1", History: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Open(ctx, conns[1], jetstream.KeyValueConfig{Bucket: "kv_r1", History: 1}); err != nil {
		t.Fatalf("opening a bucket made by CreateKeyValue: %v", err)
	}
	if s, err := conns[0].Stream(ctx, "KV_kv_r1"); err != nil || !s.CachedInfo().Config.AllowDirect {
		t.Fatalf("a single-replica bucket: %v, want direct gets kept", err)
	}
}
