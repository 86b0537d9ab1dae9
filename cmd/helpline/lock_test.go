package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOneDataDirectoryOneProcess: beside a running `helpline run`, a
// second `run` and a `users add` on the same data directory fail at once,
// saying which process holds it and how to reach it; `users add` run that
// way, against the running server's port with its generated credential,
// adds an account the running console lets sign in, without a restart.
func TestOneDataDirectoryOneProcess(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	p := startHelpline(t, dataDir, "HELPLINE_NATS_LISTEN=127.0.0.1:"+strconv.Itoa(freePort(t)))
	p.waitReady(t)
	pid := strconv.Itoa(p.cmd.Process.Pid)

	second := exec.Command(binary(t), "run")
	second.Dir = t.TempDir()
	second.Env = append(os.Environ(), "HELPLINE_DATA_DIR="+dataDir, "HELPLINE_HTTP_ADDR="+freeAddr(t))
	start := time.Now()
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by process "+pid) {
		t.Fatalf("a second run on the data directory: %v\n%s", err, out)
	}
	t.Logf("second run refused after %s", time.Since(start).Round(time.Millisecond))

	add := func(env ...string) (string, error) {
		cmd := exec.Command(binary(t), "users", "add", "--id", "ada", "--name", "Ada Admin", "--role", "admin")
		cmd.Dir = t.TempDir()
		cmd.Env = append(append(os.Environ(), "HELPLINE_DATA_DIR="+dataDir, "HELPLINE_LOG_FORMAT=json"), env...)
		cmd.Stdin = strings.NewReader("a long enough admin password\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out2, err := add()
	if err == nil || !strings.Contains(out2, "in use by process "+pid) {
		t.Fatalf("users add beside a running server: %v\n%s", err, out2)
	}
	hint := regexp.MustCompile(`HELPLINE_NATS_URL=(\S+) HELPLINE_NATS_NKEY_FILE=(\S+)`).FindStringSubmatch(out2)
	if hint == nil || hint[2] != filepath.Join(dataDir, "nats", "admin.nk") {
		t.Fatalf("the refusal does not say how to reach the running server:\n%s", out2)
	}
	if out, err := add("HELPLINE_NATS_URL="+hint[1], "HELPLINE_NATS_NKEY_FILE="+hint[2]); err != nil || !strings.Contains(out, "added ada") {
		t.Fatalf("users add against the running server: %v\n%s", err, out)
	}
	resp, err := http.Post("http://"+p.addr+"/api/session", "application/json",
		strings.NewReader(`{"staff_id":"ada","password":"a long enough admin password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("sign in with the account just added: %d\n%s", resp.StatusCode, p.logs())
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	addr := freeAddr(t)
	port, err := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	return port
}
