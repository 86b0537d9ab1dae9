package keyring

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeySize is the length of a master key in bytes.
const MasterKeySize = 32

// maxKeyFileSize bounds what LoadOrCreateMasterKey reads: a key file is one
// line of base64 or hex.
const maxKeyFileSize = 1024

// HKDF info labels. Each sub-key has its own label so that no two uses of the
// master key ever share key material. Changing a label changes every key
// derived from it: never do that to a label in use.
const (
	infoKEK       = "helpline/keyring/kek/v1"
	infoPseudonym = "helpline/keyring/pseudonym/v1"
	infoMasterID  = "helpline/keyring/master-id/v1"
	infoStaffKey  = "helpline/keyring/staff-phone/v1"
)

const redacted = "MasterKey(REDACTED)"

// MasterKey is the root secret that wraps every client's data key and keys
// the pseudonyms. Every printing and marshalling path is redacted, so a
// MasterKey that ends up in a log line, a %v of a config struct or a JSON
// dump never shows its material.
type MasterKey struct {
	s *secret
}

// secret holds 32 secret bytes two pointers away from whatever holds it.
// One is not enough: printing a struct that has the key in an unexported
// field with a verb a pointer does not take (%s, %d, %q) makes fmt report
// the bad verb by dereferencing the pointer and printing what it points to,
// bypassing every Format method (caught by TestMasterKeyNeverPrinted). Past
// a second pointer fmt prints only an address.
type secret struct {
	b *[32]byte
}

func newSecret(b []byte) *secret {
	s := &secret{b: new([32]byte)}
	copy(s.b[:], b)
	return s
}

// NewMasterKey returns a master key holding a copy of b, which must be
// MasterKeySize bytes.
func NewMasterKey(b []byte) (MasterKey, error) {
	if len(b) != MasterKeySize {
		return MasterKey{}, fmt.Errorf("master key is %d bytes, want %d", len(b), MasterKeySize)
	}
	return MasterKey{s: newSecret(b)}, nil
}

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() MasterKey {
	var b [MasterKeySize]byte
	rand.Read(b[:])
	defer clear(b[:])
	return MasterKey{s: newSecret(b[:])}
}

// IsZero reports whether m holds no key.
func (m MasterKey) IsZero() bool { return m.s == nil }

// ID is a one-byte public identifier of the master key, derived with HKDF
// (it reveals nothing useful about the key). Wrapped data keys record it so
// that, during a rotation, the keyring knows which master wrapped a record.
// Two master keys share an ID with probability 1/256; the keyring then tells
// them apart by trying each (AES-GCM authentication decides).
func (m MasterKey) ID() byte {
	if m.s == nil {
		return 0
	}
	return m.derive(infoMasterID, 1)[0]
}

// String returns a redacted description naming only the key's ID.
func (m MasterKey) String() string {
	if m.s == nil {
		return "MasterKey(none)"
	}
	return fmt.Sprintf("MasterKey(id=%02x, REDACTED)", m.ID())
}

// GoString is redacted like String.
func (m MasterKey) GoString() string { return m.String() }

// Format prints the redacted String for every verb (%v, %x, %#v, %s...).
func (m MasterKey) Format(f fmt.State, _ rune) { io.WriteString(f, m.String()) }

// MarshalJSON never reveals the key.
func (m MasterKey) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText never reveals the key (YAML, TOML and friends use it).
func (m MasterKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// derive returns n bytes of HKDF-SHA256 output for the given info label.
func (m MasterKey) derive(info string, n int) []byte {
	out, err := hkdf.Key(sha256.New, m.s.b[:], nil, info, n)
	if err != nil {
		// Only possible for n > 255*32, which no caller asks for.
		panic("keyring: hkdf: " + err.Error())
	}
	return out
}

// kek returns the key-encryption key that wraps data keys.
func (m MasterKey) kek() []byte { return m.derive(infoKEK, 32) }

// pseudonymKey returns the HMAC key for client pseudonyms.
func (m MasterKey) pseudonymKey() []byte { return m.derive(infoPseudonym, 32) }

// staffKey returns the HMAC key for staff work phones.
func (m MasterKey) staffKey() []byte { return m.derive(infoStaffKey, 32) }

// LoadOrCreateMasterKey reads the master key from path. The file holds the 32
// key bytes as standard base64 (what this function writes) or as 64 hex
// digits, surrounding whitespace ignored.
//
// The file must be a regular file not readable, writable or executable by
// group or others (0600 or 0400): a key that other users could read is
// refused rather than used, so that an operator's chmod mistake is noticed at
// start and not after a breach.
//
// If the file does not exist and create is true, a new random key is written
// to it (mode 0600, in a directory created with mode 0700 if missing) and
// created is true; the caller should log a warning that a key was generated
// and must be backed up (losing it makes every stored message unreadable).
// Creation never overwrites: when two processes race, both end up with the
// file that was linked first. If the file does not exist and create is false,
// the error wraps fs.ErrNotExist.
//
// Errors never contain key material or file contents.
func LoadOrCreateMasterKey(path string, create bool) (key MasterKey, created bool, err error) {
	key, err = loadMasterKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !create {
		return key, false, err
	}
	if err := writeNewMasterKey(path); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return MasterKey{}, false, err
		}
		// Another process created it between our read and our link.
		key, err = loadMasterKey(path)
		return key, false, err
	}
	key, err = loadMasterKey(path)
	return key, err == nil, err
}

func loadMasterKey(path string) (MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("master key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return MasterKey{}, fmt.Errorf("master key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return MasterKey{}, fmt.Errorf("master key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("master key file %s has mode %04o: it must not be accessible by group or others (chmod 600 %s)", path, perm, path)
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return MasterKey{}, fmt.Errorf("read master key file %s: %w", path, err)
	}
	if len(raw) > maxKeyFileSize {
		return MasterKey{}, fmt.Errorf("master key file %s is larger than %d bytes: not a key file", path, maxKeyFileSize)
	}
	b, err := decodeMasterKey(strings.TrimSpace(string(raw)))
	if err != nil {
		return MasterKey{}, fmt.Errorf("master key file %s: %w", path, err)
	}
	return NewMasterKey(b)
}

// decodeMasterKey accepts 64 hex digits or base64 (standard or URL alphabet,
// padded or not) of exactly MasterKeySize bytes.
func decodeMasterKey(s string) ([]byte, error) {
	if len(s) == 2*MasterKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != MasterKeySize {
			return nil, fmt.Errorf("key is %d bytes, want %d", len(b), MasterKeySize)
		}
		return b, nil
	}
	return nil, fmt.Errorf("content is neither base64 nor hex of a %d-byte key", MasterKeySize)
}

// writeNewMasterKey writes a fresh key to a temporary file and links it into
// place, so that no reader ever sees a partial file and an existing key is
// never replaced (link fails with fs.ErrExist where rename would overwrite).
func writeNewMasterKey(path string) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create master key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*")
	if err != nil {
		return fmt.Errorf("create master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	// CreateTemp already uses 0600; say so explicitly in case that changes.
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("create master key file: %w", err)
	}
	var b [MasterKeySize]byte
	rand.Read(b[:])
	line := base64.StdEncoding.EncodeToString(b[:]) + "\n"
	clear(b[:])
	if _, err := io.WriteString(tmp, line); err != nil {
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("install master key file: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes the new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync master key directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync master key directory: %w", err)
	}
	return nil
}
