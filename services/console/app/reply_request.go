package app

import (
	"context"
	"fmt"

	"github.com/helpline-org/helpline/events"
)

// ReplyLog is what a reply is loaded from and appended to (*events.Store).
type ReplyLog interface {
	events.Loader
	events.Appender
}

// request records the reply. Its event id derives from the reply id, so
// the log's dedupe window keeps one of a double submission; the body is
// sealed bound to that id.
func (h ReplyHandler) request(ctx context.Context, a Actor, conversationID, replyID, body string) error {
	conv, _, err := events.LoadConversation(ctx, h.d.Log, conversationID)
	if err != nil {
		return err
	}
	if !conv.Started {
		return ErrNotFound
	}
	if conv.Closed {
		return events.ErrClosed
	}
	eventID := "rq-" + replyID
	sealed, err := h.d.Keys.Seal(ctx, conv.ClientID, []byte(body), events.BodyAAD(eventID))
	if err != nil {
		return fmt.Errorf("seal reply: %w", err)
	}
	e, err := events.NewWithID(eventID, conversationID, events.ReplyRequested{ReplyID: replyID, StaffID: a.ID,
		SenderName: a.FirstName(), Body: events.Sealed{KeyID: conv.ClientID, Data: sealed}}, h.d.meta())
	if err != nil {
		return err
	}
	_, err = h.d.Log.Append(ctx, events.ExpectAny, e)
	return err
}
