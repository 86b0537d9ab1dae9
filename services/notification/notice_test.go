package notification_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

const (
	noticeLine   = "+442079460030"
	noticeClient = "+447700900330"
	noticeRobin  = "+447700900331"
	noticeSam    = "+447700900332"
	noticeToken  = "noticetoken0123456789"
)

// A line open on weekdays only (so a crisis text on a Saturday night gets
// the crisis reply), robin on duty and sam as backup, five minutes each.
const noticeConfig = `
lines:
  - id: night
    name: Night Line
    number: "` + noticeLine + `"
    timezone: Europe/London
    hours: {monday: ["09:00-17:00"]}
staff:
  - {id: robin, name: Robin Hale, role: duty, work_phone: "` + noticeRobin + `"}
  - {id: sam, name: Sam Okafor, role: duty, work_phone: "` + noticeSam + `"}
rota:
  - {line: night, level: duty, staff: robin}
  - {line: night, level: backup, staff: sam}
policies:
  - {id: default, levels: [duty, backup], ack_timeout: 5m, rounds: 1}
`

// TestCrisisWhileAnsweredNoticesTheWorker is issue 12 item 3 as the duty
// worker and the client meet it, on the whole process (in-process NATS,
// triage, notification, the timer loops on a hand-moved clock, the Twilio
// fake): a client's crisis text pages robin and gets the crisis reply;
// robin acknowledges and answers; the client's second crisis text sends
// robin exactly one urgent notice, with no new escalation, no new page
// round and no second "we have alerted" text to the client (nor, for a
// plain message, "we are closed"); when nobody
// answers it within the policy's five minutes, the conversation escalates
// and the pager passes over robin, paging sam at once.
func TestCrisisWhileAnsweredNoticesTheWorker(t *testing.T) {
	t.Parallel()
	b, p, conv, first := answeredCrisis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	to := func(number string) func(twiliofake.SentMessage) bool {
		return func(m twiliofake.SentMessage) bool { return m.To == number }
	}
	sentTo := func(number string) []twiliofake.SentMessage {
		var out []twiliofake.SentMessage
		for _, m := range p.Fake.Sent() {
			if m.To == number {
				out = append(out, m)
			}
		}
		return out
	}

	// A plain message out of hours while robin answers: no "we are
	// closed" text (checked with the client's texts at the end).
	b.Text(t, noticeClient, noticeLine, "ok thank you")
	b.Clock.Add(time.Minute)
	b.Text(t, noticeClient, noticeLine, "locked in the bathroom. police on the way")
	notice, err := p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == noticeRobin && strings.Contains(m.Body, "URGENT") })
	if err != nil {
		t.Fatalf("no urgent notice to robin: %v", err)
	}
	if want := p.Server.URL + "/conversations/" + conv; !strings.Contains(notice.Body, want) || strings.Contains(notice.Body, noticeClient) ||
		strings.Contains(notice.Body, "bathroom") {
		t.Fatalf("notice %q: want the conversation's link %s, neither the client's number nor words", notice.Body, want)
	}
	var raised []events.UrgentNoticeRaised
	poll.Until(t, 30*time.Second, func() error {
		if raised = testbed.Payloads[events.UrgentNoticeRaised](t, b, conv, events.TypeUrgentNoticeRaised); len(raised) != 1 {
			return fmt.Errorf("%d urgent notices, want 1", len(raised))
		}
		if sent := testbed.Payloads[events.MessageSent](t, b, conv, events.TypeMessageSent); !sentOnce(sent, raised[0].NoticeID, notice.SID) {
			return fmt.Errorf("the notice's send is not recorded yet: %+v", sent)
		}
		return nil
	})
	if n := raised[0]; n.StaffID != "robin" || n.EscalationID != first.EscalationID {
		t.Fatalf("notice %+v: want robin told about %s", n, first.EscalationID)
	}
	if esc := testbed.Payloads[events.EscalationRaised](t, b, conv, events.TypeEscalationRaised); len(esc) != 1 {
		t.Fatalf("escalations %+v: want only the first", esc)
	}

	// Nobody answers: past the window, the conversation escalates, and sam
	// (backup) is paged at once, robin passed over.
	b.Clock.Add(5 * time.Minute)
	if _, err := p.Fake.WaitFor(ctx, to(noticeSam)); err != nil {
		t.Fatalf("sam was not paged once the notice went unanswered: %v", err)
	}
	esc := testbed.Payloads[events.EscalationRaised](t, b, conv, events.TypeEscalationRaised)
	if len(esc) != 2 || esc[1].Reason != events.ReasonCrisis || esc[1].MessageID != raised[0].MessageID {
		t.Fatalf("escalations %+v: want a crisis escalation of the second message", esc)
	}

	// Robin answers at last: once the reply reaches the client, the bridge
	// has handled everything before it, the second verdict included.
	b.Reply(t, conv, "r2", "robin", "Robin", "we are here")
	poll.Until(t, 30*time.Second, func() error {
		if n := len(sentTo(noticeClient)); n < 3 {
			return fmt.Errorf("the client got %d texts, want robin's second reply as the third", n)
		}
		return nil
	})
	if got := sentTo(noticeClient); got[0].Body == "we are here" || got[1].Body != "we are here" || got[2].Body != "we are here" {
		t.Fatalf("the client got %d texts %+v: want the crisis reply once, then robin's two replies (no 'we are closed')", len(got), got)
	}
	if got := sentTo(noticeRobin); len(got) != 2 {
		t.Fatalf("robin got %d texts: want the first page and the one notice", len(got))
	}
}

