package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// ReadConversation asks for a conversation with its messages. Via says
// through which port ("page" or "api"), for the audit record. BreakGlass
// is an admin's emergency reading, with a stated Reason.
type ReadConversation struct {
	Actor          Actor
	ConversationID string
	Via            string
	BreakGlass     bool
	Reason         string
}

// ReadConversationHandler reads conversations' content.
type ReadConversationHandler struct{ d *deps }

// Handle returns the conversation with its messages decrypted, after
// recording the reading in the audit trail: no content leaves without its
// audit record. Without break-glass the content rule applies (mayRead).
func (h ReadConversationHandler) Handle(ctx context.Context, q ReadConversation) (views.Conversation, error) {
	if q.BreakGlass {
		reason, err := breakGlassReason(q.Reason)
		if err != nil {
			return views.Conversation{}, err
		}
		q.Reason = reason
	} else {
		q.Reason = ""
	}
	if err := events.ValidateID(q.ConversationID); err != nil {
		return views.Conversation{}, ErrNotFound
	}
	if h.d.Inbox == nil {
		return views.Conversation{}, ErrUnavailable
	}
	c, err := h.d.Inbox.Get(ctx, q.ConversationID)
	if err != nil {
		return views.Conversation{}, err
	}
	if !q.BreakGlass && !h.d.mayRead(q.Actor, c) {
		return views.Conversation{}, ErrForbidden
	}
	msgs, err := h.d.Inbox.Messages(ctx, q.ConversationID)
	if err != nil {
		return views.Conversation{}, err
	}
	if err := h.audit(ctx, q, len(msgs)); err != nil {
		return views.Conversation{}, err
	}
	out := h.d.conversationOf(ctx, c)
	for _, m := range msgs {
		mv := views.Message{ID: m.ID, Direction: m.Direction, At: m.At, SenderName: m.SenderName, Status: m.Status,
			Reason: m.Reason, Risk: m.Risk, Terms: views.NonNil(m.Terms)}
		text, err := inbox.Open(ctx, h.d.Keys, c, m)
		switch {
		case err == nil:
			mv.Text = text
		case errors.Is(err, keyring.ErrErased) || c.Erased:
			mv.Unavailable = true
		default:
			return views.Conversation{}, fmt.Errorf("open message %s: %w", m.ID, err)
		}
		out.Messages = append(out.Messages, mv)
	}
	if q.BreakGlass {
		h.d.log.Warn().Str("staff_id", q.Actor.ID).Str("conversation_id", c.ID).Msg("break-glass reading")
	}
	return out, nil
}

// audit appends one content_read record.
func (h ReadConversationHandler) audit(ctx context.Context, q ReadConversation, n int) error {
	err := events.RecordContentRead(ctx, h.d.Audit, q.Actor.ID, events.ContentRead{ConversationID: q.ConversationID, Role: q.Actor.Role,
		Via: q.Via, BreakGlassReason: q.Reason, MessagesDisclosed: n}, h.d.meta())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// breakGlassReason validates an admin's stated reason.
func breakGlassReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) < 10 {
		return "", badRequest("state the reason for reading this conversation (at least 10 characters)")
	}
	if utf8.RuneCountInString(s) > 500 {
		return "", badRequest("the reason is at most 500 characters")
	}
	return s, nil
}
