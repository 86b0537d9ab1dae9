package notification_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/notification"
)

var (
	lineWhatsApp   = twiliofake.WhatsApp(lineNum)
	clientWhatsApp = twiliofake.WhatsApp(clientNum)
	// whatsAppConfig is testConfig's line with a WhatsApp sender.
	whatsAppConfig = mainConfig(`, whatsapp_from: "`+lineWhatsApp+`"`, testRota...)
)

// appendReply appends a worker's reply to the conversation, sealed with
// the client's key, as the console records one.
func (w *world) appendReply(t *testing.T, convID, clientID, replyID, text string) {
	t.Helper()
	ctx := context.Background()
	sealed, err := w.Keys.Seal(ctx, clientID, []byte(text), events.BodyAAD(events.ReplyEventID(replyID)))
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.NewWithID(events.ReplyEventID(replyID), convID, events.ReplyRequested{ReplyID: replyID, StaffID: "alex", SenderName: "Alex",
		Body: events.Sealed{KeyID: clientID, Data: sealed}}, events.Meta{OccurredAt: w.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(ctx, events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
}

// waitEvent waits for an event of type typ in the conversation and
// returns its payload.
func (w *world) waitEvent(t *testing.T, convID, typ string) events.Payload {
	t.Helper()
	var p events.Payload
	poll.Until(t, 10*time.Second, func() error {
		history, _, err := w.Store.Load(context.Background(), events.AggregateConversation, convID)
		if err != nil {
			return err
		}
		for _, e := range history {
			if e.Type == typ {
				p, err = e.Decode()
				return err
			}
		}
		return fmt.Errorf("no %s yet", typ)
	})
	return p
}

// A reply to a WhatsApp client goes from the line's WhatsApp sender to
// the client's WhatsApp address; after the client sent STOP on WhatsApp
// (Twilio applies no opt-out there) the next is blocked, not sent.
func TestWhatsAppReplyGoesBackOnWhatsApp(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, whatsAppConfig)
	w.service(t)
	rc := w.Text(t, clientWhatsApp, lineWhatsApp, "hello?")
	w.appendReply(t, rc.ConversationID, rc.ClientID, "r1", "We're here.")
	if got := w.waitSent(t, clientWhatsApp, 1)[0]; got.From != lineWhatsApp || got.Body != "We're here." {
		t.Fatalf("reply %+v, want it from %s", got, lineWhatsApp)
	}
	if n := len(w.sentTo(clientNum)); n != 0 {
		t.Fatalf("%d messages to the client's number by SMS", n)
	}
	w.Text(t, clientWhatsApp, lineWhatsApp, "STOP")
	w.appendReply(t, rc.ConversationID, rc.ClientID, "r2", "Still here")
	w.waitEvent(t, rc.ConversationID, events.TypeReplyBlocked)
	if n := len(w.sentTo(clientWhatsApp)); n != 1 {
		t.Fatalf("%d messages to the client after STOP on WhatsApp, want 1", n)
	}
}

// A WhatsApp conversation whose line lost its whatsapp_from cannot be
// answered: the reply is recorded as failed for good, with the reason, not
// retried for ever.
func TestWhatsAppReplyWithoutASenderFails(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, whatsAppConfig)
	rc := w.Text(t, clientWhatsApp, lineWhatsApp, "hello?")
	without, err := config.ParseFile([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	rota, err := notification.NewRota(without, w.Store)
	if err != nil {
		t.Fatal(err)
	}
	convs, follow := w.Conversations(t)
	svc := notification.New(notification.Config{PublicURL: w.public, SendRate: 1000}, without, rota, w.sender, w.Keys, w.Store, convs, w.tm, w.Clock.Now, zerolog.Nop())
	w.Run(t, append(svc.Specs(), follow))
	w.appendReply(t, rc.ConversationID, rc.ClientID, "r1", "We're here.")
	failed, ok := w.waitEvent(t, rc.ConversationID, events.TypeMessageSendFailed).(events.MessageSendFailed)
	if !ok || failed.SendID != "r1" || !strings.Contains(failed.Reason, "whatsapp_from") {
		t.Fatalf("failure %+v, want the reply failed naming whatsapp_from", failed)
	}
	if n := len(w.fake.Sent()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}
