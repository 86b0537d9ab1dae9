package notification_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
)

// acknowledged returns how each escalation of the conversation was
// acknowledged, by whom ("staff/via"), as the log has it.
func (w *world) acknowledged(t *testing.T, convID string) map[string]string {
	t.Helper()
	history, _, err := w.Store.Load(context.Background(), events.AggregateConversation, convID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range history {
		if p, err := e.Decode(); err == nil {
			if a, ok := p.(events.EscalationAcknowledged); ok {
				out[a.EscalationID] = a.StaffID + "/" + a.Via
			}
		}
	}
	return out
}

func (w *world) waitTimerGone(t *testing.T, escID string) {
	t.Helper()
	poll.Until(t, 10*time.Second, func() error {
		if _, ok, _ := w.tm.Get(context.Background(), "ack-"+escID); ok {
			return fmt.Errorf("timer for %s still set", escID)
		}
		return nil
	})
}

// TestReplyToClientAcknowledges: a worker's reply in an escalated
// conversation acknowledges it (via "reply"), whether it came through
// the aggregate's RequestReply or was appended by hand as the console
// does; the timer is cancelled and the next level is never paged.
func TestReplyToClientAcknowledges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc, _ := w.service(t)
	ctx := context.Background()
	convA, escA, _ := w.crisis(t, body)
	convB, escB, _ := w.crisisFrom(t, "+447700900556", body)
	w.waitTimers(t, escA, escB)

	convs, err := events.NewConversations(w.Store, 16)
	if err != nil {
		t.Fatal(err)
	}
	clientOf := func(convID string) string {
		c, err := convs.Load(ctx, convID)
		if err != nil {
			t.Fatal(err)
		}
		return c.ClientID
	}
	seal := func(convID, replyID string) events.Sealed {
		data, err := w.Keys.Seal(ctx, clientOf(convID), []byte("We're here."), events.BodyAAD(events.ReplyEventID(replyID)))
		if err != nil {
			t.Fatal(err)
		}
		return events.Sealed{KeyID: clientOf(convID), Data: data}
	}
	if _, err := convs.Update(ctx, convA, func(c *events.Conversation) error {
		return c.RequestReply("ra", "alex", "Alex", seal(convA, "ra"), events.Meta{OccurredAt: w.Clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	e, err := events.NewWithID(events.ReplyEventID("rb"), convB, events.ReplyRequested{ReplyID: "rb", StaffID: "jo", SenderName: "Jo",
		Body: seal(convB, "rb")}, events.Meta{OccurredAt: w.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(ctx, events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
	w.waitTimerGone(t, escA)
	w.waitTimerGone(t, escB)
	if got := w.acknowledged(t, convA)[escA]; got != "alex/reply" {
		t.Errorf("escalation A acknowledged %q, want alex/reply", got)
	}
	if got := w.acknowledged(t, convB)[escB]; got != "jo/reply" {
		t.Errorf("escalation B acknowledged %q, want jo/reply", got)
	}
	w.Clock.Add(time.Hour)
	w.fire(t, svc)
	if n := len(w.sentTo(backup)); n != 0 {
		t.Fatalf("backup paged %d times after the replies", n)
	}
}
