package natsembed

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/helpline-org/helpline/internal/config"
)

// LockFile is the data directory's lock: one process at a time serves a
// data directory, and the one that does writes who it is here.
const LockFile = "LOCK"

// Holder is what the process holding a data directory wrote in its lock.
type Holder struct {
	PID     int
	Command string
	// NATSURL and NkeyFile say how to reach its embedded server, when it
	// opened a port.
	NATSURL, NkeyFile string
}

// LockedError is returned when another process holds the data directory.
type LockedError struct {
	Dir    string
	Holder Holder
}

// ErrLocked is what a LockedError is (errors.Is).
var ErrLocked = errors.New("data directory in use")

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

func (e *LockedError) Error() string {
	h := e.Holder
	who := "another process"
	if h.PID > 0 {
		who = fmt.Sprintf("process %d (%s)", h.PID, h.Command)
	}
	msg := fmt.Sprintf("data directory %s is in use by %s: one data directory serves one process", e.Dir, who)
	if h.NATSURL == "" {
		return msg + fmt.Sprintf("; stop it first, or restart it with %s=127.0.0.1:4222 and run this command against it with %s and %s",
			config.VarNATSListen, config.VarNATSURL, config.VarNATSNkeyFile)
	}
	return msg + fmt.Sprintf("; to run this command against it, set %s=%s %s=%s", config.VarNATSURL, h.NATSURL, config.VarNATSNkeyFile, h.NkeyFile)
}

// dirLock is a held lock on a data directory.
type dirLock struct{ f *os.File }

// lockDir takes the data directory's lock without waiting, or returns a
// *LockedError naming its holder. The lock is the kernel's (flock), so it
// goes with its process, however that ends.
func lockDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Dir: dir, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	return &dirLock{f: f}, nil
}

// write records the holder in the lock file.
func (l *dirLock) write(h Holder) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pid: %d\ncommand: %s\n", h.PID, h.Command)
	if h.NATSURL != "" {
		fmt.Fprintf(&b, "nats: %s\nnkey: %s\n", h.NATSURL, h.NkeyFile)
	}
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(b.String()), 0)
	return err
}

// unlock releases the lock. The file stays: its content is only read while
// someone holds it.
func (l *dirLock) unlock() { l.f.Close() }

// readHolder reads what the lock's holder wrote (zero if it has not yet).
func readHolder(path string) Holder {
	var h Holder
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "command":
			h.Command = v
		case "nats":
			h.NATSURL = v
		case "nkey":
			h.NkeyFile = v
		}
	}
	return h
}
