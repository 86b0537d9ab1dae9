package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// TestReplyWindow: on WhatsApp a worker's free-form reply is refused more
// than 24 hours after the client's latest message, recording nothing; SMS
// and web chat have no window.
func TestReplyWindow(t *testing.T) {
	t.Parallel()
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	tests := []struct {
		name    string
		channel string
		after   time.Duration // since the client's latest message
		refused bool
	}{
		{"whatsapp at once", events.ChannelWhatsApp, time.Minute, false},
		{"whatsapp at 24h exactly", events.ChannelWhatsApp, events.WhatsAppWindow, false},
		{"whatsapp a second after 24h", events.ChannelWhatsApp, events.WhatsAppWindow + time.Second, true},
		{"whatsapp a week later", events.ChannelWhatsApp, 7 * 24 * time.Hour, true},
		{"sms a week later", events.ChannelSMS, 7 * 24 * time.Hour, false},
		{"web chat a week later", events.ChannelWebChat, 7 * 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fold(t, "c-window",
				events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: tt.channel},
				events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Channel: tt.channel, Body: body, ReceivedAt: t0},
			)
			err := c.RequestReply("r1", "alex", "Alex", body, events.Meta{OccurredAt: t0.Add(tt.after)})
			var outside *events.OutsideWindowError
			if got := errors.As(err, &outside); got != tt.refused || !tt.refused && err != nil {
				t.Fatalf("reply after %s: %v, want refused %v", tt.after, err, tt.refused)
			}
			if tt.refused && (!errors.Is(err, events.ErrOutsideWindow) || !outside.LastInboundAt.Equal(t0) || len(c.Pending()) != 0) {
				t.Fatalf("refusal %+v, pending %d: want the last message's time and nothing recorded", outside, len(c.Pending()))
			}
		})
	}
}
