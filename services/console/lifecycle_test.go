package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections/inbox"
)

var seenSeqField = regexp.MustCompile(`name="seen_seq" value="(\d+)"`)

// page returns the conversation page as s sees it, and the seen_seq its
// close form carries.
func (s *staff) page(t *testing.T, conv string) (string, string) {
	t.Helper()
	code, body := s.send("GET", "/conversations/"+conv, nil)
	m := seenSeqField.FindStringSubmatch(string(body))
	if code != http.StatusOK || m == nil {
		t.Fatalf("conversation page: %d, close form found: %v", code, m != nil)
	}
	return string(body), m[1]
}

// TestHandOverThenCloseInTheConsole: a worker hands a conversation over
// with a note; the new assignee reads the note on the conversation page;
// their close over a message that came after their page is refused and
// shows it; closed, it leaves the open inbox and shows among the closed.
func TestHandOverThenCloseInTheConsole(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	const from = "+447700900707"
	conv := w.started(t, from, "can we talk tomorrow evening?")
	dana, wes, nia := w.signIn(t, "dana"), w.signIn(t, "wes"), w.signIn(t, "nia")
	if code, body := dana.do("POST", "/api/conversations/"+conv.ID+"/assign", map[string]string{"assignee_id": "wes", "team_id": "day"}); code != http.StatusNoContent {
		t.Fatalf("assign: %d %s", code, body)
	}
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv.ID && c.AssigneeID == "wes" })

	const note = "Evenings only, a safety plan is agreed."
	if code, _ := wes.send("POST", "/conversations/"+conv.ID+"/handover", "form:assignee_id=nia&note="); code != http.StatusBadRequest {
		t.Fatalf("a hand-over without a note: %d, want 400", code)
	}
	if code, _ := wes.send("POST", "/conversations/"+conv.ID+"/handover", "form:assignee_id=ghost&note=over to you"); code != http.StatusBadRequest {
		t.Fatalf("a hand-over to nobody known: %d, want 400", code)
	}
	if code, body := wes.send("POST", "/conversations/"+conv.ID+"/handover", "form:handover_id=h1&assignee_id=nia&team_id=night&note="+note); code != http.StatusSeeOther {
		t.Fatalf("hand over: %d %s", code, body)
	}
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv.ID && c.AssigneeID == "nia" })
	page, seen := nia.page(t, conv.ID)
	if !strings.Contains(page, "Hand-over note") || !strings.Contains(page, note) || !strings.Contains(page, "Wes Worker") {
		t.Fatalf("the new assignee's page does not show the note from Wes")
	}

	// A message after nia's page: her close is refused, and the page says why.
	w.text(t, from, "actually, are you there now?")
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv.ID && c.Unread == 2 })
	closeForm := "form:outcome=supported&category=reason:mental_health&category=risk:low&seen_seq="
	to := nia.location(t, "/conversations/"+conv.ID+"/close", closeForm+seen)
	if to != "/conversations/"+conv.ID+"?newmessage=1" {
		t.Fatalf("close over a new message went to %q", to)
	}
	if code, page := nia.send("GET", to, nil); code != http.StatusOK || !strings.Contains(string(page), "A new message arrived, read it first") ||
		!strings.Contains(string(page), "are you there now?") {
		t.Fatalf("after a refused close the page (%d) does not say a message arrived, or does not show it", code)
	}
	if c, _ := w.inbox.Get(t.Context(), conv.ID); !c.Open {
		t.Fatal("a close over a new message closed the conversation")
	}
	code, body := nia.do("POST", "/api/conversations/"+conv.ID+"/close", map[string]any{"outcome": "supported",
		"categories": []string{"reason:mental_health", "risk:low"}, "seen_seq": mustAtoi(t, seen)})
	if code != http.StatusConflict || !strings.Contains(string(body), "A new message arrived") {
		t.Fatalf("API close over a new message: %d %s", code, body)
	}

	_, seen = nia.page(t, conv.ID)
	if code, body := nia.send("POST", "/conversations/"+conv.ID+"/close", closeForm+seen); code != http.StatusSeeOther {
		t.Fatalf("close: %d %s", code, body)
	}
	poll.Until(t, 20*time.Second, func() error {
		if c, err := w.inbox.Get(t.Context(), conv.ID); err != nil || c.Open || c.Outcome != "supported" {
			return fmt.Errorf("not closed with its outcome yet (%v)", err)
		}
		return nil
	})
	list := func(state string) string {
		code, body := nia.do("GET", "/api/inbox?state="+state, nil)
		if code != http.StatusOK {
			t.Fatalf("inbox %s: %d %s", state, code, body)
		}
		var l struct {
			Conversations []struct{ ID string } `json:"conversations"`
		}
		_ = json.Unmarshal(body, &l)
		var ids []string
		for _, c := range l.Conversations {
			ids = append(ids, c.ID)
		}
		return strings.Join(ids, ",")
	}
	if got := list(""); strings.Contains(got, conv.ID) {
		t.Errorf("the open inbox lists the closed conversation: %s", got)
	}
	if got := list("closed"); got != conv.ID {
		t.Errorf("closed inbox: %q, want %s", got, conv.ID)
	}
	if code, body := nia.send("GET", "/inbox?state=closed", nil); code != http.StatusOK || !strings.Contains(string(body), conv.Pseudonym) {
		t.Errorf("the closed inbox page: %d, pseudonym shown: %v", code, strings.Contains(string(body), conv.Pseudonym))
	}
}

// location posts a form and returns where the 303 sends the browser.
func (s *staff) location(t *testing.T, path, form string) string {
	t.Helper()
	f, _ := url.ParseQuery(strings.TrimPrefix(form, "form:"))
	f.Set("csrf", s.CSRF)
	resp, _ := s.submit("POST", path, f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d, want 303", path, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
