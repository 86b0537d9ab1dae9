package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// DataKeySize is the length of a client's data key (AES-256).
const DataKeySize = 32

// Record formats: the first byte of a value in the bucket.
//
// A wrapped key (62 bytes):
//
//	0x01 | master id (1) | nonce (12) | AES-256-GCM(KEK, data key) with tag (48)
//
// The additional data is the first two bytes and the client id, so a wrapped
// key cannot be moved to another client's entry, nor its header altered.
//
// A tombstone (9 bytes): 0xE0 | erased at, Unix milliseconds, big endian.
// It holds no key material and nothing about the client.
const (
	recordWrappedV1 byte = 0x01
	recordTombstone byte = 0xE0

	wrappedHeaderLen = 2
	wrappedLen       = wrappedHeaderLen + nonceSize + DataKeySize + tagSize
	tombstoneLen     = 1 + 8
	nonceSize        = 12
	tagSize          = 16
)

// kekCipher is a key-encryption key ready to use, with the ID of the master
// key it comes from.
type kekCipher struct {
	id   byte
	aead cipher.AEAD
}

func newKEKCipher(m MasterKey) kekCipher {
	return kekCipher{id: m.ID(), aead: mustGCM(m.kek())}
}

// mustGCM builds AES-256-GCM; it cannot fail for a 32-byte key.
func mustGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("keyring: aes: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("keyring: gcm: " + err.Error())
	}
	return aead
}

// wrapKey returns the bucket record for dataKey under kek.
func wrapKey(kek kekCipher, clientID string, dataKey []byte) []byte {
	out := make([]byte, wrappedHeaderLen+nonceSize, wrappedLen)
	out[0], out[1] = recordWrappedV1, kek.id
	rand.Read(out[wrappedHeaderLen:])
	nonce := out[wrappedHeaderLen : wrappedHeaderLen+nonceSize]
	return kek.aead.Seal(out, nonce, dataKey, wrapAAD(out[:wrappedHeaderLen], clientID))
}

// unwrapKey opens a wrapped record with whichever of keks wrapped it. The
// master ID narrows the candidates; GCM authentication picks among keys
// that share an ID.
func unwrapKey(keks []kekCipher, clientID string, rec []byte) ([]byte, error) {
	if len(rec) != wrappedLen || rec[0] != recordWrappedV1 {
		return nil, fmt.Errorf("%w: data key record of %s has an unknown format", ErrDecrypt, clientID)
	}
	nonce := rec[wrappedHeaderLen : wrappedHeaderLen+nonceSize]
	aad := wrapAAD(rec[:wrappedHeaderLen], clientID)
	for _, k := range keks {
		if k.id != rec[1] {
			continue
		}
		if key, err := k.aead.Open(nil, nonce, rec[wrappedHeaderLen+nonceSize:], aad); err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%w: data key of %s is wrapped under master key %02x, which is not configured or does not open it",
		ErrDecrypt, clientID, rec[1])
}

func wrapAAD(header []byte, clientID string) []byte {
	aad := make([]byte, 0, len(header)+len(clientID))
	return append(append(aad, header...), clientID...)
}

func tombstone(at time.Time) []byte {
	b := make([]byte, tombstoneLen)
	b[0] = recordTombstone
	binary.BigEndian.PutUint64(b[1:], uint64(at.UnixMilli()))
	return b
}

func isTombstone(rec []byte) bool { return len(rec) > 0 && rec[0] == recordTombstone }
