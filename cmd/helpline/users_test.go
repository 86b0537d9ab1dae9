package main

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/internal/disktest"
)

// TestUsersAddThenSignIn is the quick start's first admin: `helpline users
// add` (password on stdin) records the account in the log; `helpline run`
// on the same data directory lets it sign in, and refuses a wrong password.
func TestUsersAddThenSignIn(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	add := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(binary(t), append([]string{"users", "add"}, args...)...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "HELPLINE_DATA_DIR="+dataDir, "HELPLINE_LOG_FORMAT=json")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := add("short\n", "--id", "ada", "--name", "Ada Admin", "--role", "admin"); err == nil {
		t.Fatalf("a short password was accepted: %s", out)
	}
	if out, err := add("a long enough admin password\n", "--id", "ada", "--name", "Ada Admin", "--role", "boss"); err == nil || !strings.Contains(out, `--role "boss"`) {
		t.Fatalf("an unknown role: %v, want an error naming it\n%s", err, out)
	}
	if out, err := add("a long enough admin password\n", "--name", "Ada Admin", "--role", "admin"); err != nil || !strings.Contains(out, "added ada (admin)") {
		t.Fatalf("users add (id from the configuration's staff of that name): %v\n%s", err, out)
	}
	if out, err := add("another long password\n", "--id", "ada", "--name", "Ada Again", "--role", "worker"); err == nil {
		t.Fatalf("the same id twice was accepted: %s", out)
	}
	if dataContains(t, dataDir, "a long enough admin password") {
		t.Fatal("the password is in the log")
	}

	p := startHelpline(t, dataDir)
	p.waitReady(t)
	signIn := func(pw string) int {
		resp, err := http.Post("http://"+p.addr+"/api/session", "application/json",
			strings.NewReader(`{"staff_id":"ada","password":"`+pw+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := signIn("wrong password"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	if code := signIn("a long enough admin password"); code != http.StatusCreated {
		t.Fatalf("sign in: %d\n%s", code, p.logs())
	}
}

// dataContains reports whether any file under dir holds s: the password
// must be in none (only its argon2id hash is).
func dataContains(t *testing.T, dir, s string) bool {
	t.Helper()
	found, _ := disktest.Search(t, dir, map[string][]byte{s: []byte(s)})
	return found[s] != ""
}
