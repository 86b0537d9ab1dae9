package app

import (
	"context"

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
// event, and returns its id. The actor must be allowed to work on the
// conversation (mayWorkOn: the content rule, and one of the console's
// lines), and it must be open.
func (h ReplyHandler) Handle(ctx context.Context, cmd Reply) (string, error) {
	if err := h.d.mayWorkOn(ctx, cmd.Actor, cmd.ConversationID); err != nil {
		return "", err
	}
	body, err := wordsFor(cmd.Body, maxReply, "the reply is empty", "a reply is at most %d characters")
	if err != nil {
		return "", err
	}
	replyID, err := requestID(cmd.ReplyID, "the reply id is not valid")
	if err != nil {
		return "", err
	}
	// The body is sealed with the client's key, bound to the event that
	// requests the reply: its id derives from the reply id, and the
	// command records nothing for a reply id it has recorded already.
	eventID, m := events.ReplyEventID(replyID), h.d.meta()
	err = h.d.updateSealed(ctx, cmd.ConversationID, body, eventID, func(c *events.Conversation, sealed events.Sealed) error {
		return c.RequestReply(replyID, cmd.Actor.ID, cmd.Actor.FirstName(), sealed, m)
	})
	if err != nil {
		return "", err
	}
	h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("reply_id", replyID).Msg("reply requested")
	return replyID, nil
}
