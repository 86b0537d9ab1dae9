package escalations

import "github.com/helpline-org/helpline/events"

// Delivery states of a page, as the duty queue shows them.
const (
	DeliveryQueued    = "queued"    // the provider accepted it
	DeliverySent      = "sent"      // on its way (an SMS sent, a phone ringing)
	DeliveryDelivered = "delivered" // an SMS reached the phone
	DeliveryAnswered  = "answered"  // a call was picked up
	DeliveryFailed    = "failed"    // not delivered, or not answered
)

// deliveryRank orders the states: a late or repeated callback never
// moves a page back (delivered and answered are the same rank; failed is
// final).
var deliveryRank = map[string]int{DeliveryQueued: 0, DeliverySent: 1, DeliveryDelivered: 2, DeliveryAnswered: 2, DeliveryFailed: 3}

// smsDelivery maps a message status callback to a delivery state; ""
// for a status that says nothing about a page.
var smsDelivery = map[string]string{
	"queued": DeliveryQueued, "accepted": DeliveryQueued, "scheduled": DeliveryQueued,
	"sending": DeliverySent, "sent": DeliverySent,
	"delivered": DeliveryDelivered, "read": DeliveryDelivered, "partially_delivered": DeliveryDelivered,
	"undelivered": DeliveryFailed, "failed": DeliveryFailed, "canceled": DeliveryFailed,
}

// callDelivery maps a call status callback to a delivery state.
var callDelivery = map[string]string{
	"queued": DeliveryQueued, "initiated": DeliveryQueued, "ringing": DeliverySent,
	"in-progress": DeliveryAnswered, "completed": DeliveryAnswered,
	"busy": DeliveryFailed, "failed": DeliveryFailed, "no-answer": DeliveryFailed, "canceled": DeliveryFailed,
}

// moves reports whether a page in state from moves on to state to.
func moves(from, to string) bool {
	r, ok := deliveryRank[to]
	return ok && r > deliveryRank[from]
}

// deliveryOf reads a status callback event: the provider id, the
// delivery state it means and the error code; ok false for other events
// or statuses that say nothing.
func deliveryOf(p events.Payload) (sid, state string, code int, ok bool) {
	switch p := p.(type) {
	case events.DeliveryStatusChanged:
		state = smsDelivery[p.Status]
		return p.ProviderMessageID, state, p.ErrorCode, state != "" && p.ProviderMessageID != ""
	case events.CallStatusChanged:
		state = callDelivery[p.Status]
		return p.ProviderCallID, state, p.ErrorCode, state != "" && p.ProviderCallID != ""
	}
	return "", "", 0, false
}
