package ingestion

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestChatLimiterBurstThenRefill(t *testing.T) {
	t.Parallel()
	l := newChatLimiter(2*time.Minute, 5, 100)
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("start %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait <= 0 || wait > 2*time.Minute {
		t.Fatalf("sixth start: allowed=%v wait=%s, want refused with a wait up to 2m", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Fatal("another key was limited")
	}
	if ok, _ := l.allow("a", now.Add(wait)); !ok {
		t.Fatal("still refused after the wait it gave")
	}
}

func TestChatLimiterStaysBounded(t *testing.T) {
	t.Parallel()
	l := newChatLimiter(time.Minute, 1, 10)
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.allow(fmt.Sprintf("k%d", i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := l.size(); n > 10 {
		t.Fatalf("limiter holds %d keys, bound 10", n)
	}
	// The most recent key survived eviction and is still limited.
	if ok, _ := l.allow("k999", now.Add(time.Second)); ok {
		t.Fatal("recent key was forgotten")
	}
}

func TestChatClientAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, remote, header, value, want string
	}{
		{"ipv4", "203.0.113.7:5555", "", "", "203.0.113.7"},
		{"ipv6 keyed by /64", "[2001:db8:1:2:aaaa::1]:443", "", "", "2001:db8:1:2::/64"},
		{"header ignored unless configured", "203.0.113.7:5555", "", "198.51.100.1", "203.0.113.7"},
		{"proxy header: its last entry", "10.0.0.1:5555", "X-Forwarded-For", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"mapped ipv4", "[::ffff:203.0.113.9]:1", "", "", "203.0.113.9"},
		{"garbage", "nonsense", "", "", "unknown"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, "/", nil)
		req.RemoteAddr = tt.remote
		if tt.value != "" {
			req.Header.Set("X-Forwarded-For", tt.value)
		}
		if got := chatClientAddr(req, tt.header); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestChatStreamsLimit(t *testing.T) {
	t.Parallel()
	s := newChatStreams(3, 2)
	endedA, r1, ok1 := s.acquire("a")
	_, _, ok2 := s.acquire("a")
	_, _, ok3 := s.acquire("a")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("per-session limit: %v %v %v", ok1, ok2, ok3)
	}
	endedB, _, okB := s.acquire("b")
	_, _, okC := s.acquire("c")
	if !okB || okC {
		t.Fatalf("total limit: %v %v", okB, okC)
	}
	r1()
	r1() // releasing twice gives back one slot
	if _, _, ok := s.acquire("c"); !ok {
		t.Fatal("released slot not reusable")
	}
	if _, _, ok := s.acquire("d"); ok {
		t.Fatal("double release freed two slots")
	}
	if got := s.sessions(); len(got) != 3 {
		t.Fatalf("sessions with streams: %v", got)
	}
	s.end("b")
	if endedB.Err() == nil || endedA.Err() == nil {
		t.Fatal("ending a session (or releasing a slot) did not end its stream")
	}
	if s.open() != 3 {
		t.Fatalf("%d open: ending does not release, the stream's handler does", s.open())
	}
}

func TestChatFirstName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Alex Moreno":        "Alex",
		"  Zoë  ":            "Zoë",
		"Jean-Luc Picard":    "Jean-Luc",
		"":                   "",
		"+447700900101":      "",
		"alex@example.org":   "",
		"worker7":            "",
		"Sam (duty) Okafor":  "Sam",
		"Ngozi\tAdichie-Obi": "Ngozi",
	}
	for in, want := range tests {
		if got := chatFirstName(in); got != want {
			t.Errorf("chatFirstName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChatMessageIDIsScopedAndValid(t *testing.T) {
	t.Parallel()
	a := chatMessageID("cv-1", "x")
	if a != chatMessageID("cv-1", "x") || a == chatMessageID("cv-2", "x") || a == chatMessageID("cv-1", "y") {
		t.Fatal("message ids are not a function of (conversation, client id)")
	}
	if len(a) != 29 || !idChars(a) {
		t.Fatalf("id %q is not a subject-safe id", a)
	}
}

func idChars(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
