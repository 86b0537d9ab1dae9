package keyring

import (
	"bytes"
	"cmp"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/kv"
	"github.com/helpline-org/helpline/internal/transient"
)

// Sentinel errors callers act on.
var (
	// ErrErased means the client's data key was destroyed: their content is
	// gone for good. Projections drop it; ingestion starts a fresh identity
	// (see ActiveClientID).
	ErrErased = errors.New("keyring: client erased")
	// ErrNoKey means the client has no data key, so nothing was ever sealed
	// for them with this keyring (or the bucket lost it: see the package
	// documentation).
	ErrNoKey = errors.New("keyring: no data key for client")
	// ErrDecrypt means a ciphertext or a wrapped key failed to authenticate:
	// wrong additional data, tampering, truncation, an unknown format, or a
	// master key that is not configured.
	ErrDecrypt = errors.New("keyring: decryption failed")
	// ErrInvalidClientID means a client id is not a safe bucket key.
	ErrInvalidClientID = errors.New("keyring: invalid client id")
)

// maxAttempts bounds the retries that resolve races with other writers
// (contended) and with evictions (lookup).
const maxAttempts = 8

// contended is how a compare-and-set that lost a race with another writer
// (kv.ErrExists) is tried again on what is there now: at once, then after
// a millisecond or two, so that writers who collided spread out.
var contended = transient.Policy{Attempts: maxAttempts, Wait: time.Millisecond, MaxWait: 20 * time.Millisecond,
	Retry: func(err error) bool { return errors.Is(err, kv.ErrExists) }}

// Config configures a Keyring.
type Config struct {
	// Bucket is the key-value bucket (see EnsureBucket); DefaultBucket when
	// empty.
	Bucket string
	// Master wraps new data keys and opens existing ones.
	Master MasterKey
	// Previous master keys still accepted for opening data keys during a
	// rotation (see Rewrap). New keys are always wrapped under Master.
	Previous []MasterKey
	// CacheSize bounds how many clients' keys are held unwrapped in memory;
	// 0 means 4096.
	CacheSize int
	// CacheTTL bounds how long an unwrapped key is cached; 0 means 5 minutes.
	// It is the longest another process can keep using a key erased
	// elsewhere if its bucket watcher is stalled (see the package
	// documentation).
	CacheTTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.Bucket = cmp.Or(c.Bucket, DefaultBucket)
	c.CacheSize = cmp.Or(c.CacheSize, 4096)
	c.CacheTTL = cmp.Or(c.CacheTTL, 5*time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Master.IsZero() {
		return errors.New("keyring: no master key")
	}
	for i, m := range c.Previous {
		if m.IsZero() {
			return fmt.Errorf("keyring: previous master key %d is empty", i)
		}
	}
	if c.Bucket != "" && !validBucketName(c.Bucket) {
		return fmt.Errorf("keyring: bucket name %q: use letters, digits, '-' and '_'", c.Bucket)
	}
	if c.CacheSize < 0 {
		return fmt.Errorf("keyring: cache size %d is negative", c.CacheSize)
	}
	if c.CacheTTL < 0 {
		return fmt.Errorf("keyring: cache TTL %s is negative", c.CacheTTL)
	}
	return nil
}

// Keyring holds every client's data key, wrapped under the master key in a
// JetStream key-value bucket, and seals and opens content with them. It is
// safe for concurrent use; several Keyrings (in one process or many) may
// share a bucket.
type Keyring struct {
	bucket *kv.Bucket
	stream jetstream.Stream // the bucket's stream, for secure deletes
	keys   *keyMaterial     // behind a pointer: see secret
	log    zerolog.Logger
	now    func() time.Time

	mu        sync.Mutex
	cache     *lru
	evictions uint64 // counts evictions; see lookup
	cacheOff  bool   // set when the watcher stops: nothing is cached any more

	stopWatch context.CancelFunc
	watcher   jetstream.KeyWatcher
	watchDone chan struct{}
	closeOnce sync.Once
}

// keyMaterial holds the key-encryption keys, keks[0] wrapping new keys.
// The AEADs hold expanded AES keys, so they are kept where fmt cannot print
// them, like secret; the cache is behind a pointer for the same reason.
type keyMaterial struct {
	keks []kekCipher
}

// New opens the keyring on an existing bucket (made by EnsureBucket) and
// starts watching it for erasures made by other processes. Close it when
// done.
func New(ctx context.Context, js jetstream.JetStream, cfg Config, logger zerolog.Logger) (*Keyring, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	bucket, err := kv.Lookup(ctx, js, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open keyring bucket %s (created by EnsureBucket?): %w", cfg.Bucket, err)
	}
	stream, err := js.Stream(ctx, bucketStream(cfg.Bucket))
	if err != nil {
		return nil, fmt.Errorf("open keyring bucket %s: %w", cfg.Bucket, err)
	}
	if sc := stream.CachedInfo().Config; sc.DenyDelete || sc.AllowDirect {
		return nil, fmt.Errorf("keyring bucket %s was not created by EnsureBucket (deny_delete or allow_direct set): erasure would not be secure", cfg.Bucket)
	}
	k := &Keyring{
		bucket:    bucket,
		stream:    stream,
		keys:      &keyMaterial{keks: []kekCipher{newKEKCipher(cfg.Master)}},
		log:       logger.With().Str("component", "keyring").Str("bucket", cfg.Bucket).Logger(),
		now:       cfg.Now,
		cache:     newLRU(cfg.CacheSize, cfg.CacheTTL),
		watchDone: make(chan struct{}),
	}
	for _, m := range cfg.Previous {
		k.keys.keks = append(k.keys.keks, newKEKCipher(m))
	}
	// The watcher lives until Close, not until ctx ends.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	// UpdatesOnly: the cache starts empty, so only changes from now matter.
	w, err := bucket.Watch(wctx, true)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch keyring bucket %s: %w", cfg.Bucket, err)
	}
	k.stopWatch, k.watcher = cancel, w
	go k.watch(wctx)
	return k, nil
}

