package console_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/projections/inbox"
)

// TestLiveStreamDoesNotKeepAnIdleSessionAlive: the live stream sends
// `changed` at once, then ends with `signed_out` when the session goes idle,
// though it was open all along.
func TestLiveStreamDoesNotKeepAnIdleSessionAlive(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	dana := w.signIn(t, "dana")
	req, _ := http.NewRequest("GET", w.srv.URL+"/api/live?view=queue", nil)
	resp, err := dana.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func(want string) {
		t.Helper()
		for lines.Scan() {
			if lines.Text() == "event: "+want {
				return
			}
		}
		t.Fatalf("stream ended before event %s: %v", want, lines.Err())
	}
	next("changed")
	w.Clock.Add(16 * time.Minute)
	next("signed_out")
	if code, _ := dana.do("GET", "/api/session", nil); code != http.StatusUnauthorized {
		t.Fatalf("session after the idle stream: %d, want 401", code)
	}
}

// TestBodiesAreLimited: a body over 64 KiB is refused with 413.
func TestBodiesAreLimited(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	wes := w.signIn(t, "wes")
	code, _ := wes.do("POST", "/api/conversations/k7q2kx3mz5d4a6ffh2rtw9pq1e/replies", map[string]string{"body": strings.Repeat("x", 70<<10)})
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("70 KiB reply: %d, want 413", code)
	}
	code, _ = wes.do("POST", "/api/conversations/k7q2kx3mz5d4a6ffh2rtw9pq1e/replies", map[string]string{"body": strings.Repeat("x", 1601)})
	if code != http.StatusBadRequest && code != http.StatusNotFound {
		t.Fatalf("1601-character reply: %d, want 400 (or 404 for the unknown conversation)", code)
	}
}

// TestClientTextIsEscaped: what a client writes is shown as text, never
// as markup.
func TestClientTextIsEscaped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	w.text(t, "+447700900888", `<script>alert(1)</script><img src=x onerror=alert(2)> I want to kill myself`)
	c := w.waitConversation(t, func(inbox.Conversation) bool { return true })
	e := w.waitEscalation(t, c.ID)
	dana := w.signIn(t, "dana")
	if code, b := dana.do("POST", "/api/escalations/"+e.ID+"/ack", nil); code != http.StatusOK {
		t.Fatalf("ack: %d %s", code, b)
	}
	code, body := dana.do("GET", "/conversations/"+c.ID, nil)
	if code != http.StatusOK {
		t.Fatalf("page: %d", code)
	}
	page := string(body)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Fatal("the client's text is rendered as markup")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatal("the client's text is not shown escaped")
	}
}
