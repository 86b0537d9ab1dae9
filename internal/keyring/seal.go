package keyring

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// Sealed format, version 1:
//
//	0x01 | nonce (12, random) | AES-256-GCM ciphertext with 16-byte tag
//
// The authenticated additional data is the version byte, the length-prefixed
// client id and the caller's aad, so a ciphertext cannot be replayed under
// another client, another event or another field, and its version byte
// cannot be changed.
//
// Random 96-bit nonces are safe for up to 2^32 seals under one key (NIST SP
// 800-38D); one client's key will not see a fraction of that.
const (
	sealV1       byte = 0x01
	sealOverhead      = 1 + nonceSize + tagSize
)

// Seal encrypts plaintext under the client's data key, creating the key if
// the client has none (ErrErased for an erased client). aad binds the
// ciphertext to its context: pass what identifies where it will be stored,
// e.g. the event id and the field name ("evt_123/body"), and pass the same
// to Open.
func (k *Keyring) Seal(ctx context.Context, clientID string, plaintext, aad []byte) ([]byte, error) {
	aead, _, err := k.lookup(ctx, clientID, true, false)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, sealOverhead+len(plaintext))
	out[0] = sealV1
	rand.Read(out[1:])
	return aead.Seal(out, out[1:1+nonceSize], plaintext, sealAAD(sealV1, clientID, aad)), nil
}

// Open decrypts what Seal returned for the same client and aad. It returns
// ErrErased for an erased client, ErrNoKey for a client without a key, and
// ErrDecrypt when the ciphertext does not authenticate (wrong aad, tampered,
// truncated or of an unknown version).
func (k *Keyring) Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error) {
	aead, _, err := k.lookup(ctx, clientID, false, false)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < sealOverhead {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes is too short", ErrDecrypt, len(ciphertext))
	}
	if v := ciphertext[0]; v != sealV1 {
		return nil, fmt.Errorf("%w: unknown ciphertext version %d", ErrDecrypt, v)
	}
	nonce, body := ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:]
	plaintext, err := aead.Open(nil, nonce, body, sealAAD(sealV1, clientID, aad))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrDecrypt, clientID)
	}
	return plaintext, nil
}

func sealAAD(version byte, clientID string, aad []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(clientID)+len(aad))
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(len(clientID)))
	b = append(b, clientID...)
	return append(b, aad...)
}