// Close stops the watcher and drops every cached key; it returns nil.
// Calls after the first do nothing. A closed Keyring still works, uncached.
//
// Close does not wait for the server: cancelling the watcher's context ends
// its subscription in the background (an explicit KeyWatcher.Stop blocks
// for the client's API timeout when the server is already gone).
func (k *Keyring) Close() error {
	k.closeOnce.Do(func() {
		k.stopWatch()
		<-k.watchDone
		k.mu.Lock()
		k.cacheOff = true
		k.cache.clear()
		k.mu.Unlock()
	})
	return nil
}

// String names the keyring's bucket and nothing else.
func (k *Keyring) String() string { return "Keyring(" + k.bucket.Name() + ")" }

// Format prints String for every verb, so that printing a Keyring never
// walks its fields (which hold keys) or races with its NATS client.
func (k *Keyring) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// DataKey returns the client's data key, creating it if the client has none.
// It returns ErrErased, and creates nothing, for an erased client.
//
// Concurrent first calls for one client, in this process or others, all
// return the same key: only the first write to the client's bucket entry
// succeeds and the others read it back. Prefer Seal and Open, which never
// let the key out; the returned slice is a copy.
func (k *Keyring) DataKey(ctx context.Context, clientID string) ([]byte, error) {
	_, key, err := k.lookup(ctx, clientID, true, true)
	return key, err
}

// lookup returns the client's AEAD (and a copy of the key when wantKey),
// from the cache or the bucket, creating the key when create is set.
//
// Cache safety: an eviction (a local Erase or the watcher seeing an erasure
// elsewhere) may happen while a bucket read is in flight, and that read may
// have seen the key before it was erased. Caching its result would resurrect
// the key. So every eviction bumps k.evictions, and a read that started
// before an eviction is discarded and repeated. The counter is global, not
// per client: erasures are rare, and a spurious retry costs one bucket read.
func (k *Keyring) lookup(ctx context.Context, clientID string, create, wantKey bool) (cipher.AEAD, []byte, error) {
	if err := validateClientID(clientID); err != nil {
		return nil, nil, err
	}
	for range maxAttempts {
		k.mu.Lock()
		if e, ok := k.cache.get(clientID, k.now()); ok {
			aead, key, err := e.use(wantKey)
			k.mu.Unlock()
			return aead, key, err
		}
		seen := k.evictions
		k.mu.Unlock()

		e, err := k.fetch(ctx, clientID, create)
		if err != nil {
			return nil, nil, err
		}
		k.mu.Lock()
		if k.evictions != seen {
			k.mu.Unlock()
			clear(e.key)
			continue
		}
		aead, key, err := e.use(wantKey)
		if !k.cacheOff {
			k.cache.put(e, k.now())
		}
		k.mu.Unlock()
		return aead, key, err
	}
	return nil, nil, fmt.Errorf("data key of %s: evictions kept overtaking the read; try again", clientID)
}

