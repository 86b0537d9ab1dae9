package ingestion

import (
	"context"
	"fmt"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/sms"
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

// RecordStatus records a delivery status durably; the same callback twice
// is one event.
func (r *Receiver) RecordStatus(ctx context.Context, s DeliveryStatus) error {
	if events.ValidateID(s.ConversationID) != nil {
		// Name the parameter, never echo its value.
		return fmt.Errorf("%w: query parameter c must be a conversation id", ErrBadInput)
	}
	if !sms.MessageStatus(s.Status).Known() {
		return fmt.Errorf("%w: unknown MessageStatus", ErrBadInput)
	}
	_, err := r.convs.Update(ctx, s.ConversationID, func(c *events.Conversation) error {
		return c.RecordDeliveryStatus(s.MessageSid, s.Status, s.ErrorCode, events.Meta{OccurredAt: r.now()})
	})
	return err
}
