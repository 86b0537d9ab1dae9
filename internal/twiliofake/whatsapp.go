package twiliofake

import (
	"net/url"
	"strings"
	"time"
)

// WhatsApp through the same account, as Twilio does it: addresses are
// "whatsapp:" and an E.164 number; an inbound webhook carries ProfileName
// and WaId besides the SMS fields (and no FromCity and the like); carriers'
// STOP handling does not apply (the business must honour opt-outs
// itself); and a free-form message more than 24 hours after the
// recipient's last message to the sender is accepted by the API and then
// fails, with error 63016 (only an approved template may be sent then).

const (
	whatsAppPrefix = "whatsapp:"
	// whatsAppWindow is WhatsApp's customer-service window.
	whatsAppWindow = 24 * time.Hour
	// codeOutsideWindow is Twilio's error for a free-form WhatsApp message
	// outside the window.
	codeOutsideWindow = 63016
	// codeNoChannel: the From address is not a sender of the To's channel.
	codeNoChannel = 63007
)

// WhatsApp returns number's WhatsApp address ("whatsapp:+447700900123").
func WhatsApp(number string) string { return whatsAppPrefix + number }

// isWhatsApp reports whether addr is a WhatsApp address.
func isWhatsApp(addr string) bool { return strings.HasPrefix(addr, whatsAppPrefix) }

// validAddress reports whether addr is an E.164 number or a WhatsApp one.
func validAddress(addr string) bool {
	return e164.MatchString(strings.TrimPrefix(addr, whatsAppPrefix))
}

// checkWhatsApp applies the WhatsApp rules to a message the API is asked
// to send: 0, or an error code to answer with.
func checkWhatsApp(m SentMessage) int {
	if isWhatsApp(m.To) != isWhatsApp(m.From) && m.From != "" {
		return codeNoChannel
	}
	return 0
}

// whatsAppInbound adds what Twilio sends with a WhatsApp message to an
// inbound webhook's form, and drops the SMS-only fields.
func whatsAppInbound(form url.Values, from string) {
	for _, k := range []string{"FromCity", "FromCountry", "FromState", "FromZip", "ToCity", "ToCountry", "ToState", "ToZip"} {
		form.Del(k)
	}
	form.Set("ProfileName", "Sandbox User")
	form.Set("WaId", strings.TrimPrefix(from, whatsAppPrefix+"+"))
	form.Set("MessageType", "text")
}

// noteInbound remembers when a WhatsApp address last wrote to a sender,
// which opens the 24-hour window for messages back.
func (f *Fake) noteInbound(from, to string) {
	if !isWhatsApp(from) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastInbound[from+" "+to] = f.cfg.Now()
}

// outsideWindow reports whether a WhatsApp message m would be free-form
// outside the recipient's 24-hour window (the fake sends no templates).
func (f *Fake) outsideWindow(m SentMessage) bool {
	if !isWhatsApp(m.To) {
		return false
	}
	f.mu.Lock()
	last, ok := f.lastInbound[m.To+" "+m.From]
	f.mu.Unlock()
	return !ok || m.SentAt.Sub(last) > whatsAppWindow
}
