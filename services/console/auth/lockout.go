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

// Fail records a failed sign-in for id.
func (l *Lockout) Fail(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
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
