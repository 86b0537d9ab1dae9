package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

func TestLoadOrCreateMasterKeyCreates(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "keys")
	path := filepath.Join(dir, "master.key")

	if _, _, err := LoadOrCreateMasterKey(path, false); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file without create: %v, want fs.ErrNotExist", err)
	}
	k1, created, err := LoadOrCreateMasterKey(path, true)
	if err != nil || !created {
		t.Fatalf("create: created=%v, %v", created, err)
	}
	assertMode(t, path, 0o600)
	assertMode(t, dir, 0o700)
	k2, created, err := LoadOrCreateMasterKey(path, true)
	if err != nil || created {
		t.Fatalf("reload: created=%v, %v", created, err)
	}
	if !bytes.Equal(k1.s.b[:], k2.s.b[:]) {
		t.Fatal("reload returned another key")
	}
	raw, _ := os.ReadFile(path)
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw))); err != nil || !bytes.Equal(b, k1.s.b[:]) {
		t.Fatal("file does not hold the key as base64")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".master-key-*")); len(leftovers) > 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestLoadOrCreateMasterKeyRace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	keys := make([]MasterKey, 8)
	created := make([]bool, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { keys[i], created[i], errs[i] = LoadOrCreateMasterKey(path, true) })
	}
	wg.Wait()
	n := 0
	for i := range 8 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if created[i] {
			n++
		}
		if !bytes.Equal(keys[i].s.b[:], keys[0].s.b[:]) {
			t.Fatal("racing creators ended with different keys")
		}
	}
	if n != 1 {
		t.Fatalf("%d callers say they created the key, want 1", n)
	}
}

func TestLoadMasterKeyFormats(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xAB, 0x01}, 16)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
	}{
		{"base64", base64.StdEncoding.EncodeToString(key) + "\n", 0o600},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString(key), 0o600},
		{"base64 url", base64.URLEncoding.EncodeToString(key), 0o600},
		{"hex", hex.EncodeToString(key), 0o600},
		{"hex upper with spaces", "  " + strings.ToUpper(hex.EncodeToString(key)) + " \n", 0o600},
		{"read only", base64.StdEncoding.EncodeToString(key), 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKeyFile(t, tt.content, tt.mode)
			m, created, err := LoadOrCreateMasterKey(path, true)
			if err != nil || created {
				t.Fatalf("created=%v, %v", created, err)
			}
			if !bytes.Equal(m.s.b[:], key) {
				t.Fatal("wrong key")
			}
		})
	}
}

func TestLoadMasterKeyRefuses(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"world readable", good, 0o644, "mode 0644"},
		{"group readable", good, 0o640, "mode 0640"},
		{"other writable", good, 0o602, "mode 0602"},
		{"group executable", good, 0o610, "mode 0610"},
		{"16 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 16)), 0o600, "16 bytes, want 32"},
		{"33 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 33)), 0o600, "33 bytes, want 32"},
		{"short hex", strings.Repeat("ab", 31), 0o600, "want 32"},
		{"garbage", "not a key, just words!", 0o600, "neither base64 nor hex"},
		{"empty", "", 0o600, "0 bytes, want 32"},
		{"huge", strings.Repeat("A", 4096), 0o600, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKeyFile(t, tt.content, tt.mode)
			_, _, err := LoadOrCreateMasterKey(path, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if tt.content != "" && strings.Contains(err.Error(), tt.content) {
				t.Fatal("error repeats the file content")
			}
			after, _ := os.ReadFile(path)
			if string(after) != tt.content {
				t.Fatal("a refused key file was modified")
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "master.key")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateMasterKey(dir, true); err == nil {
			t.Fatal("a directory was accepted as a key file")
		}
	})
}

func writeKeyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // not subject to the umask
		t.Fatal(err)
	}
	return path
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Fatalf("%s has mode %04o, want %04o", path, got, want)
	}
}

func TestMasterKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	m := testMaster(0x41) // bytes "ABCDEFGH...": easy to spot in any output
	p := NewPseudonymizer(m)
	type exported struct{ Key MasterKey }
	type unexported struct{ key MasterKey }
	values := map[string]any{
		"key": m, "pointer": &m, "exported field": exported{m}, "unexported field": unexported{m},
		"pointer to struct": &unexported{m}, "pseudonymizer": p,
	}
	outputs := printAll(values)
	outputs = append(outputs, "String: "+m.String())

	forms := append(secretForms(m.s.b[:]), secretForms(p.s.b[:])...)
	forms = append(forms, base64.StdEncoding.EncodeToString(m.s.b[:])[:12])
	assertNoSecrets(t, outputs, forms)
}

// printAll formats each value with every verb, as JSON and through zerolog.
func printAll(values map[string]any) []string {
	var outputs []string
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
			outputs = append(outputs, name+" "+verb+": "+fmt.Sprintf(verb, v))
		}
		j, _ := json.Marshal(v)
		outputs = append(outputs, name+" json: "+string(j))
		var buf bytes.Buffer
		logger := zerolog.New(&buf)
		logger.Info().Interface("v", v).Msg("")
		outputs = append(outputs, name+" zerolog: "+buf.String())
	}
	return outputs
}

// secretForms lists ways the start of a key could show in printed output:
// raw, hex, decimal bytes, and as the 32-bit words of an AES key schedule.
func secretForms(key []byte) []string {
	forms := []string{
		string(key[:8]),
		hex.EncodeToString(key[:8]),
		strings.ToUpper(hex.EncodeToString(key[:8])),
		strings.Trim(fmt.Sprint(key[:6]), "[]"),
		strings.Trim(strings.ReplaceAll(fmt.Sprint(key[:6]), " ", ","), "[]"),
	}
	for _, order := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		w0, w1 := order.Uint32(key[0:4]), order.Uint32(key[4:8])
		forms = append(forms, fmt.Sprintf("%d %d", w0, w1), fmt.Sprintf("%x %x", w0, w1), fmt.Sprintf("%X %X", w0, w1))
	}
	return forms
}

func assertNoSecrets(t *testing.T, outputs, forms []string) {
	t.Helper()
	if len(outputs) == 0 {
		t.Fatal("nothing printed")
	}
	for _, out := range outputs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("key material %q printed in %.300q", f, out)
			}
		}
	}
}

func TestMasterKeyDerivations(t *testing.T) {
	t.Parallel()
	m := testMaster(1)
	kek, pk := m.kek(), m.pseudonymKey()
	if len(kek) != 32 || len(pk) != 32 || bytes.Equal(kek, pk) || bytes.Equal(kek, m.s.b[:]) {
		t.Fatal("sub-keys are not distinct 32-byte keys")
	}
	if !bytes.Equal(kek, testMaster(1).kek()) {
		t.Fatal("derivation is not deterministic")
	}
	if bytes.Equal(kek, testMaster(2).kek()) {
		t.Fatal("different masters give the same KEK")
	}
	// Pinned: changing a label or the KDF would lose every wrapped key and
	// change every client id.
	if got := hex.EncodeToString(kek[:8]); got != goldenKEKPrefix {
		t.Fatalf("KEK derivation changed: %s", got)
	}
}
