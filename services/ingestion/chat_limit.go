package ingestion

import (
	"context"
	"maps"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// chatLimiter is a token bucket per key (a client address, a session) in a
// bounded map. When the map is full, keys idle long enough to have refilled
// their bucket are dropped first (forgetting them loses nothing), then the
// least recently seen key.
type chatLimiter struct {
	every time.Duration
	burst int
	max   int

	mu   sync.Mutex
	keys map[string]*chatLimiterEntry
}

type chatLimiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// newChatLimiter allows burst events at once, then one per every, per key,
// remembering at most max keys.
func newChatLimiter(every time.Duration, burst, max int) *chatLimiter {
	return &chatLimiter{every: every, burst: burst, max: max, keys: make(map[string]*chatLimiterEntry)}
}

// allow takes a token for key at now. When there is none it returns false
// and how long until there is.
func (l *chatLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.max {
			l.evict(now)
		}
		e = &chatLimiterEntry{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.keys[key] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict makes room for one key. The caller holds mu.
func (l *chatLimiter) evict(now time.Time) {
	full := l.every * time.Duration(l.burst)
	for k, e := range l.keys {
		if now.Sub(e.seen) >= full {
			delete(l.keys, k)
		}
	}
	if len(l.keys) < l.max {
		return
	}
	var oldest string
	var oldestSeen time.Time
	for k, e := range l.keys {
		if oldest == "" || e.seen.Before(oldestSeen) {
			oldest, oldestSeen = k, e.seen
		}
	}
	delete(l.keys, oldest)
}

func (l *chatLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// retryAfterSeconds is a Retry-After value: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// chatClientAddr is the key a client's conversation starts are limited
// under: its IP address, or for IPv6 its /64 (one subscriber usually holds
// a whole /64 and can pick any address in it). header, when set, names a
// header a trusted reverse proxy sets to the client's address
// (X-Forwarded-For: its last entry, the one the proxy added). Without a
// proxy, leave it empty: clients can write any header they like.
func chatClientAddr(req *http.Request, header string) string {
	raw := ""
	if header != "" {
		if v := req.Header.Values(header); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			raw = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	if raw == "" {
		host, _, err := net.SplitHostPort(req.RemoteAddr)
		if err != nil {
			host = req.RemoteAddr
		}
		raw = host
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return "unknown"
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// chatStreams counts open event streams, in all and per session, so that
// one client (or many) cannot hold more than the process can serve, and
// ends a session's streams when the session ends.
type chatStreams struct {
	max, perSession int

	mu     sync.Mutex
	total  int
	bySess map[string]map[*chatStreamSlot]struct{}
}

// chatStreamSlot is one open stream: ended is done when its session ends.
type chatStreamSlot struct {
	ended context.Context
	end   context.CancelFunc
}

func newChatStreams(max, perSession int) *chatStreams {
	return &chatStreams{max: max, perSession: perSession, bySess: make(map[string]map[*chatStreamSlot]struct{})}
}

// acquire takes a slot for session key; release gives it back. ended is
// done when end(key) is called meanwhile.
func (s *chatStreams) acquire(key string) (ended context.Context, release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total >= s.max || len(s.bySess[key]) >= s.perSession {
		return nil, nil, false
	}
	slot := &chatStreamSlot{}
	slot.ended, slot.end = context.WithCancel(context.Background())
	if s.bySess[key] == nil {
		s.bySess[key] = make(map[*chatStreamSlot]struct{})
	}
	s.bySess[key][slot] = struct{}{}
	s.total++
	var once sync.Once
	return slot.ended, func() {
		once.Do(func() {
			slot.end()
			s.mu.Lock()
			defer s.mu.Unlock()
			s.total--
			if delete(s.bySess[key], slot); len(s.bySess[key]) == 0 {
				delete(s.bySess, key)
			}
		})
	}, true
}

// end ends every open stream of session key.
func (s *chatStreams) end(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for slot := range s.bySess[key] {
		slot.end()
	}
}

// sessions returns the sessions with open streams.
func (s *chatStreams) sessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Collect(maps.Keys(s.bySess))
}

// open is how many streams are open.
func (s *chatStreams) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}
