package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/inbox"
)

// TestSimultaneousAcknowledgementsOneWins has two duty workers press
// acknowledge at once, many times over: exactly one wins each time; the
// other is told who did.
func TestSimultaneousAcknowledgementsOneWins(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	dana, bo := w.signIn(t, "dana"), w.signIn(t, "bo")
	for i, from := range []string{"+447700900701", "+447700900702", "+447700900703"} {
		esc := w.crisis(t, from, "I want to end my life tonight").ID
		var wg sync.WaitGroup
		codes := map[string]int{}
		bodies := map[string]string{}
		var mu sync.Mutex
		for name, s := range map[string]*staff{"dana": dana, "bo": bo} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := s.do("POST", "/api/escalations/"+esc+"/ack", nil)
				mu.Lock()
				codes[name], bodies[name] = code, string(body)
				mu.Unlock()
			}()
		}
		wg.Wait()
		won, lost := "dana", "bo"
		if codes["bo"] == http.StatusOK {
			won, lost = "bo", "dana"
		}
		if codes[won] != http.StatusOK || codes[lost] != http.StatusConflict {
			t.Fatalf("round %d: codes %v, want one 200 and one 409: %v", i, codes, bodies)
		}
		if want := "Already acknowledged by " + names[won]; !strings.Contains(bodies[lost], want) {
			t.Fatalf("round %d: loser was told %q, want %q", i, bodies[lost], want)
		}
		// The queue no longer lists it.
		w.waitGone(t, esc)
	}
}

func (w *world) waitGone(t testing.TB, esc string) {
	t.Helper()
	poll.Until(t, 20*time.Second, func() error {
		e, err := w.queue.Get(context.Background(), esc)
		if err != nil || e.Open() {
			return fmt.Errorf("escalation still open (%v)", err)
		}
		return nil
	})
}

