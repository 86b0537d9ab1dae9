package auth

import (
	"sync"
	"time"
)

// Lockout counts failed sign-ins per staff id: after MaxFailures within
// the window, the account is locked for LockFor, and even the right
// password is refused until the lock expires. It is kept in memory: with
// several console replicas each counts its own failures (a limit per
// replica, still a limit).
type Lockout struct {
	mu       sync.Mutex
	max      int
	lockFor  time.Duration
	now      func() time.Time
	failures map[string]*failures
}

type failures struct {
	n           int
	first       time.Time
	lockedUntil time.Time
}

// NewLockout returns a lockout of maxFailures, locking for lockFor.
func NewLockout(maxFailures int, lockFor time.Duration, now func() time.Time) *Lockout {
	return &Lockout{max: maxFailures, lockFor: lockFor, now: now, failures: map[string]*failures{}}
}

// Locked reports whether id is locked now, and until when.
func (l *Lockout) Locked(id string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.failures[id]
	if f == nil {
		return false, time.Time{}
	}
	now := l.now()
	if now.Before(f.lockedUntil) {
		return true, f.lockedUntil
	}
	if !f.lockedUntil.IsZero() || now.Sub(f.first) > l.lockFor {
		delete(l.failures, id)
	}
	return false, time.Time{}
}

// Attempt reserves a sign-in attempt for id before its password is
// checked: the attempt counts as a failure from now on (Succeed forgets
// it), so parallel guesses are counted as they arrive, not after the slow
// hash, and at most MaxFailures of them are ever checked. When id is
// locked it reports the lock and counts nothing.
func (l *Lockout) Attempt(id string) (locked bool, until time.Time) {
	if locked, until := l.Locked(id); locked {
		return true, until
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if f := l.failures[id]; f != nil && now.Before(f.lockedUntil) {
		// Locked by an attempt reserved since Locked answered.
		return true, f.lockedUntil
	}
	l.fail(id, now)
	return false, time.Time{}
}

// fail counts a failure at now; the caller holds mu.
func (l *Lockout) fail(id string, now time.Time) {
	f := l.failures[id]
	if f == nil || now.Sub(f.first) > l.lockFor {
		f = &failures{first: now}
		l.failures[id] = f
	}
	f.n++
	if f.n >= l.max {
		f.lockedUntil = now.Add(l.lockFor)
	}
	// Bound the memory an attacker can fill with made-up ids.
	if len(l.failures) > 100000 {
		for k, v := range l.failures {
			if now.Sub(v.first) > l.lockFor && now.After(v.lockedUntil) {
				delete(l.failures, k)
			}
		}
	}
}

// Succeed forgets id's failures.
func (l *Lockout) Succeed(id string) {
	l.mu.Lock()
	delete(l.failures, id)
	l.mu.Unlock()
}
