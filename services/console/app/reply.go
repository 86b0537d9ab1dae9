package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/helpline-org/helpline/events"
)

// maxReply is the longest reply, in characters (Twilio's limit for one
// message).
const maxReply = 1600

// Reply is a worker's reply to a client. ReplyID comes from the form (or
// the API caller), so a double submission is one reply; empty, a new one
// is made.
type Reply struct {
	Actor          Actor
	ConversationID string
	ReplyID        string
	Body           string
}

// ReplyHandler records replies for the SMS bridge to send.
type ReplyHandler struct{ d *deps }

// Handle records the reply, sealed with the client's key and bound to its
// event, and returns its id. The actor must be allowed to read the
// conversation (the content rule), and it must be open.
func (h ReplyHandler) Handle(ctx context.Context, cmd Reply) (string, error) {
	body := strings.TrimSpace(cmd.Body)
	if body == "" {
		return "", badRequest("the reply is empty")
	}
	if utf8.RuneCountInString(body) > maxReply {
		return "", badRequest(fmt.Sprintf("a reply is at most %d characters", maxReply))
	}
	replyID := cmd.ReplyID
	if replyID == "" {
		replyID = events.NewID()
	}
	if err := events.ValidateID(replyID); err != nil || len(replyID) > 40 {
		return "", badRequest("the reply id is not valid")
	}
	if err := events.ValidateID(cmd.ConversationID); err != nil {
		return "", ErrNotFound
	}
	if h.d.Inbox == nil {
		return "", ErrUnavailable
	}
	c, err := h.d.Inbox.Get(ctx, cmd.ConversationID)
	if err != nil {
		return "", err
	}
	if !h.d.mayRead(cmd.Actor, c) {
		return "", ErrForbidden
	}
	// The body is sealed with the client's key, bound to the event that
	// requests the reply: its id derives from the reply id, and the
	// command records nothing for a reply id it has recorded already.
	eventID, m := events.ReplyEventID(replyID), h.d.meta()
	var sealed events.Sealed
	_, err = h.d.Conversations.Update(ctx, cmd.ConversationID, func(c *events.Conversation) error {
		if !c.Started {
			return ErrNotFound
		}
		if err := h.d.sealFor(ctx, c, body, eventID, &sealed); err != nil {
			return err
		}
		return c.RequestReply(replyID, cmd.Actor.ID, cmd.Actor.FirstName(), sealed, m)
	})
	if err != nil {
		return "", err
	}
	h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("reply_id", replyID).Msg("reply requested")
	return replyID, nil
}

// sealFor seals text with c's client's key, bound to event eventID, into
// sealed, unless it holds that already: a decision run again after a
// conflict seals once.
func (d *deps) sealFor(ctx context.Context, c *events.Conversation, text, eventID string, sealed *events.Sealed) error {
	if sealed.KeyID == c.ClientID && sealed.KeyID != "" {
		return nil
	}
	data, err := d.Keys.Seal(ctx, c.ClientID, []byte(text), events.BodyAAD(eventID))
	if err != nil {
		return fmt.Errorf("seal %s: %w", eventID, err)
	}
	*sealed = events.Sealed{KeyID: c.ClientID, Data: data}
	return nil
}
