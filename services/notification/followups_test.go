package notification_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/ingestion"
)

const followUpText = "Checking in as we agreed. Reply to talk, STOP to stop."

// followUpConfig is the test line with follow-ups and a one-minute reopen
// window.
var followUpConfig = mainConfig(`, reopen_window: 1m, follow_up_text: "`+followUpText+`"`, testbed.On("duty", sam))

// anyWrapUp stands for the line's taxonomy: these tests are about what
// follows a close.
type anyWrapUp struct{}

func (anyWrapUp) CheckWrapUp(string, []string) error { return nil }

// followUpScheduled brings a client's message (body) in and closes its
// conversation as a worker does, with a follow-up the client agreed to,
// due after in; it returns the message's receipt and the follow-up's id
// once the running service has set the follow-up's timer.
func (w *world) followUpScheduled(t *testing.T, body string, in time.Duration) (ingestion.Receipt, string) {
	t.Helper()
	rc := w.Text(t, clientNum, lineNum, body)
	id := w.closeWithFollowUp(t, rc, in)
	poll.Until(t, 10*time.Second, w.followUpTimer(id, true))
	return rc, id
}

// closeWithFollowUp closes the conversation of rc as a worker does, with a
// follow-up the client agreed to, due after in; it returns the
// follow-up's id.
func (w *world) closeWithFollowUp(t *testing.T, rc ingestion.Receipt, in time.Duration) string {
	t.Helper()
	convs, err := events.NewConversations(w.Store, 4)
	if err != nil {
		t.Fatal(err)
	}
	now := w.Clock.Now()
	c, err := convs.Update(context.Background(), rc.ConversationID, func(c *events.Conversation) error {
		line, _ := w.File.LineByID(c.LineID)
		plan := &events.FollowUpPlan{Consent: true, Due: now.Add(in), Within: line.FollowUpWithin()}
		return c.Close("alex", events.WrapUp{Outcome: "supported", SeenSeq: c.LastInboundSeq, FollowUp: plan}, anyWrapUp{}, events.Meta{OccurredAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range c.State.FollowUps {
		return id
	}
	t.Fatal("no follow-up scheduled")
	return ""
}

// events of type typ in the conversation's history.
func (w *world) convEvents(t *testing.T, convID, typ string) []events.Envelope {
	t.Helper()
	history, _, err := w.Store.Load(context.Background(), events.AggregateConversation, convID)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for _, e := range history {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (w *world) followUpTimer(id string, want bool) func() error {
	return func() error {
		_, ok, err := w.tm.Get(context.Background(), "followup-"+id)
		if err != nil || ok != want {
			return fmt.Errorf("follow-up timer %s set: %v (%v), want %v", id, ok, err, want)
		}
		return nil
	}
}

// TestFollowUpSentOnceAcrossARestartAndTheReplyReopens: a follow-up set
// a minute ahead survives the notification service's death (a new
// process, a new timer store on the same bucket, the clock moved by
// hand), goes out once with the line's text, from the line's number, and
// is recorded sent once however often its timer is fired again; the
// client's reply, past the line's reopen window, reopens the same
// conversation, marked answered.
func TestFollowUpSentOnceAcrossARestartAndTheReplyReopens(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, followUpConfig)
	_, stop := w.service(t)
	rc, id := w.followUpScheduled(t, "it's been a hard week", time.Minute)
	stop() // the process dies before the follow-up is due

	w.Clock.Add(time.Minute)
	w.tm = w.Timers(t, "notification_timers") // a new process reads the bucket anew
	svc, _ := w.service(t)
	w.fireUntil(t, svc, w.sentAtLeast(clientNum, 1))
	got := w.sentTo(clientNum)
	if len(got) != 1 || got[0].Body != followUpText || got[0].From != lineNum {
		t.Fatalf("follow-up: %+v, want one message with the line's follow-up text from its number", got)
	}
	poll.Until(t, 10*time.Second, func() error {
		if n := len(w.convEvents(t, rc.ConversationID, events.TypeMessageSent)); n != 1 {
			return fmt.Errorf("%d sends recorded, want 1", n)
		}
		return nil
	})
	// Fired again (another replica that read the timer before it was
	// deleted): nothing more.
	w.fireUntil(t, svc, w.followUpTimer(id, false))
	again := timers.Timer{Key: "followup-" + id, Due: w.Clock.Now(), Data: map[string]string{"conversation": rc.ConversationID}}
	for range 2 {
		if err := svc.OnTimer(context.Background(), again); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.sentTo(clientNum)); n != 1 {
		t.Fatalf("%d follow-ups sent, want 1", n)
	}

	w.Clock.Add(10 * time.Minute) // well past the reopen window
	reply := w.Text(t, clientNum, lineNum, "not great to be honest")
	if reply.ConversationID != rc.ConversationID {
		t.Fatalf("the reply went to %s, want the follow-up's conversation %s", reply.ConversationID, rc.ConversationID)
	}
	if n := len(w.convEvents(t, rc.ConversationID, events.TypeFollowUpAnswered)); n != 1 {
		t.Fatalf("%d follow_up_answered events, want 1", n)
	}
}

// TestStopBeforeTheFollowUpCancelsIt: the client texts STOP after the
// close, past the reopen window (so the STOP starts a conversation of
// its own); at the due time nothing is sent and the follow-up is
// recorded cancelled because the client opted out.
func TestStopBeforeTheFollowUpCancelsIt(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, followUpConfig)
	svc, _ := w.service(t)
	rc, id := w.followUpScheduled(t, "thanks for listening", time.Hour)
	w.Clock.Add(5 * time.Minute)
	stop := w.Text(t, clientNum, lineNum, "STOP")
	if stop.ConversationID == rc.ConversationID {
		t.Fatal("the STOP reopened the conversation: the test wants it past the reopen window")
	}

	w.Clock.Add(time.Hour)
	w.fireUntil(t, svc, func() error {
		cancelled := w.convEvents(t, rc.ConversationID, events.TypeFollowUpCancelled)
		if len(cancelled) != 1 {
			return fmt.Errorf("%d cancellations, want 1", len(cancelled))
		}
		if r := testbed.Payload[events.FollowUpCancelled](t, cancelled[0]).Reason; r != events.FollowUpOptedOut {
			return fmt.Errorf("cancelled for %q, want %q", r, events.FollowUpOptedOut)
		}
		return nil
	})
	w.fireUntil(t, svc, w.followUpTimer(id, false))
	if n := len(w.sentTo(clientNum)); n != 0 {
		t.Fatalf("%d messages to a client who texted STOP, want none", n)
	}
}
