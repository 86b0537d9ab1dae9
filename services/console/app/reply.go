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
	if err := h.request(ctx, cmd.Actor, cmd.ConversationID, replyID, body); err != nil {
		return "", err
	}
	h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("reply_id", replyID).Msg("reply requested")
	return replyID, nil
}