// use returns what the caller of lookup wants from a cache entry. Callers
// hold the Keyring's mutex, since evicting an entry clears its key.
func (e *cacheEntry) use(wantKey bool) (cipher.AEAD, []byte, error) {
	if e.erased {
		return nil, nil, fmt.Errorf("%s: %w", e.clientID, ErrErased)
	}
	if wantKey {
		return e.aead, bytes.Clone(e.key), nil
	}
	return e.aead, nil, nil
}

// fetch reads the client's entry from the bucket, creating it if asked.
func (k *Keyring) fetch(ctx context.Context, clientID string, create bool) (*cacheEntry, error) {
	kve, err := k.bucket.Get(ctx, clientID)
	switch {
	case err == nil:
		return k.entryFromRecord(clientID, kve.Value())
	case !errors.Is(err, kv.ErrNotFound):
		return nil, fmt.Errorf("get data key of %s: %w", clientID, err)
	case !create:
		return nil, fmt.Errorf("%s: %w", clientID, ErrNoKey)
	}
	return k.create(ctx, clientID)
}

// create writes a new data key for the client, unless anything at all has
// ever been written under its id and survives.
//
// It deliberately does not use kv.Create: kv.Create succeeds over a delete
// or purge marker, which would silently give a new key to a client whose key
// was removed. Update at revision 0 means "this subject holds no message", so
// of concurrent creators exactly one wins and the others read its key back.
func (k *Keyring) create(ctx context.Context, clientID string) (*cacheEntry, error) {
	key := make([]byte, DataKeySize)
	rand.Read(key)
	record := wrapKey(k.keys.keks[0], clientID, key)
	_, err := k.bucket.Update(ctx, clientID, record, 0)
	if err == nil {
		return &cacheEntry{clientID: clientID, key: key, aead: mustGCM(key)}, nil
	}
	clear(key)
	if !errors.Is(err, kv.ErrExists) {
		return nil, fmt.Errorf("create data key of %s: %w", clientID, err)
	}
	kve, err := k.bucket.Get(ctx, clientID)
	switch {
	case err == nil:
		return k.entryFromRecord(clientID, kve.Value())
	case errors.Is(err, kv.ErrNotFound):
		// Something is there but reads as absent: a delete or purge marker,
		// so someone removed the key outside the keyring. The client's
		// content is unreadable already; refuse, as for a tombstone.
		return nil, fmt.Errorf("%s: key removed: %w", clientID, ErrErased)
	default:
		return nil, fmt.Errorf("read back data key of %s: %w", clientID, err)
	}
}

func (k *Keyring) entryFromRecord(clientID string, rec []byte) (*cacheEntry, error) {
	if isTombstone(rec) {
		return &cacheEntry{clientID: clientID, erased: true}, nil
	}
	key, err := unwrapKey(k.keys.keks, clientID, rec)
	if err != nil {
		return nil, err
	}
	return &cacheEntry{clientID: clientID, key: key, aead: mustGCM(key)}, nil
}

// validateClientID accepts what the bucket accepts as a key, minus dots
// (which would make the id hierarchical and wildcard-able): letters, digits,
// '-', '_' and '=', at most 128 characters.
func validateClientID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("%w: length %d", ErrInvalidClientID, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return fmt.Errorf("%w: character %q at %d", ErrInvalidClientID, c, i)
		}
	}
	return nil
}
