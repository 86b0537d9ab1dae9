package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/freeport"
	"github.com/helpline-org/helpline/internal/poll"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the helpline command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "helpline-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "helpline")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// proc is a running helpline process with its captured output.
type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	addr   string
	mu     sync.Mutex
}

func startHelpline(t *testing.T, dataDir string, extraEnv ...string) *proc {
	t.Helper()
	p := &proc{addr: freeAddr(t), stderr: &bytes.Buffer{}}
	p.cmd = exec.Command(binary(t), "run")
	p.cmd.Dir = t.TempDir() // not the source tree: the built-in example config is used
	p.cmd.Env = append(os.Environ(), "HELPLINE_HTTP_ADDR="+p.addr, "HELPLINE_DATA_DIR="+dataDir, "HELPLINE_LOG_FORMAT=json")
	p.cmd.Env = append(p.cmd.Env, extraEnv...)
	p.cmd.Stderr = &lockedWriter{w: p.stderr, mu: &p.mu}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// terminate sends SIGTERM and waits up to within for the process to exit
// 0; anything else fails the test.
func (p *proc) terminate(t *testing.T, within time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("exit %d after SIGTERM; logs:\n%s", ee.ExitCode(), p.logs())
		}
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(within):
		t.Fatalf("still running %s after SIGTERM; logs:\n%s", within, p.logs())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func get(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestRunAnswersHealthAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	binary(t)
	start := time.Now()
	p := startHelpline(t, t.TempDir())
	for _, path := range []string{"/healthz", "/readyz"} {
		poll.Until(t, 10*time.Second, func() error {
			code, err := get("http://" + p.addr + path)
			if err != nil {
				return err
			}
			if code != http.StatusOK {
				return fmt.Errorf("%s: %d", path, code)
			}
			return nil
		})
	}
	ready := time.Since(start)
	t.Logf("healthz and readyz 200 after %s (acceptance: within 2s)", ready)

	health := exec.Command(binary(t), "health")
	health.Env = append(os.Environ(), "HELPLINE_HTTP_ADDR="+p.addr)
	out, err := health.CombinedOutput()
	health = exec.Command(binary(t), "health")
	health.Env = append(os.Environ(), "HELPLINE_HTTP_ADDR="+p.addr)
	if err != nil || !strings.Contains(string(out), `"status":"ok"`) {
		t.Fatalf("helpline health: %v\n%s", err, out)
	}

	code, err := get("http://" + p.addr + "/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("/metrics: %d %v", code, err)
	}

	stop := time.Now()
	p.terminate(t, 15*time.Second)
	t.Logf("exited 0 %s after SIGTERM (acceptance: within 5s)", time.Since(stop))
	if out, err := health.CombinedOutput(); err == nil {
		t.Fatalf("helpline health succeeded with nothing running:\n%s", out)
	}
	if !strings.Contains(p.logs(), "helpline stopped") {
		t.Errorf("no orderly stop in logs:\n%s", p.logs())
	}
}

func TestRunRejectsBadEnvironmentClearly(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "run")
	cmd.Env = append(os.Environ(), "HELPLINE_HTTP_ADDR=nonsense", "HELPLINE_DATA_DIR="+t.TempDir(), "HELPLINE_TWILIO_ACCOUNT_SID=AC1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("want failure, got %v\n%s", err, out)
	}
	for _, want := range []string{"HELPLINE_HTTP_ADDR", "HELPLINE_TWILIO_AUTH_TOKEN"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error does not name %s:\n%s", want, out)
		}
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "frobnicate")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "frobnicate") {
		t.Fatalf("exit %v, output:\n%s", err, out)
	}
}
