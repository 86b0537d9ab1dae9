package keyring

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
)

// DefaultBucket is the key-value bucket that holds wrapped data keys.
const DefaultBucket = "helpline_keys"

// maxRecordSize bounds a value in the bucket. Records are 62 bytes (a wrapped
// key) or 9 bytes (a tombstone); the limit leaves room for a future format.
const maxRecordSize = 1024

// BucketConfig says where and how the data-key bucket is stored.
type BucketConfig struct {
	// Name of the bucket; DefaultBucket when empty.
	Name string
	// Replicas: 1 embedded, 3 (or 5) clustered. 0 means 1.
	Replicas int
	// Storage: jetstream.FileStorage (the zero value) is the only sensible
	// choice outside tests; a memory bucket loses every key on restart.
	Storage jetstream.StorageType
}

func (c BucketConfig) withDefaults() BucketConfig {
	c.Name = cmp.Or(c.Name, DefaultBucket)
	c.Replicas = cmp.Or(c.Replicas, 1)
	return c
}

// Validate reports a configuration that cannot work.
func (c BucketConfig) Validate() error {
	c = c.withDefaults()
	if !validBucketName(c.Name) {
		return fmt.Errorf("keyring bucket name %q: use letters, digits, '-' and '_'", c.Name)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		return fmt.Errorf("keyring bucket replicas %d: want 1 to 5", c.Replicas)
	}
	return nil
}

// EnsureBucket creates the data-key bucket, or updates it to cfg if it
// exists, and returns it. It is idempotent: every service may call it at
// start.
//
// The bucket is a JetStream key-value bucket, but its stream is declared here
// rather than through jetstream.CreateKeyValue, for two reasons that matter to
// crypto-shredding:
//
//   - DenyDelete is false. CreateKeyValue sets DenyDelete, which forbids the
//     "secure delete" API; kv.Purge and a History-1 overwrite only mark the old
//     message deleted and leave its bytes in the block file until compaction
//     (checked: the wrapped key is still found on disk after kv.Purge).
//     Erase overwrites the wrapped key with random bytes instead. The server
//     refuses to lift DenyDelete on an existing stream, so a bucket made with
//     CreateKeyValue is refused here with a clear error.
//   - AllowDirect is false. Direct gets may be answered by a lagging replica
//     in a cluster, which could hand out a key that was just erased or miss a
//     key that was just created; without it, reads go through the stream
//     leader.
//
// History is 2, not 1: Erase replaces a key by its tombstone atomically and
// then wipes the replaced revision, which must still exist to be wiped
// (see Keyring.Erase); Rewrap does the same with keys wrapped under a
// retired master key. Apart from those instants, each entry holds one
// revision.
func EnsureBucket(ctx context.Context, js jetstream.JetStream, cfg BucketConfig) (*kv.Bucket, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	want, err := bucketStreamConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}

	if s, err := js.Stream(ctx, want.Name); err == nil {
		if s.CachedInfo().Config.DenyDelete {
			return nil, fmt.Errorf("keyring bucket %s was created with deny_delete, which prevents secure erasure: "+
				"migrate its keys to a bucket created by EnsureBucket", cfg.Name)
		}
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("look up keyring bucket %s: %w", cfg.Name, err)
	}
	b, err := kv.Declare(ctx, js, cfg.Name, want)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return b, nil
}

// bucketStreamConfig is what kv.Open declares for a bucket (so that kv
// operations, watchers and the nats CLI treat it as one), except for
// DenyDelete and AllowDirect, off whatever the replicas; see EnsureBucket.
func bucketStreamConfig(cfg BucketConfig) (jetstream.StreamConfig, error) {
	sc, err := kv.StreamConfig(jetstream.KeyValueConfig{
		Bucket:       cfg.Name,
		Description:  "helpline: wrapped per-client data keys and erasure tombstones",
		History:      bucketHistory,
		MaxValueSize: maxRecordSize,
		Storage:      cfg.Storage,
		Replicas:     cfg.Replicas,
	})
	sc.DenyDelete = false
	sc.AllowDirect = false
	return sc, err
}

// bucketHistory is how many revisions of an entry the bucket keeps.
const bucketHistory = 2

func bucketStream(bucket string) string { return "KV_" + bucket }

func validBucketName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
