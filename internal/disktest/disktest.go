// Package disktest searches what a process left on disk, for the tests
// that prove a secret (a message, a phone number, a key, a password)
// never reached it: only its sealed or hashed form did.
package disktest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Search reads every file under root, one at a time, and returns where
// each of needles (by name) was found: the path of a file holding it. A
// needle found nowhere has no entry. files is how many files it read;
// the test fails when there are none, since searching nothing proves
// nothing.
func Search(t testing.TB, root string, needles map[string][]byte) (found map[string]string, files int) {
	t.Helper()
	found = map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for name, n := range needles {
			if _, ok := found[name]; !ok && bytes.Contains(b, n) {
				found[name] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no files under %s: the search proves nothing", root)
	}
	return found, files
}
