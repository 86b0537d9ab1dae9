// Package kv is the one adapter over JetStream key-value buckets: the
// keyring's data keys, the ingestion index, web chat and console sessions
// and the durable timers all go through it. It creates or updates a bucket
// under transient.Setup, retries every operation through the failures that
// pass (transient.Reads), and maps JetStream's answers to the errors
// callers act on: ErrNotFound, ErrExists, and, once retrying is over,
// transient.ErrUnavailable or transient.ErrPermanent (events'
// ErrUnavailable and ErrPermanent). Callers retry nothing themselves.
package kv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/transient"
)

// Errors callers act on.
var (
	// ErrNotFound means the key has no value: never set, deleted or purged.
	ErrNotFound = errors.New("key not found")
	// ErrExists means a create found the key set, or an update or a
	// conditional delete found it changed since the revision given.
	ErrExists = errors.New("key exists or changed")
)

// Bucket is one key-value bucket. It is safe for concurrent use.
type Bucket struct {
	kv jetstream.KeyValue
}

// Open creates the bucket, or updates it to cfg if it exists, and returns
// it. Replicas of a service call it at start together: it waits
// (transient.Setup) while a new cluster elects its meta leader and its
// peers join, and when a creation raced by another replica goes
// unanswered (nats-server 2.15.2, R3), though the bucket is made.
//
// The bucket is declared by its stream (StreamConfig), not by
// jetstream.CreateOrUpdateKeyValue, so that a replicated bucket has direct
// gets off: see StreamConfig.
func Open(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (*Bucket, error) {
	sc, err := StreamConfig(cfg)
	if err != nil {
		return nil, err
	}
	return Declare(ctx, js, cfg.Bucket, sc)
}

// StreamConfig is the stream jetstream.CreateKeyValue declares for cfg
// (so kv operations, watchers and the nats CLI treat it as a bucket, and a
// bucket made by either is updated in place), with one difference: when
// the bucket is replicated, AllowDirect is off. A direct get may be
// answered by any replica, including one that has not yet applied the
// last write, so a session just created could read as missing on the next
// request (TestProcessCluster saw exactly that: a 401 right after signing
// in) and a timer just deleted could fire; NATS gives no read-after-write
// with direct gets (nats-server issues 4710, 6557). Without them, reads go
// through the stream leader. A single replica is its own leader, so it
// keeps the faster direct gets.
func StreamConfig(cfg jetstream.KeyValueConfig) (jetstream.StreamConfig, error) {
	if !validBucket(cfg.Bucket) {
		return jetstream.StreamConfig{}, fmt.Errorf("bucket %q: %w", cfg.Bucket, jetstream.ErrInvalidBucketName)
	}
	if cfg.RePublish != nil || cfg.Mirror != nil || len(cfg.Sources) > 0 || cfg.LimitMarkerTTL != 0 {
		return jetstream.StreamConfig{}, fmt.Errorf("bucket %s: republish, mirrors, sources and limit markers are not supported here", cfg.Bucket)
	}
	if cfg.History > jetstream.KeyValueMaxHistory {
		return jetstream.StreamConfig{}, fmt.Errorf("bucket %s: %w", cfg.Bucket, jetstream.ErrHistoryTooLarge)
	}
	orMinus1 := func(v int64) int64 {
		if v == 0 {
			return -1
		}
		return v
	}
	dup := 2 * time.Minute
	if cfg.TTL > 0 && cfg.TTL < dup {
		dup = cfg.TTL
	}
	replicas := max(cfg.Replicas, 1)
	var compression jetstream.StoreCompression
	if cfg.Compression {
		compression = jetstream.S2Compression
	}
	return jetstream.StreamConfig{
		Name:              "KV_" + cfg.Bucket,
		Description:       cfg.Description,
		Subjects:          []string{"$KV." + cfg.Bucket + ".>"},
		MaxMsgsPerSubject: int64(max(cfg.History, 1)),
		MaxBytes:          orMinus1(cfg.MaxBytes),
		MaxAge:            cfg.TTL,
		MaxMsgSize:        int32(orMinus1(int64(cfg.MaxValueSize))),
		Storage:           cfg.Storage,
		Replicas:          replicas,
		Placement:         cfg.Placement,
		AllowRollup:       true,
		DenyDelete:        true,
		Duplicates:        dup,
		MaxMsgs:           -1,
		MaxConsumers:      -1,
		AllowDirect:       replicas == 1,
		Compression:       compression,
		Discard:           jetstream.DiscardNew,
		Metadata:          cfg.Metadata,
	}, nil
}

func validBucket(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Declare creates or updates a bucket declared by its stream, sc, for the
// settings a KeyValueConfig cannot say (the keyring's: see
// keyring.EnsureBucket), under transient.Setup like Open, and returns it.
// sc must declare a bucket: name "KV_<bucket>", subjects "$KV.<bucket>.>".
func Declare(ctx context.Context, js jetstream.JetStream, bucket string, sc jetstream.StreamConfig) (*Bucket, error) {
	err := transient.Do(ctx, transient.Setup, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateStream(ctx, sc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", bucket, transient.Classify(err))
	}
	// The stream was just created or updated, so "not found" is a server
	// that has not heard of it yet (a cluster node still catching up with
	// its meta leader: TestProcessCluster saw an ingestion replica exit with
	// "bucket not found" right after declaring it, under load): look again
	// under the setup policy.
	var kv jetstream.KeyValue
	justMade := transient.Setup
	justMade.Retry = func(err error) bool {
		return errors.Is(err, jetstream.ErrBucketNotFound) || transient.Is(err)
	}
	err = transient.Do(ctx, justMade, func(ctx context.Context) error {
		var err error
		kv, err = js.KeyValue(ctx, bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", bucket, transient.Classify(err))
	}
	return &Bucket{kv: kv}, nil
}

// Lookup returns a bucket that exists; ErrNotFound if it does not.
func Lookup(ctx context.Context, js jetstream.JetStream, bucket string) (*Bucket, error) {
	var kv jetstream.KeyValue
	err := transient.Do(ctx, transient.Reads, func(ctx context.Context) error {
		var err error
		kv, err = js.KeyValue(ctx, bucket)
		return err
	})
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("bucket %s: %w: %w", bucket, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", bucket, transient.Classify(err))
	}
	return &Bucket{kv: kv}, nil
}

// Name is the bucket's name.
func (b *Bucket) Name() string { return b.kv.Bucket() }

// Get returns the key's latest value and its revision.
func (b *Bucket) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	var e jetstream.KeyValueEntry
	err := b.do(ctx, "get", func(ctx context.Context) error {
		var err error
		e, err = b.kv.Get(ctx, key)
		return err
	})
	return e, err
}

// Put sets the key's value, whatever it was, and returns its revision.
func (b *Bucket) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	var rev uint64
	err := b.do(ctx, "put", func(ctx context.Context) error {
		var err error
		rev, err = b.kv.Put(ctx, key, value)
		return err
	})
	return rev, err
}

// Create sets the key's value if it has none (never set, or deleted), and
// returns its revision; ErrExists if it has one.
func (b *Bucket) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	return b.write(ctx, "create", key, value, func(ctx context.Context) (uint64, error) {
		return b.kv.Create(ctx, key, value)
	})
}

// Update sets the key's value if its latest revision is rev, and returns
// the new revision; ErrExists if it changed. Revision 0 means "nothing was
// ever written under the key": unlike Create, a delete marker counts.
func (b *Bucket) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	return b.write(ctx, "update", key, value, func(ctx context.Context) (uint64, error) {
		return b.kv.Update(ctx, key, value, rev)
	})
}

// Delete removes the key's value, leaving its history; with rev above 0,
// only if its latest revision is rev (ErrExists otherwise). Deleting a
// missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string, rev uint64) error {
	var opts []jetstream.KVDeleteOpt
	if rev > 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	retried := false
	err := b.do(ctx, "delete", func(ctx context.Context) error {
		err := b.kv.Delete(ctx, key, opts...)
		retried = retried || transient.Is(err)
		return err
	})
	if retried && errors.Is(err, ErrExists) {
		// A try that timed out may have deleted it: then it is gone.
		if _, gerr := b.Get(ctx, key); errors.Is(gerr, ErrNotFound) {
			return nil
		}
	}
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Purge removes the key's value and its history. Purging a missing key is
// not an error.
func (b *Bucket) Purge(ctx context.Context, key string) error {
	err := b.do(ctx, "purge", func(ctx context.Context) error { return b.kv.Purge(ctx, key) })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// History returns the key's revisions kept by the bucket, oldest first.
func (b *Bucket) History(ctx context.Context, key string) ([]jetstream.KeyValueEntry, error) {
	var h []jetstream.KeyValueEntry
	err := b.do(ctx, "history", func(ctx context.Context) error {
		var err error
		h, err = b.kv.History(ctx, key)
		return err
	})
	return h, err
}

// Keys returns every key with a value, sorted. It reads the whole bucket:
// for administrative passes (a key rotation), not the hot path.
func (b *Bucket) Keys(ctx context.Context) ([]string, error) {
	var keys []string
	err := b.do(ctx, "keys", func(ctx context.Context) error {
		var err error
		keys, err = b.kv.Keys(ctx)
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil
		}
		return err
	})
	return keys, err
}

// Watch streams the bucket's changes until ctx ends: first every key's
// latest entry, then a nil entry, then each change as it happens (with
// updatesOnly, only the changes, and no nil). Delete and purge markers
// come as entries whose Operation is not KeyValuePut. The watcher rides
// out reconnections; if its channel closes before ctx ends, it stopped
// for good: watch again.
func (b *Bucket) Watch(ctx context.Context, updatesOnly bool) (jetstream.KeyWatcher, error) {
	var opts []jetstream.WatchOpt
	if updatesOnly {
		opts = append(opts, jetstream.UpdatesOnly())
	}
	var w jetstream.KeyWatcher
	err := b.do(ctx, "watch", func(context.Context) error {
		var err error
		// The watcher lives until ctx ends, not the try's deadline.
		w, err = b.kv.WatchAll(ctx, opts...)
		return err
	})
	return w, err
}

// do runs one operation through transient.Reads and maps its error.
func (b *Bucket) do(ctx context.Context, op string, fn func(context.Context) error) error {
	err := transient.Do(ctx, transient.Reads, fn)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return fmt.Errorf("%s %s: %w: %w", op, b.Name(), ErrNotFound, err)
	case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		return fmt.Errorf("%s %s: %w: %w", op, b.Name(), ErrExists, err)
	default:
		return fmt.Errorf("%s %s: %w", op, b.Name(), transient.Classify(err))
	}
}

// write runs a conditional write. A retried write that finds the key
// changed may be looking at its own earlier try, which timed out but
// landed: if the key holds exactly value, that try won.
func (b *Bucket) write(ctx context.Context, op, key string, value []byte, fn func(context.Context) (uint64, error)) (uint64, error) {
	var rev uint64
	retried := false
	err := b.do(ctx, op, func(ctx context.Context) error {
		var err error
		rev, err = fn(ctx)
		retried = retried || transient.Is(err)
		return err
	})
	if retried && errors.Is(err, ErrExists) {
		if e, gerr := b.Get(ctx, key); gerr == nil && bytes.Equal(e.Value(), value) {
			return e.Revision(), nil
		}
	}
	return rev, err
}
