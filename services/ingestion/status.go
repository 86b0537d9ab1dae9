package ingestion

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpline-org/helpline/events"
)

// DeliveryStatus is one provider delivery callback. The conversation id
// travels in the callback URL the notification service gave the provider,
// so no lookup by provider id is needed.
type DeliveryStatus struct {
	ConversationID string
	MessageSid     string
	Status         string
	ErrorCode      int
}

// deliveryStatuses are Twilio's message statuses.
var deliveryStatuses = map[string]bool{
	"queued": true, "accepted": true, "sending": true, "sent": true, "delivered": true, "undelivered": true,
	"failed": true, "read": true, "receiving": true, "received": true, "canceled": true, "scheduled": true,
	"partially_delivered": true,
}

// RecordStatus records a delivery status durably; the same callback twice
// is one event.
func (r *Receiver) RecordStatus(ctx context.Context, s DeliveryStatus) error {
	if events.ValidateID(s.ConversationID) != nil {
		// Name the parameter, never echo its value.
		return fmt.Errorf("%w: query parameter c must be a conversation id", ErrBadInput)
	}
	if !deliveryStatuses[s.Status] {
		return fmt.Errorf("%w: unknown MessageStatus", ErrBadInput)
	}
	id := "dlv-" + strings.ToLower(s.MessageSid) + "-" + s.Status
	e, err := events.NewWithID(id, s.ConversationID, events.DeliveryStatusChanged{ProviderMessageID: s.MessageSid, Status: s.Status, ErrorCode: s.ErrorCode},
		events.Meta{OccurredAt: r.now()})
	if err != nil {
		return err
	}
	_, err = r.log.Append(ctx, events.ExpectAny, e)
	return err
}
