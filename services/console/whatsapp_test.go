package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
	"github.com/helpline-org/helpline/services/ingestion"
)

const (
	lineWhatsApp   = "whatsapp:" + lineNumber
	clientWhatsApp = "whatsapp:+447700900341"
)

// whatsAppConfig is worldConfig's line with a WhatsApp sender.
var whatsAppConfig = strings.Replace(worldConfig, `number: "`+lineNumber+`",`, `number: "`+lineNumber+`", whatsapp_from: "`+lineWhatsApp+`",`, 1)

// whatsApp posts a WhatsApp message from the client to the line's
// WhatsApp sender through the Twilio fake (signed, with WhatsApp's fields)
// and waits for the 200.
func (w *world) whatsApp(t *testing.T, body string) {
	t.Helper()
	_, resp, err := w.fake.DeliverInbound(context.Background(), w.srv.URL+ingestion.SMSPath, clientWhatsApp, lineWhatsApp, body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("whatsapp webhook: %v %v", resp, err)
	}
}

// replies counts the conversation's reply_requested events.
func (w *world) replies(t *testing.T, convID string) int {
	n := 0
	for _, e := range w.Events(t, events.AggregateConversation, events.TypeReplyRequested) {
		if e.AggregateID == convID {
			n++
		}
	}
	return n
}

// TestWhatsAppEndToEnd is issue 18's WhatsApp acceptance on the whole
// process with the Twilio fake: a WhatsApp crisis message starts a
// conversation on the WhatsApp channel, triage pages the duty worker (by
// SMS), her reply goes back on WhatsApp from the line's WhatsApp sender
// and its delivery callback reaches the conversation; a day and a minute
// after the client's last message (the hand-moved clock) a reply is
// refused, by the API as a JSON error and on the conversation page beside
// the reply form, with nothing appended and nothing sent; once the client
// writes again, replies go out again.
func TestWhatsAppEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{config: whatsAppConfig})
	w.whatsApp(t, "i took 30 paracetamol and i want to die")
	conv := w.waitConversation(t, func(c inbox.Conversation) bool { return c.Channel == events.ChannelWhatsApp })
	esc := w.waitEscalation(t, conv.ID)
	page := w.waitSMS(t, "the page", func(m twiliofake.SentMessage) bool { return m.To == dutyPhone })
	if page.From != lineNumber || !strings.Contains(page.Body, conv.Pseudonym) {
		t.Fatalf("page %+v, want an SMS from the line's number naming %s", page, conv.Pseudonym)
	}

	dana := w.signIn(t, "dana")
	code, body := dana.do(http.MethodPost, "/api/conversations/"+conv.ID+"/replies", map[string]string{"body": "We are here with you."})
	if code != http.StatusAccepted {
		t.Fatalf("reply: %d %s", code, body)
	}
	sent := w.waitSMS(t, "the reply", func(m twiliofake.SentMessage) bool { return m.To == clientWhatsApp })
	if sent.From != lineWhatsApp || !strings.Contains(sent.Body, "We are here with you.") {
		t.Fatalf("reply sent %+v, want it on WhatsApp from %s", sent, lineWhatsApp)
	}
	w.waitGone(t, esc.ID) // the reply took the escalation on

	// A delivery callback for a WhatsApp reply is recorded as for SMS.
	if err := w.fake.FailDeliveries(clientWhatsApp, "undelivered", 30003); err != nil {
		t.Fatal(err)
	}
	if code, body := dana.do(http.MethodPost, "/api/conversations/"+conv.ID+"/replies", map[string]string{"body": "Are you still there?"}); code != http.StatusAccepted {
		t.Fatalf("second reply: %d %s", code, body)
	}
	poll.Until(t, 20*time.Second, func() error {
		code, body := dana.do(http.MethodGet, "/api/conversations/"+conv.ID, nil)
		var c views.Conversation
		if code != http.StatusOK || json.Unmarshal(body, &c) != nil {
			return fmt.Errorf("conversation: %d", code)
		}
		for _, m := range c.Messages {
			if m.Direction == inbox.DirectionOut && m.Status == "undelivered" {
				return nil
			}
		}
		return fmt.Errorf("no undelivered reply yet: %+v", c.Messages)
	})

	// A day and a minute after the client's last message.
	w.Clock.Add(events.WhatsAppWindow + time.Minute)
	dana = w.signIn(t, "dana") // her session timed out meanwhile
	before, sentBefore := w.replies(t, conv.ID), len(w.fake.Sent())
	code, body = dana.do(http.MethodPost, "/api/conversations/"+conv.ID+"/replies", map[string]string{"body": "Checking in."})
	var refusal views.Error
	if code != http.StatusConflict || json.Unmarshal(body, &refusal) != nil || !strings.Contains(refusal.Error, "more than 24 hours ago") ||
		!strings.Contains(refusal.Error, "approved template") {
		t.Fatalf("reply outside the window: %d %s, want 409 with the reason", code, body)
	}
	code, html := dana.send(http.MethodPost, "/conversations/"+conv.ID+"/reply", "form:reply_id=late1&body=Checking+in.")
	if code != http.StatusConflict || !strings.Contains(string(html), `id="reply-refused"`) || !strings.Contains(string(html), "approved template") ||
		!strings.Contains(string(html), conv.Pseudonym) {
		t.Fatalf("reply form outside the window: %d, want the conversation page with the reason:\n%s", code, html)
	}
	if code, html := dana.do(http.MethodGet, "/conversations/"+conv.ID, nil); code != http.StatusOK || !strings.Contains(string(html), `id="reply-window"`) {
		t.Fatalf("conversation page outside the window: %d, want the window notice", code)
	}
	if n := w.replies(t, conv.ID); n != before {
		t.Fatalf("%d replies recorded after a refusal, want %d", n, before)
	}
	// The client writes again: the window opens, and a reply goes out.
	w.whatsApp(t, "still here")
	poll.Until(t, 20*time.Second, func() error {
		code, body := dana.do(http.MethodPost, "/api/conversations/"+conv.ID+"/replies", map[string]string{"id": "again1", "body": "Good to hear from you."})
		if code != http.StatusAccepted {
			return fmt.Errorf("reply after the client wrote again: %d %s", code, body)
		}
		return nil
	})
	m := w.waitSMS(t, "the reply after the client wrote again", func(m twiliofake.SentMessage) bool {
		return m.To == clientWhatsApp && strings.Contains(m.Body, "Good to hear from you.")
	})
	for _, s := range w.fake.Sent()[sentBefore:] {
		if s.To == clientWhatsApp && s.SID != m.SID && strings.Contains(s.Body, "Checking in.") {
			t.Fatalf("a refused reply was sent: %+v", s)
		}
	}
}
