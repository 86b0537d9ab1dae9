package notification_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
)

// triaged records triage's verdict on a client's message, as triage does.
func (w *world) triaged(t *testing.T, convID, messageID, risk string) {
	t.Helper()
	e, err := events.New(convID, events.MessageTriaged{MessageID: messageID, Risk: risk, LexiconVersion: "en-test", Rule: "test",
		Matches: []events.TriageMatch{{Category: "greeting", Language: "en", Weight: 0}}}, events.Meta{OccurredAt: w.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(context.Background(), events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
}

// waitTimer is a condition: the conversation's wait check is set (want)
// or gone.
func (w *world) waitTimer(convID string, want bool) func() error {
	return w.timer("wait-"+convID, want)
}

// timer is a condition: the notification timer key is set (want) or
// gone.
func (w *world) timer(key string, want bool) func() error {
	return func() error {
		_, ok, err := w.tm.Get(context.Background(), key)
		if err != nil || ok != want {
			return fmt.Errorf("timer %s set: %v (%v), want %v", key, ok, err, want)
		}
		return nil
	}
}

// TestWaitMessageOncePerPeriodWithTheLinesFigures: a client's elevated
// SMS waits a minute (the clock moved by hand) without a reply: the fake
// Twilio receives one wait message saying there are no recent figures,
// with the emergency numbers; the client writes again a minute later and
// gets no second one within the period. Once a conversation on the line
// was answered after 4 minutes, another client's wait message says about
// 4 minutes, without the emergency numbers (their words read as none).
func TestWaitMessageOncePerPeriodWithTheLinesFigures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc, _ := w.service(t)

	rc := w.Text(t, clientNum, lineNum, "i don't know if i can keep going")
	w.triaged(t, rc.ConversationID, rc.EventID, events.RiskElevated)
	poll.Until(t, 10*time.Second, w.waitTimer(rc.ConversationID, true))
	w.Clock.Add(time.Minute)
	w.fireUntil(t, svc, w.sentAtLeast(clientNum, 1))
	got := w.sentTo(clientNum)[0]
	for _, want := range []string{"Everyone on the team is with someone right now; we will answer as soon as we can.", "call 999"} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("wait message %q lacks %q", got.Body, want)
		}
	}
	if got.From != lineNum {
		t.Errorf("wait message from %s, want the line's number", got.From)
	}

	// Again a minute later: the check runs, and sends nothing.
	rc2 := w.Text(t, clientNum, lineNum, "hello?")
	w.triaged(t, rc2.ConversationID, rc2.EventID, events.RiskNone)
	poll.Until(t, 10*time.Second, w.waitTimer(rc.ConversationID, true))
	w.Clock.Add(time.Minute)
	w.fireUntil(t, svc, w.waitTimer(rc.ConversationID, false))
	if n := len(w.sentTo(clientNum)); n != 1 {
		t.Fatalf("%d wait messages within the period, want 1", n)
	}

	// A conversation answered after 4 minutes makes the line's figures.
	const other, third = "+447700900556", "+447700900557"
	ans := w.Text(t, other, lineNum, "can we talk")
	w.Clock.Add(4 * time.Minute)
	w.Reply(t, ans.ConversationID, "r-1", "alex", "Alex", "I'm here, what's on your mind?")
	w.waitSent(t, other, 1)
	rc3 := w.Text(t, third, lineNum, "hi")
	w.triaged(t, rc3.ConversationID, rc3.EventID, events.RiskNone)
	poll.Until(t, 10*time.Second, w.waitTimer(rc3.ConversationID, true))
	w.Clock.Add(time.Minute)
	w.fireUntil(t, svc, w.sentAtLeast(third, 1))
	msg := w.sentTo(third)[0].Body
	if !strings.Contains(msg, "Lately people have waited about 4 minutes for a first reply") || strings.Contains(msg, "999") {
		t.Fatalf("wait message %q: want the line's median first-reply wait, and no emergency numbers", msg)
	}
}
