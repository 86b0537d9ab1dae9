package ingestion

import (
	"fmt"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// channelOf tells the channel a message came through from its addresses:
// two E.164 numbers are an SMS; two WhatsApp addresses ("whatsapp:+E164":
// Twilio posts WhatsApp messages to the same messaging webhook, To being
// the line's whatsapp_from) are WhatsApp. The client's WhatsApp address
// is its own identity on the line (a keyed hash of line and address), so
// the same person's SMS and WhatsApp are two clients: nothing in what
// Twilio sends proves them one person (WaId is only the number again,
// and a number can move between a phone's SIM and another's WhatsApp).
// ProfileName and WaId are never read.
func channelOf(from, to string) (string, error) {
	switch {
	case config.ValidE164(from) && config.ValidE164(to):
		return events.ChannelSMS, nil
	case config.ValidWhatsApp(from) && config.ValidWhatsApp(to):
		return events.ChannelWhatsApp, nil
	case !config.ValidE164(from) && !config.ValidWhatsApp(from):
		return "", fmt.Errorf("%w: From must be an E.164 number, or whatsapp: and one", ErrBadInput)
	case !config.ValidE164(to) && !config.ValidWhatsApp(to):
		return "", fmt.Errorf("%w: To must be an E.164 number, or whatsapp: and one", ErrBadInput)
	}
	return "", fmt.Errorf("%w: From and To must both be SMS numbers or both WhatsApp addresses", ErrBadInput)
}
