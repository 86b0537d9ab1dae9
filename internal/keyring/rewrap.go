package keyring

import (
	"context"
	"errors"
	"fmt"

	"github.com/helpline-org/helpline/internal/kv"
	"github.com/helpline-org/helpline/internal/transient"
)

// Master key rotation.
//
// Every wrapped record names the master key that wrapped it (its one-byte
// ID), and a Keyring opens records wrapped under Config.Master or any of
// Config.Previous. Data keys themselves never change, so nothing in the
// event log is re-encrypted. To rotate:
//
//  1. Create the new master key file (LoadOrCreateMasterKey on a new path).
//  2. Restart every service with Master = new, Previous = [old]. New clients
//     get keys wrapped under the new key; old records still open.
//  3. Run Rewrap(ctx, old, new) once (a `helpline keys rotate` command). It
//     rewraps every live record with a compare-and-set, so it is safe while
//     services run and safe to run again after an interruption.
//  4. Restart every service with Master = new only, then destroy the old
//     key file and every backup of it.
//
// Step 4 is what gives rotation its worth: copies of records wrapped under
// the old key may survive where a wipe cannot reach (backups, the Raft log
// of a clustered bucket, the file system's freed blocks), and they become
// useless once the old master key is gone. Rewrap itself wipes each record
// it replaces.
//
// Pseudonyms are derived from the master key too (NewPseudonymizer), and
// client ids must never change. So the Pseudonymizer has to keep being built
// from the ORIGINAL master key after a rotation; keeping that key also keeps
// the old KEK derivable, which undoes step 4. Before the first real rotation,
// split the pseudonym key into its own secret (not yet implemented).

// RewrapStats counts what Rewrap found.
type RewrapStats struct {
	// Rewrapped records moved from the old master key to the new one.
	Rewrapped int
	// Current records were already wrapped under the new master key.
	Current int
	// Erased entries are tombstones, with nothing to rewrap.
	Erased int
}

// Rewrap rewraps every data key in the bucket from oldMaster to newMaster.
// A record neither key opens is reported in the returned error (joined, one
// per client) and left alone; Rewrap carries on with the others.
func (k *Keyring) Rewrap(ctx context.Context, oldMaster, newMaster MasterKey) (RewrapStats, error) {
	var stats RewrapStats
	if oldMaster.IsZero() || newMaster.IsZero() {
		return stats, errors.New("rewrap: both master keys are required")
	}
	oldKEK, newKEK := newKEKCipher(oldMaster), newKEKCipher(newMaster)
	keys, err := k.bucket.Keys(ctx)
	if err != nil {
		return stats, fmt.Errorf("rewrap: list keys: %w", err)
	}
	var errs []error
	for _, clientID := range keys {
		if err := k.rewrapOne(ctx, clientID, oldKEK, newKEK, &stats); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return stats, errors.Join(errs...)
}

func (k *Keyring) rewrapOne(ctx context.Context, clientID string, oldKEK, newKEK kekCipher, stats *RewrapStats) error {
	err := transient.Do(ctx, contended, func(ctx context.Context) error {
		kve, err := k.bucket.Get(ctx, clientID)
		if errors.Is(err, kv.ErrNotFound) {
			return nil // removed since listed
		}
		if err != nil {
			return fmt.Errorf("rewrap %s: %w", clientID, err)
		}
		rec := kve.Value()
		if isTombstone(rec) {
			stats.Erased++
			return nil
		}
		if _, err := unwrapKey([]kekCipher{newKEK}, clientID, rec); err == nil {
			stats.Current++
			return nil
		}
		key, err := unwrapKey([]kekCipher{oldKEK}, clientID, rec)
		if err != nil {
			return fmt.Errorf("rewrap %s: %w", clientID, err)
		}
		_, err = k.bucket.Update(ctx, clientID, wrapKey(newKEK, clientID, key), kve.Revision())
		clear(key)
		if errors.Is(err, kv.ErrExists) {
			return err // erased or rewrapped meanwhile: look again
		}
		if err != nil {
			return fmt.Errorf("rewrap %s: %w", clientID, err)
		}
		stats.Rewrapped++
		// The replaced revision is kept as history: wipe it, so the old
		// master key stops mattering for this entry sooner.
		if err := k.wipe(ctx, kve.Revision()); err != nil {
			return fmt.Errorf("rewrap %s: rewrapped, but the old record is not wiped: %w", clientID, err)
		}
		return nil
	})
	if errors.Is(err, kv.ErrExists) {
		return fmt.Errorf("rewrap %s: still contended after %d attempts: %w", clientID, maxAttempts, err)
	}
	return err
}
