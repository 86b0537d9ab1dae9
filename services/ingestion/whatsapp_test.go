package ingestion_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/testbed"
)

const (
	lineWhatsApp   = "whatsapp:" + lineNum
	clientWhatsApp = "whatsapp:" + clientNum
)

// decoded returns the payloads of the events of type typ, in order.
func decoded[P events.Payload](t *testing.T, es []events.Envelope, typ string) []P {
	t.Helper()
	var out []P
	for _, e := range ofType(es, typ) {
		out = append(out, testbed.Payload[P](t, e))
	}
	return out
}

// A WhatsApp message comes to the same webhook, signed the same way, with
// whatsapp: addresses: it starts a conversation on the WhatsApp channel,
// under its own identity (the same number by SMS is another client), with
// the WhatsApp address sealed as the contact replies go to. HELP is
// answered as on SMS, and STOP records the opt-out of the WhatsApp client
// only. Nothing in the log holds the number or the profile name.
func TestWhatsAppIsItsOwnChannelAndIdentity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	wa := func(sid, body string) (int, string) {
		f := inbound(sid, clientWhatsApp, lineWhatsApp, body)
		f.Set("ProfileName", "Jo Example")
		f.Set("WaId", strings.TrimPrefix(clientNum, "+"))
		return h.post(t, "/twilio/sms", f, h.public+"/twilio/sms")
	}
	if code, resp := wa(newSid(), "I can't cope tonight"); code != http.StatusOK || !strings.Contains(resp, "<Response></Response>") {
		t.Fatalf("whatsapp webhook: %d %s", code, resp)
	}
	if code, _ := h.sendSMS(t, newSid(), clientNum, "hello by sms"); code != http.StatusOK {
		t.Fatalf("sms webhook: %d", code)
	}
	all := h.all(t)
	started := decoded[events.ConversationStarted](t, all, events.TypeConversationStarted)
	regs := decoded[events.ClientRegistered](t, all, events.TypeClientRegistered)
	if len(started) != 2 || started[0].Channel != events.ChannelWhatsApp || started[1].Channel != events.ChannelSMS {
		t.Fatalf("conversations started: %+v, want one on whatsapp then one on sms", started)
	}
	if started[0].ClientID == started[1].ClientID || started[0].Pseudonym == started[1].Pseudonym {
		t.Fatalf("the number's WhatsApp and SMS are one identity: %s %s", started[0].ClientID, started[1].ClientID)
	}
	if len(regs) != 2 || regs[0].Channel != events.ChannelWhatsApp {
		t.Fatalf("clients registered: %+v", regs)
	}
	contact, err := h.keys.Open(context.Background(), started[0].ClientID, regs[0].Contact.Data, events.ContactAAD(started[0].ClientID))
	if err != nil || string(contact) != clientWhatsApp {
		t.Fatalf("sealed contact %q (%v), want the WhatsApp address", contact, err)
	}
	msgs := decoded[events.MessageReceived](t, all, events.TypeMessageReceived)
	if len(msgs) != 2 || msgs[0].Channel != events.ChannelWhatsApp {
		t.Fatalf("messages: %+v", msgs)
	}

	if code, resp := wa(newSid(), "help"); code != http.StatusOK || !strings.Contains(resp, "<Message>This is the Test Line.") {
		t.Fatalf("HELP on WhatsApp: %d %s, want the line's help_reply", code, resp)
	}
	if code, _ := wa(newSid(), "STOP"); code != http.StatusOK {
		t.Fatalf("STOP on WhatsApp: %d", code)
	}
	all = h.all(t)
	consents := ofType(all, events.TypeConsentChanged)
	var optedOut []string
	for _, e := range consents {
		p, _ := e.Decode()
		if p.(events.ConsentChanged).Consent == events.ConsentOptedOut {
			optedOut = append(optedOut, e.AggregateID)
		}
	}
	if len(optedOut) != 1 || optedOut[0] != started[0].ClientID {
		t.Fatalf("opted out: %v, want only the WhatsApp client %s", optedOut, started[0].ClientID)
	}
	for _, e := range all {
		raw := string(e.Payload)
		if strings.Contains(raw, strings.TrimPrefix(clientNum, "+")) || strings.Contains(raw, "Jo Example") {
			t.Fatalf("number or profile name in the log: %s", e.Type)
		}
	}
	if logs := h.logs.String(); strings.Contains(logs, strings.TrimPrefix(clientNum, "+")) || strings.Contains(logs, "Jo Example") {
		t.Fatalf("number or profile name in the logs")
	}
}

// Bad WhatsApp webhooks change nothing: signatures are checked exactly as
// for SMS, and both addresses must be of one channel.
func TestWhatsAppWebhookRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	signed := h.public + "/twilio/sms"
	tests := []struct {
		name     string
		from, to string
		sign     string
		want     int
	}{
		{"unsigned", clientWhatsApp, lineWhatsApp, "", http.StatusForbidden},
		{"signed for another URL", clientWhatsApp, lineWhatsApp, "https://evil.example/twilio/sms", http.StatusForbidden},
		{"WhatsApp client to the SMS number", clientWhatsApp, lineNum, signed, http.StatusBadRequest},
		{"SMS client to the WhatsApp sender", clientNum, lineWhatsApp, signed, http.StatusBadRequest},
		{"not E.164 after whatsapp:", "whatsapp:447700900555", lineWhatsApp, signed, http.StatusBadRequest},
		{"no line has the WhatsApp sender", clientWhatsApp, "whatsapp:+442079469999", signed, http.StatusNotFound},
	}
	for _, tt := range tests {
		if code, _ := h.post(t, "/twilio/sms", inbound(newSid(), tt.from, tt.to, "hello"), tt.sign); code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, code, tt.want)
		}
	}
	if all := h.all(t); len(all) != 0 {
		t.Fatalf("refused webhooks changed the log: %v", types(all))
	}
}
