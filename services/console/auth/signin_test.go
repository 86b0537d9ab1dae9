package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections/accounts"
)

// oneAccount is the accounts projection holding one duty worker.
type oneAccount struct{ acc accounts.Account }

func (o oneAccount) CatchUp(context.Context) error                     { return nil }
func (o oneAccount) CatchUpEvery(context.Context, time.Duration) error { return nil }
func (o oneAccount) Get(_ context.Context, id string) (accounts.Account, error) {
	if id != o.acc.ID {
		return accounts.Account{}, accounts.ErrNotFound
	}
	return o.acc, nil
}

// slowCheck is a password comparison that takes d and counts itself: the
// argon2id comparison's shape without its 64 MiB.
type slowCheck struct {
	d       time.Duration
	n, busy atomic.Int64
	peak    atomic.Int64
}

func (c *slowCheck) check(hash, password string) bool {
	c.n.Add(1)
	if b := c.busy.Add(1); b > c.peak.Load() {
		c.peak.Store(b)
	}
	defer c.busy.Add(-1)
	time.Sleep(c.d) // stands for the hash's CPU time
	return hash == "hash of "+password
}

func newTestAuth(cfg Config, c *slowCheck) *Authenticator {
	acc := accounts.Account{ID: "dana", Name: "Dana Duty", PasswordHash: "hash of the right password", Roles: []string{events.RoleDuty}}
	a := New(cfg, oneAccount{acc}, nil, time.Now, zerolog.Nop())
	a.check = c.check
	return a
}

func signIn(a *Authenticator, password string) error {
	r := httptest.NewRequest(http.MethodPost, "/api/session", nil)
	_, err := a.SignIn(httptest.NewRecorder(), r, "dana", password)
	return err
}

// TestParallelGuessesAreCountedBeforeTheHash: twenty wrong passwords at
// once check at most five (each attempt is counted before its slow hash),
// and the account is then locked for the right password too. It used to
// check every one of them.
func TestParallelGuessesAreCountedBeforeTheHash(t *testing.T) {
	t.Parallel()
	c := &slowCheck{d: 50 * time.Millisecond}
	a := newTestAuth(Config{MaxFailures: 5, LockFor: 15 * time.Minute, SignInBurst: 100, SignInEvery: time.Second, MaxHashes: 20, HashWait: time.Minute}, c)
	var wg sync.WaitGroup
	var locked, bad atomic.Int64
	for range 20 {
		wg.Go(func() {
			err := signIn(a, "a wrong guess")
			switch {
			case errors.As(err, new(LockedError)):
				locked.Add(1)
			case errors.Is(err, ErrBadLogin):
				bad.Add(1)
			default:
				t.Errorf("wrong password: %v", err)
			}
		})
	}
	wg.Wait()
	if n := c.n.Load(); n != 5 {
		t.Fatalf("%d passwords checked for 20 parallel guesses, want 5", n)
	}
	if locked.Load()+bad.Load() != 20 || locked.Load() < 15 {
		t.Fatalf("%d locked, %d wrong password answers", locked.Load(), bad.Load())
	}
	if err := signIn(a, "the right password"); !errors.As(err, new(LockedError)) {
		t.Fatalf("right password after 20 guesses: %v, want locked", err)
	}
}

// TestHashesAreBoundedAndWaitersRefusedQuickly: no more hashes run at
// once than MaxHashes, HashQueue attempts wait for a turn, and any more
// are refused with ErrBusy (a 503) at once.
func TestHashesAreBoundedAndWaitersRefusedQuickly(t *testing.T) {
	t.Parallel()
	c := &slowCheck{d: time.Second}
	a := newTestAuth(Config{MaxFailures: 1000, LockFor: 15 * time.Minute, SignInBurst: 100, SignInEvery: time.Second,
		MaxHashes: 2, HashQueue: 2, HashWait: time.Minute}, c)
	var wg sync.WaitGroup
	var busy atomic.Int64
	for range 10 {
		wg.Go(func() {
			t0 := time.Now()
			if err := signIn(a, "a wrong guess"); errors.Is(err, ErrBusy) {
				busy.Add(1)
				if d := time.Since(t0); d > 250*time.Millisecond {
					t.Errorf("refused after %s, not at once", d)
				}
			}
		})
	}
	wg.Wait()
	if p := c.peak.Load(); p > 2 {
		t.Fatalf("%d hashes at once, want at most 2", p)
	}
	if busy.Load() < 6 || c.n.Load()+busy.Load() != 10 {
		t.Fatalf("%d refused busy, %d checked: want 2 running and 2 waiting checked, the rest refused", busy.Load(), c.n.Load())
	}
}

// TestBusyRefusalsStillCount: attempts refused because every hash is
// taken count towards the lockout like checked ones, so parallel guesses
// lock the account whatever the load.
func TestBusyRefusalsStillCount(t *testing.T) {
	t.Parallel()
	c := &slowCheck{d: 500 * time.Millisecond}
	a := newTestAuth(Config{MaxFailures: 3, LockFor: 15 * time.Minute, SignInBurst: 100, SignInEvery: time.Second, MaxHashes: 1, HashQueue: 1, HashWait: 10 * time.Millisecond}, c)
	done := make(chan error, 1)
	go func() { done <- signIn(a, "a wrong guess") }()
	poll.Until(t, 30*time.Second, func() error {
		if c.busy.Load() == 0 {
			return errors.New("the first attempt has not started hashing")
		}
		return nil
	})
	for i := range 2 {
		if err := signIn(a, "a wrong guess"); !errors.Is(err, ErrBusy) {
			t.Fatalf("attempt %d while the only hash is taken: %v, want busy", i+2, err)
		}
	}
	if err := signIn(a, "the right password"); !errors.As(err, new(LockedError)) {
		t.Fatalf("right password after 3 attempts: %v, want locked", err)
	}
	<-done
}
