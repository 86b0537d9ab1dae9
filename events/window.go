package events

import (
	"errors"
	"fmt"
	"time"
)

// WhatsAppWindow is WhatsApp's customer-service window: a business may
// send a client free-form messages until this long after the client's
// last message; later, only a message template WhatsApp approved (the
// provider refuses anything else, Twilio with error 63016).
const WhatsAppWindow = 24 * time.Hour

// ErrOutsideWindow: a free-form reply on a channel with a customer-service
// window (WhatsApp) came after the window closed. Nothing was recorded and
// nothing is sent.
var ErrOutsideWindow = errors.New("outside the channel's 24-hour reply window")

// OutsideWindowError says when the client last wrote and when the window
// closed, for the worker to read.
type OutsideWindowError struct {
	LastInboundAt, ClosedAt time.Time
}

func (e *OutsideWindowError) Error() string {
	return fmt.Sprintf("the client last wrote on WhatsApp at %s: WhatsApp allows free-form replies only within 24 hours of the client's last message (until %s); only an approved template may be sent now, and nothing was sent",
		e.LastInboundAt.UTC().Format("2006-01-02 15:04 UTC"), e.ClosedAt.UTC().Format("2006-01-02 15:04 UTC"))
}

// Unwrap lets callers test with errors.Is(err, ErrOutsideWindow).
func (e *OutsideWindowError) Unwrap() error { return ErrOutsideWindow }

// ReplyWindowEnds returns until when a worker's free-form reply may go to
// a client on channel whose latest message came at lastInbound, and
// whether the channel has such a window at all (WhatsApp has; SMS and web
// chat have none).
func ReplyWindowEnds(channel string, lastInbound time.Time) (time.Time, bool) {
	if channel != ChannelWhatsApp {
		return time.Time{}, false
	}
	return lastInbound.Add(WhatsAppWindow), true
}

// replyWindowOpen refuses a free-form reply at `at` outside the
// conversation's channel window: the rule of WhatsApp's customer-service
// window, enforced where the reply is decided, so a refused reply is
// never appended (and never reaches the provider to fail there).
func (c *Conversation) replyWindowOpen(at time.Time) error {
	ends, ok := ReplyWindowEnds(c.Channel, c.LastInboundAt)
	if !ok || c.Received == 0 {
		return nil // a conversation starts with a message: never so
	}
	if at.After(ends) {
		return &OutsideWindowError{LastInboundAt: c.LastInboundAt, ClosedAt: ends}
	}
	return nil
}
