package notification_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/notification"
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
		if e.Type == events.TypeEscalationAcknowledged {
			a := testbed.Payload[events.EscalationAcknowledged](t, e)
			out[a.EscalationID] = a.StaffID + "/" + a.Via
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

// webhooks serves ingestion's Twilio webhooks (SMS, delivery status) and
// the page calls' (key press, call status) on
// a local server the fake calls, and makes it the public URL: start it
// before the service.
func (w *world) webhooks(t *testing.T) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.public = srv.URL
	wh := ingestion.NewWebhooks(ingestion.WebhookConfig{PublicURL: srv.URL}, w.Receiver,
		func(u string, f url.Values, sig string) bool { return sms.Valid(w.fake.AuthToken(), u, f, sig) }, zerolog.Nop())
	mux.HandleFunc("POST "+ingestion.SMSPath, wh.SMS)
	mux.HandleFunc("POST "+ingestion.StatusPath, wh.Status)
	voice := notification.NewVoice(notification.VoiceConfig{PublicURL: srv.URL, AuthToken: w.fake.AuthToken()}, w.File, w.Store, w.Clock.Now, zerolog.Nop())
	mux.HandleFunc("POST "+sms.GatherPath, voice.Gather)
	mux.HandleFunc("POST "+notification.CallStatusPath, voice.Status)
}

// refusals lists the failed pages and re-escalations recorded, in order.
func (w *world) refusals(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, e := range w.Events(t, events.AggregateConversation, "") {
		p, err := e.Decode()
		if err != nil {
			t.Fatal(err)
		}
		switch p := p.(type) {
		case events.MessageSendFailed:
			out = append(out, fmt.Sprintf("failed:%s:%d", p.Recipient, p.Code))
		case events.EscalationReEscalated:
			out = append(out, "reescalated:"+p.Reason)
		}
	}
	return out
}

// TestUndeliveredPageEscalatesAtOnce: Twilio accepts the page but its
// status callback says undelivered; the backup is paged at once (the
// clock never moves, so no timeout could have done it), with the error
// code recorded.
func TestUndeliveredPageEscalatesAtOnce(t *testing.T) {
	t.Parallel()
	for _, status := range []string{"undelivered", "failed"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.webhooks(t)
			w.service(t)
			if err := w.fake.FailDeliveries(dutyPhone, status, 30003); err != nil {
				t.Fatal(err)
			}
			_, escID, _ := w.crisis(t, body)
			w.waitSent(t, dutyPhone, 1)
			w.waitSent(t, backup, 1)
			if got := fmt.Sprint(w.refusals(t)); got != "[failed:sam:30003 reescalated:undelivered]" {
				t.Fatalf("recorded %s", got)
			}
			poll.Until(t, 10*time.Second, func() error {
				if tm, ok, _ := w.tm.Get(context.Background(), "ack-"+escID); !ok || tm.Data["level"] != "1" {
					return fmt.Errorf("timer not at the backup step")
				}
				return nil
			})
		})
	}
}

// twoOnDutyConfig has sam and ali on duty together, robin as backup.
var twoOnDutyConfig = mainConfig("", testbed.On("duty", sam), testbed.On("duty", ali), testbed.On("backup", robin))

// TestOneUndeliveredOfTwoWaits: two are paged at the step and one page
// is not delivered; the other may still acknowledge, so nothing moves
// until they decline too: then the backup is paged at once.
func TestOneUndeliveredOfTwoWaits(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, twoOnDutyConfig)
	w.webhooks(t)
	w.service(t)
	if err := w.fake.FailDeliveries(dutyPhone, "undelivered", 30003); err != nil {
		t.Fatal(err)
	}
	convID, escID, _ := w.crisis(t, body)
	w.waitSent(t, "+447700900104", 1)
	w.WaitEvents(t, events.TypeDeliveryStatusChanged, 2) // sent, then undelivered
	if got := w.refusals(t); len(got) != 0 {
		t.Fatalf("one of two pages undelivered recorded %v", got)
	}
	w.Update(t, convID, func(c *events.Conversation, m events.Meta) error {
		return c.Decline(escID, "ali", events.AckConsole, m)
	})
	w.waitSent(t, backup, 1)
	// Moved by the decline, not by sam's undelivered page before it.
	if got := fmt.Sprint(w.refusals(t)); got != "[failed:sam:30003 reescalated:declined]" {
		t.Fatalf("recorded %s", got)
	}
}
