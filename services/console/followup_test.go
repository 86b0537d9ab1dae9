package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections/inbox"
)

const followUpText = "Checking in as we agreed. How are you? Reply to talk, STOP to stop."

// followUpWorld is the world with follow-ups on the line and a one-minute
// reopen window.
func followUpWorld(t *testing.T) *world {
	t.Helper()
	cfg := strings.Replace(worldConfig, "admin_contacts: [ada]}", `admin_contacts: [ada], reopen_window: 1m, follow_up_text: "`+followUpText+`"}`, 1)
	if cfg == worldConfig {
		t.Fatal("the world's line changed: follow_up_text not added")
	}
	return newWorld(t, worldOpts{config: cfg})
}

// TestFollowUpFromTheCloseFormToAReplyFirstInTheInbox: a duty worker
// closes a conversation with the close form's follow-up (the client
// agreed, in one hour); refusals (no consent, beyond the line's maximum,
// no time) close nothing. An hour later on the test's clock the whole
// process (its timer tick) texts the line's follow-up text once; the
// conversation page shows it as the follow-up check-in. The client's
// reply, past the reopen window, reopens the same conversation marked
// high priority, and the inbox lists it first although another client
// wrote since.
func TestFollowUpFromTheCloseFormToAReplyFirstInTheInbox(t *testing.T) {
	t.Parallel()
	w := followUpWorld(t)
	const from, other = "+447700900808", "+447700900809"
	conv := w.started(t, from, "thank you, that helped a bit")
	dana := w.signIn(t, "dana")
	page, seen := dana.page(t, conv.ID)
	if !strings.Contains(page, `id="follow-up"`) || !strings.Contains(page, "at most 14 days ahead") {
		t.Fatal("the close form offers no follow-up on a line with a follow-up text")
	}

	closeForm := "form:outcome=supported&category=reason:mental_health&category=risk:low&category=action:listened&seen_seq=" + seen
	for name, followUp := range map[string]string{
		"without consent":        "&follow_up_in=1&follow_up_unit=h",
		"beyond the line's most": "&follow_up_consent=yes&follow_up_in=15&follow_up_unit=d",
		"without a time":         "&follow_up_consent=yes",
		"in the past":            "&follow_up_consent=yes&follow_up_at=2020-01-01T10:00",
	} {
		if code, body := dana.send("POST", "/conversations/"+conv.ID+"/close", closeForm+followUp); code != http.StatusBadRequest {
			t.Fatalf("close %s: %d %s, want 400", name, code, body)
		}
	}
	if c, _ := w.inbox.Get(t.Context(), conv.ID); !c.Open {
		t.Fatal("a refused follow-up closed the conversation")
	}
	if code, body := dana.send("POST", "/conversations/"+conv.ID+"/close", closeForm+"&follow_up_consent=yes&follow_up_in=1&follow_up_unit=h"); code != http.StatusSeeOther {
		t.Fatalf("close with a follow-up: %d %s", code, body)
	}
	poll.Until(t, 20*time.Second, func() error {
		if c, err := w.inbox.Get(t.Context(), conv.ID); err != nil || c.Open {
			return fmt.Errorf("not closed yet (%v)", err)
		}
		return nil
	})

	w.Clock.Add(59 * time.Minute)
	w.Clock.Add(time.Minute)
	poll.Until(t, 20*time.Second, func() error {
		if n := len(w.sentTo(from)); n != 1 {
			return fmt.Errorf("%d messages to the client, want the follow-up", n)
		}
		return nil
	})
	if got := w.sentTo(from)[0]; got != followUpText {
		t.Fatalf("follow-up %q, want the line's text", got)
	}
	dana = w.signIn(t, "dana") // the session ended while the clock moved an hour
	poll.Until(t, 20*time.Second, func() error {
		code, page := dana.send("GET", "/conversations/"+conv.ID, nil)
		if code != http.StatusOK || !strings.Contains(string(page), "follow-up check-in") {
			return fmt.Errorf("the conversation page (%d) does not show the follow-up", code)
		}
		return nil
	})

	w.Clock.Add(10 * time.Minute) // past the reopen window
	w.text(t, from, "not so good today")
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv.ID && c.Open && c.Unread > 0 })
	w.Clock.Add(time.Minute)
	w.text(t, other, "hello, is anyone there?")
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID != conv.ID && c.Unread > 0 })
	dana = w.signIn(t, "dana")
	code, body := dana.do("GET", "/api/inbox", nil)
	if code != http.StatusOK {
		t.Fatalf("inbox: %d %s", code, body)
	}
	var l struct {
		Conversations []struct {
			ID    string   `json:"id"`
			Flags []string `json:"flags"`
		} `json:"conversations"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Conversations) != 2 || l.Conversations[0].ID != conv.ID || !strings.Contains(strings.Join(l.Conversations[0].Flags, ","), inbox.FlagFollowUpReply) {
		t.Fatalf("inbox %+v: want the reply to the follow-up first, flagged %s", l.Conversations, inbox.FlagFollowUpReply)
	}
	if _, page := dana.send("GET", "/inbox", nil); !strings.Contains(string(page), "high priority: replied to a follow-up") {
		t.Error("the inbox page does not mark the reply to the follow-up")
	}
	n := 0
	for _, b := range w.sentTo(from) {
		if b == followUpText {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d follow-ups to the client, want 1", n)
	}
}

// sentTo are the bodies of the SMS the line sent to number.
func (w *world) sentTo(number string) []string {
	var out []string
	for _, m := range w.fake.Sent() {
		if m.To == number {
			out = append(out, m.Body)
		}
	}
	return out
}
