package auth

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter limits sign-in attempts per client address: burst at once,
// then one every `every`, remembering at most 10,000 addresses.
type addrLimiter struct {
	mu    sync.Mutex
	burst int
	every time.Duration
	now   func() time.Time
	keys  map[string]*rate.Limiter
}

func newAddrLimiter(burst int, every time.Duration, now func() time.Time) *addrLimiter {
	return &addrLimiter{burst: burst, every: every, now: now, keys: map[string]*rate.Limiter{}}
}

func (l *addrLimiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.keys[addr]
	if lim == nil {
		if len(l.keys) >= 10000 {
			l.keys = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.keys[addr] = lim
	}
	return lim.AllowN(l.now(), 1)
}

// clientAddr is the connection's IP address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