// answeredCrisis runs a whole process on a Saturday night (the line is
// closed) where a client's crisis text paged robin and got the crisis
// reply, and robin acknowledged it and answered.
func answeredCrisis(t *testing.T) (*testbed.Bed, *apptest.Served, string, events.EscalationRaised) {
	t.Helper()
	b := testbed.New(t, noticeConfig, time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	p := apptest.Run(t, b, noticeToken)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conv := b.Text(t, noticeClient, noticeLine, "my ex is banging on the door with a knife, says hes going to finish me tonight").ConversationID
	for who, number := range map[string]string{"robin's page": noticeRobin, "the client's crisis reply": noticeClient} {
		if _, err := p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == number }); err != nil {
			t.Fatalf("no SMS for %s: %v", who, err)
		}
	}
	first := testbed.Payloads[events.EscalationRaised](t, b, conv, events.TypeEscalationRaised)[0]
	b.Update(t, conv, func(c *events.Conversation, m events.Meta) error {
		return c.Acknowledge(first.EscalationID, "robin", m)
	})
	b.Reply(t, conv, "r1", "robin", "Robin", "we are here")
	if _, err := p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == noticeClient && m.Body == "we are here" }); err != nil {
		t.Fatalf("robin's reply did not reach the client: %v", err)
	}
	return b, p, conv, first
}

// TestUndeliveredNoticeEscalatesAtOnce: an urgent notice the provider
// reports undelivered never told the worker: the conversation escalates
// at once, without waiting for the window (the clock stands still).
func TestUndeliveredNoticeEscalatesAtOnce(t *testing.T) {
	t.Parallel()
	b, p, conv, _ := answeredCrisis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.Fake.FailDeliveries(noticeRobin, "undelivered", 30003); err != nil {
		t.Fatal(err)
	}
	b.Text(t, noticeClient, noticeLine, "locked in the bathroom. police on the way")
	if _, err := p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == noticeRobin && strings.Contains(m.Body, "URGENT") }); err != nil {
		t.Fatalf("no urgent notice to robin: %v", err)
	}
	if _, err := p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == noticeSam }); err != nil {
		t.Fatalf("sam was not paged once robin's notice was undelivered: %v", err)
	}
	if esc := testbed.Payloads[events.EscalationRaised](t, b, conv, events.TypeEscalationRaised); len(esc) != 2 || esc[1].Reason != events.ReasonCrisis {
		t.Fatalf("escalations %+v: want a crisis escalation of the second message", esc)
	}
}

func sentOnce(sent []events.MessageSent, sendID, sid string) bool {
	n := 0
	for _, s := range sent {
		if s.SendID == sendID && s.ProviderMessageID == sid && s.Recipient == "robin" {
			n++
		}
	}
	return n == 1
}

// TestNoAlertTextWhileAWorkerAnswers: the client is told "we have alerted
// the person on call" for the escalation their crisis raised, but not
// again for an out-of-hours escalation raised while the worker who
// acknowledged the crisis is answering them.
func TestNoAlertTextWhileAWorkerAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.service(t)
	ctx := context.Background()
	appendAs := func(id, convID string, p events.Payload) {
		t.Helper()
		e, err := events.NewWithID(id, convID, p, events.Meta{OccurredAt: w.Clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Store.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	convID, escID, _ := w.crisis(t, "crisis words")
	first := testbed.Payloads[events.EscalationRaised](t, w.Bed, convID, events.TypeEscalationRaised)[0]
	appendAs("tri-"+first.MessageID, convID, events.MessageTriaged{MessageID: first.MessageID, Risk: events.RiskCrisis, OutOfHours: true})
	if got := w.waitSent(t, clientNum, 1); !strings.HasPrefix(got[0].Body, "We have alerted") {
		t.Fatalf("the client got %q, want the crisis reply", got[0].Body)
	}
	w.Update(t, convID, func(c *events.Conversation, m events.Meta) error { return c.Acknowledge(escID, "sam", m) })

	rc := w.Text(t, clientNum, lineNum, "elevated words")
	appendAs("esc-"+rc.EventID, convID, events.EscalationRaised{EscalationID: "esc-" + rc.EventID, LineID: "main", MessageID: rc.EventID,
		Reason: events.ReasonOutOfHours, Risk: events.RiskElevated, Categories: []string{}, Terms: events.NoWords()})
	appendAs("tri-"+rc.EventID, convID, events.MessageTriaged{MessageID: rc.EventID, Risk: events.RiskElevated, OutOfHours: true})
	w.Reply(t, convID, "r1", "robin", "Robin", "we are here") // handled after the verdict: its SMS shows the bridge got past it
	if got := w.waitSent(t, clientNum, 2); got[1].Body != "we are here" {
		t.Fatalf("the client got %q after the crisis reply, want only the worker's reply", got[1].Body)
	}
}
