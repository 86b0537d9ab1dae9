package notification_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app"
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
// round and no second "we have alerted" text to the client; when nobody
// answers it within the policy's five minutes, the conversation escalates
// and the pager passes over robin, paging sam at once.
func TestCrisisWhileAnsweredNoticesTheWorker(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC) // a Saturday night: the line is closed
	b := testbed.New(t, noticeConfig, t0)
	p := apptest.Serve(t, b, noticeToken, app.Config{TimerTick: 20 * time.Millisecond}, zerolog.Nop())
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

	conv := b.Text(t, noticeClient, noticeLine, "my ex is banging on the door with a knife, says hes going to finish me tonight").ConversationID
	if _, err := p.Fake.WaitFor(ctx, to(noticeRobin)); err != nil {
		t.Fatalf("robin was not paged: %v", err)
	}
	if _, err := p.Fake.WaitFor(ctx, to(noticeClient)); err != nil {
		t.Fatalf("no crisis reply to the client: %v", err)
	}
	first := testbed.Payloads[events.EscalationRaised](t, b, conv, events.TypeEscalationRaised)[0]
	b.Update(t, conv, func(c *events.Conversation, m events.Meta) error {
		return c.Acknowledge(first.EscalationID, "robin", m)
	})
	reply(t, b, conv, "r1")
	if _, err := p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == noticeClient && m.Body == "we are here" }); err != nil {
		t.Fatalf("robin's reply did not reach the client: %v", err)
	}

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
	reply(t, b, conv, "r2")
	poll.Until(t, 30*time.Second, func() error {
		if n := len(sentTo(noticeClient)); n < 3 {
			return fmt.Errorf("the client got %d texts, want robin's second reply as the third", n)
		}
		return nil
	})
	if got := sentTo(noticeClient); got[0].Body == "we are here" || got[1].Body != "we are here" || got[2].Body != "we are here" {
		t.Fatalf("the client got %d texts %+v: want the crisis reply once, then robin's two replies", len(got), got)
	}
	if got := sentTo(noticeRobin); len(got) != 2 {
		t.Fatalf("robin got %d texts: want the first page and the one notice", len(got))
	}
}

// reply is robin's reply as the console requests it.
func reply(t *testing.T, b *testbed.Bed, convID, replyID string) {
	t.Helper()
	b.Update(t, convID, func(c *events.Conversation, m events.Meta) error {
		data, err := b.Keys.Seal(context.Background(), c.ClientID, []byte("we are here"), events.BodyAAD(events.ReplyEventID(replyID)))
		if err != nil {
			return err
		}
		return c.RequestReply(replyID, "robin", "Robin", events.Sealed{KeyID: c.ClientID, Data: data}, m)
	})
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
