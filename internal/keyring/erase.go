package keyring

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/kv"
	"github.com/helpline-org/helpline/internal/transient"
)

// Erase destroys the client's data key (crypto-shredding) and leaves a
// tombstone so that the key is never silently re-created. Erasing an erased
// or unknown client succeeds and leaves a tombstone. After Erase returns,
// this Keyring refuses the client at once; other Keyrings on the bucket
// refuse it once their watcher delivers the tombstone (normally
// milliseconds; see the package documentation).
//
// Two steps, each safe to repeat after a crash or an error:
//
//  1. Replace the wrapped key by the tombstone with a compare-and-set on its
//     revision. This is the moment of erasure, and it is atomic: no reader,
//     in this process or another, sees the client without either its key or
//     its tombstone, so no DataKey can slip a new key in.
//  2. Wipe the old revision, which the bucket keeps as history (History 2):
//     the server overwrites its bytes with random data. kv.Purge, or a
//     History-1 overwrite, would only mark it deleted and leave the wrapped
//     key in the block file until compaction. If the wipe fails, Erase
//     returns an error; the client is already erased, and calling Erase
//     again finishes the wipe.
//
// The tombstone is a value, not the marker kv.Purge would leave: `nats kv
// compact` (PurgeDeletes) removes delete and purge markers older than 30
// minutes by default, and would turn erased clients back into unknown ones.
func (k *Keyring) Erase(ctx context.Context, clientID string) error {
	if err := validateClientID(clientID); err != nil {
		return err
	}
	// keep is the revision of a tombstone found in place, 0 for one
	// written now.
	var keep uint64
	err := transient.Do(ctx, contended, func(ctx context.Context) error {
		kve, err := k.bucket.Get(ctx, clientID)
		switch {
		case err == nil && isTombstone(kve.Value()):
			keep = kve.Revision()
			return nil
		case err == nil:
			_, err = k.bucket.Update(ctx, clientID, tombstone(k.now()), kve.Revision())
		case errors.Is(err, kv.ErrNotFound):
			// Never created, or removed outside the keyring: nothing to wipe.
			_, err = k.bucket.Create(ctx, clientID, tombstone(k.now()))
		default:
			return fmt.Errorf("erase %s: %w", clientID, err)
		}
		// kv.ErrExists: created, rewrapped or erased meanwhile; look again.
		if err != nil && !errors.Is(err, kv.ErrExists) {
			return fmt.Errorf("erase %s: write tombstone: %w", clientID, err)
		}
		keep = 0
		return err
	})
	if errors.Is(err, kv.ErrExists) {
		return fmt.Errorf("erase %s: still contended after %d attempts: %w", clientID, maxAttempts, err)
	}
	if err != nil {
		return err
	}
	k.forget(clientID, true)
	return k.wipeHistory(ctx, clientID, keep)
}

// wipeHistory wipes every revision of the client's entry that holds a
// wrapped key. keep is the revision of the tombstone when known.
func (k *Keyring) wipeHistory(ctx context.Context, clientID string, keep uint64) error {
	history, err := k.bucket.History(ctx, clientID)
	if errors.Is(err, kv.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("erase %s: erased, but its history could not be read to wipe it (call Erase again): %w", clientID, err)
	}
	for _, e := range history {
		if e.Revision() == keep || e.Operation() != jetstream.KeyValuePut || isTombstone(e.Value()) {
			continue
		}
		if err := k.wipe(ctx, e.Revision()); err != nil {
			return fmt.Errorf("erase %s: erased, but the old key is not yet wiped from disk (call Erase again): %w", clientID, err)
		}
	}
	return nil
}

// wipe has the server overwrite one message of the bucket with random bytes
// and delete it. A message already gone counts as wiped (the server's
// error does not say which, hence the second look).
func (k *Keyring) wipe(ctx context.Context, seq uint64) error {
	err := k.stream.SecureDeleteMsg(ctx, seq)
	if err == nil {
		return nil
	}
	if _, gerr := k.stream.GetMsg(ctx, seq); errors.Is(gerr, jetstream.ErrMsgNotFound) {
		return nil
	}
	return err
}