// TestReplyReachesClientsNumber: a worker's reply through the API is sent
// by the notification service from the line's number to the client's
// real number, signed with the worker's first name only in the log; the
// console never shows the number.
func TestReplyReachesClientsNumber(t *testing.T) {
	t.Parallel()
	s := seed(t)
	wes := s.signIn(t, "wes")
	code, body := wes.do("POST", "/api/conversations/"+s.convA+"/replies", map[string]string{"id": "reply-one", "body": "We are here. Are you safe?"})
	if code != http.StatusAccepted {
		t.Fatalf("reply: %d %s", code, body)
	}
	// A repeat of the same reply id (a double click) is one SMS.
	if code, _ := wes.do("POST", "/api/conversations/"+s.convA+"/replies", map[string]string{"id": "reply-one", "body": "We are here. Are you safe?"}); code != http.StatusAccepted {
		t.Fatalf("repeat: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := s.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool {
		return m.To == clientA && strings.Contains(m.Body, "Are you safe?")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.From != lineNumber {
		t.Fatalf("reply from %s, want the line's number", got.From)
	}
	// The conversation shows the reply once, with the worker's first name
	// and its delivery status. Every reading is counted for the audit check.
	reads := 0
	poll.Until(t, 20*time.Second, func() error {
		var conv struct {
			Messages []struct {
				Direction, Text, Status string
				SenderName              string `json:"sender_name"`
			} `json:"messages"`
		}
		code, b := wes.do("GET", "/api/conversations/"+s.convA, nil)
		if code == http.StatusOK {
			reads++
		}
		if err := json.Unmarshal(b, &conv); err != nil {
			return err
		}
		var found []string
		for _, m := range conv.Messages {
			if m.Direction == "out" && m.Text == "We are here. Are you safe?" {
				found = append(found, m.SenderName+"/"+m.Status)
			}
		}
		if len(found) != 1 || (found[0] != "Wes/sent" && found[0] != "Wes/delivered") {
			return fmt.Errorf("reply shown as %v, want once as Wes/sent", found)
		}
		return nil
	})
	sent := 0
	for _, m := range s.fake.Sent() {
		if m.To == clientA && strings.Contains(m.Body, "Are you safe?") {
			sent++
		}
	}
	if sent != 1 {
		t.Fatalf("%d SMS for one reply", sent)
	}
	audited := 0
	for _, r := range s.auditReads(t) {
		if r.ConversationID == s.convA && r.Role == "worker" && r.Via == "api" {
			audited++
		}
	}
	if audited != reads {
		t.Fatalf("%d readings, %d audit records", reads, audited)
	}
}

// TestPageLinkSignsInAndReturns: the link of a page SMS, opened without a
// session, asks to sign in and returns to that escalation; a next
// pointing elsewhere is ignored.
func TestPageLinkSignsInAndReturns(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	esc := w.crisis(t, "+447700900704", "I want to end my life tonight").ID
	c := w.anonymous(t)
	req, _ := http.NewRequest("GET", w.srv.URL+"/queue/"+esc, nil)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Fqueue%2F"+esc {
		t.Fatalf("the page link without a session: %d to %q, want the sign-in returning to it", resp.StatusCode, loc)
	}
	for next, want := range map[string]string{"/queue/" + esc: "/queue/" + esc, "//evil.example/": "/"} {
		s := w.anonymous(t)
		code, _ := s.send("GET", loc, nil)
		if code != http.StatusOK {
			t.Fatalf("sign-in page: %d", code)
		}
		form := url.Values{"id": {"dana"}, "password": {password}, "next": {next}}
		resp, _ := s.submit("POST", "/login", form)
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Fatalf("signed in with next %q: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
}

// TestWorkerEscalatesByHandAndMarksVerdict: a worker reading a
// conversation triage did not escalate presses Escalate with a reason:
// the duty worker's phone is paged for it like for any other; a second
// press while it is open is refused. The worker marks triage's verdict
// missed: the mark is in the log, where `helpline triage feedback` reads
// it. A worker of another team may do neither.
func TestWorkerEscalatesByHandAndMarksVerdict(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	ctx := context.Background()
	const from = "+447700900705"
	w.text(t, from, "everything is too much lately")
	conv := w.waitConversation(t, func(c inbox.Conversation) bool { return c.Risk != "" })
	var msg string
	poll.Until(t, 20*time.Second, func() error {
		ms, err := w.inbox.Messages(ctx, conv.ID)
		if err != nil || len(ms) == 0 || ms[0].Risk == "" {
			return fmt.Errorf("message not triaged yet (%v)", err)
		}
		msg = ms[0].ID
		return nil
	})
	dana := w.signIn(t, "dana")
	if code, body := dana.do("POST", "/api/conversations/"+conv.ID+"/assign", map[string]string{"assignee_id": "wes", "team_id": "day"}); code != http.StatusNoContent {
		t.Fatalf("assign: %d %s", code, body)
	}
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv.ID && c.AssigneeID == "wes" })
	wes, nia := w.signIn(t, "wes"), w.signIn(t, "nia")
	if code, page := wes.send("GET", "/conversations/"+conv.ID, nil); code != http.StatusOK || !strings.Contains(string(page), `id="escalate"`) ||
		!strings.Contains(string(page), "Triage missed this") {
		t.Fatalf("the conversation page: %d, want the Escalate form and the mark button", code)
	}
	escalate := "form:reason=risk_to_life&request_id=req1"
	if code, _ := nia.send("POST", "/conversations/"+conv.ID+"/escalate", escalate); code != http.StatusForbidden {
		t.Fatalf("another team's worker escalated: %d", code)
	}
	if code, body := wes.send("POST", "/conversations/"+conv.ID+"/escalate", escalate); code != http.StatusSeeOther {
		t.Fatalf("escalate: %d %s", code, body)
	}
	page := w.waitSMS(t, "the page for the manual escalation", func(m twiliofake.SentMessage) bool {
		return m.To == dutyPhone && strings.Contains(m.Body, "/queue/esc-manual-req1")
	})
	if strings.Contains(page.Body, from) || strings.Contains(page.Body, "too much") {
		t.Fatalf("the page %q holds the client's number or words", page.Body)
	}
	if code, _ := wes.send("POST", "/conversations/"+conv.ID+"/escalate", "form:reason=safeguarding&request_id=req2"); code != http.StatusConflict {
		t.Fatalf("a second escalation while one is open: %d, want 409", code)
	}
	feedback := "/conversations/" + conv.ID + "/messages/" + msg + "/feedback"
	if code, _ := nia.send("POST", feedback, "form:feedback=missed"); code != http.StatusForbidden {
		t.Fatalf("another team's worker marked the verdict: %d", code)
	}
	if code, body := wes.send("POST", feedback, "form:feedback=missed"); code != http.StatusSeeOther {
		t.Fatalf("mark: %d %s", code, body)
	}
	marks := w.Events(t, events.AggregateConversation, events.TypeTriageFeedbackRecorded)
	if len(marks) != 1 {
		t.Fatalf("%d marks in the log, want 1", len(marks))
	}
	p, err := marks[0].Decode()
	if fb, ok := p.(events.TriageFeedbackRecorded); err != nil || !ok || fb.StaffID != "wes" || fb.Feedback != events.FeedbackMissed || fb.MessageID != msg {
		t.Fatalf("the mark: %+v, %v", p, err)
	}
}
