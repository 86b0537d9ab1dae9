package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one child process: a nats-server node or a helpline service. It
// runs in a process group of its own, so Kill reaches everything it
// started, and dies with the harness (Pdeathsig) if the harness dies first.
type Proc struct {
	// Name is unique in the cluster: nats-1, ingestion-2, projector-1.
	Name string
	// Role is the service (ingestion, triage, ...) or "nats".
	Role string
	// HTTPAddr is the process's HTTP address: the service's surface
	// (/healthz, /readyz, /metrics) or the NATS node's monitoring port.
	HTTPAddr string

	bin     string
	args    []string
	env     []string
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	lastErr error // how the last run ended (nil: exit status 0)
}

// Start starts the process, appending its output to its log file.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s is already running", p.Name)
	}
	out, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		out.Close()
		p.mu.Lock()
		p.lastErr = err
		p.mu.Unlock()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	return nil
}

// Kill sends SIGKILL to the process group and waits for it to go: the
// crash of a fault drill, and the harness's last word in cleanup.
func (p *Proc) Kill() error { return p.signal(syscall.SIGKILL, 10*time.Second) }

// Stop asks the process to shut down gracefully (SIGTERM) and waits up to
// grace before killing it.
func (p *Proc) Stop(grace time.Duration) error {
	if err := p.signal(syscall.SIGTERM, grace); err == nil {
		return nil
	}
	return p.Kill()
}

func (p *Proc) signal(sig syscall.Signal, wait time.Duration) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-exited:
	case <-time.After(wait):
		return fmt.Errorf("%s did not exit within %s of %s", p.Name, wait, sig)
	}
	p.mu.Lock()
	if p.cmd == cmd {
		p.cmd, p.exited = nil, nil
	}
	p.mu.Unlock()
	return nil
}

// ExitErr is how the last run ended: nil for exit status 0 (a graceful
// stop), an *exec.ExitError otherwise.
func (p *Proc) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Running reports whether the process was started and has not exited.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// PID is the running process's id (0 when not running).
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// LogPath is the file the process writes its output to.
func (p *Proc) LogPath() string { return p.logPath }

// procFile reads one of the running process's files under /proc/<pid>.
func (p *Proc) procFile(name string) ([]byte, error) {
	pid := p.PID()
	if pid == 0 {
		return nil, fmt.Errorf("%s is not running", p.Name)
	}
	return os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + name)
}

// RSS returns the process's resident memory in bytes (VmRSS in
// /proc/<pid>/status).
func (p *Proc) RSS() (int64, error) {
	data, err := p.procFile("status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// clockTicks is the unit of utime and stime in /proc/<pid>/stat
// (USER_HZ, sysconf(_SC_CLK_TCK)): 100 on every Linux the harness runs on.
const clockTicks = 100

// CPU returns the CPU time the process has used so far, user and system
// (utime + stime in /proc/<pid>/stat): what a load step's CPU per message
// is computed from, before and after.
func (p *Proc) CPU() (time.Duration, error) {
	data, err := p.procFile("stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the fields that follow start after its last ')'. utime and stime are
	// fields 14 and 15, the 12th and 13th after it.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
