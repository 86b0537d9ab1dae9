package keyring

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// forget evicts the client from the cache. When erased is set it caches the
// erasure instead, for clients this Keyring erased itself or had cached:
// erasure is permanent, so that negative entry never goes stale.
func (k *Keyring) forget(clientID string, erased bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.evictions++
	if !erased || k.cacheOff {
		k.cache.remove(clientID)
		return
	}
	k.cache.put(&cacheEntry{clientID: clientID, erased: true}, k.now())
}

// watch evicts keys erased or removed by other processes. If the watcher
// stops for any reason other than Close, the keyring can no longer learn of
// erasures, so it stops caching altogether: every later call reads the
// bucket, which is slower but never stale.
func (k *Keyring) watch(ctx context.Context) {
	defer close(k.watchDone)
	for {
		select {
		case <-ctx.Done():
			return
		case kve, ok := <-k.watcher.Updates():
			if !ok {
				if ctx.Err() == nil {
					k.log.Error().Msg("keyring bucket watcher stopped: caching disabled, erasures elsewhere are seen on the next read")
					k.mu.Lock()
					k.cacheOff = true
					k.evictions++
					k.cache.clear()
					k.mu.Unlock()
				}
				return
			}
			if kve == nil {
				continue
			}
			k.apply(kve)
		}
	}
}

// apply handles one change to the bucket. A new wrapped key (a creation, or
// a rewrap by a rotation) changes nothing cached: the data key is the same.
func (k *Keyring) apply(kve jetstream.KeyValueEntry) {
	switch {
	case kve.Operation() == jetstream.KeyValuePut && isTombstone(kve.Value()):
		k.mu.Lock()
		cached := k.cache.contains(kve.Key())
		k.mu.Unlock()
		k.forget(kve.Key(), cached)
	case kve.Operation() == jetstream.KeyValuePut:
	default: // delete or purge marker, made outside the keyring
		k.forget(kve.Key(), false)
	}
}
