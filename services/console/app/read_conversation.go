package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// ReadConversation asks for a conversation with its messages. Via says
// through which port ("page" or "api"), for the audit record. BreakGlass
// is an admin's emergency reading, with a stated Reason. Background is a
// reading the page makes by itself (a live refresh): recorded by the rule
// in readings.go.
type ReadConversation struct {
	Actor          Actor
	ConversationID string
	Via            string
	BreakGlass     bool
	Reason         string
	Background     bool
}

// ReadConversationHandler reads conversations' content.
type ReadConversationHandler struct{ d *deps }

// Handle returns the conversation with its messages decrypted, and
// records the reading in the audit trail before returning: no content
// leaves without its audit record, and no record is written for content
// that was not shown. Without break-glass the content rule applies
// (mayRead).
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
	out := h.d.conversationOf(ctx, c)
	h.d.replyWindow(&out, msgs)
	var shown []string
	for _, m := range msgs {
		mv, err := h.d.messageOf(ctx, c, m)
		if err != nil {
			return views.Conversation{}, err
		}
		if (mv.Text != "" && !mv.Automatic) || len(mv.Terms) > 0 {
			shown = append(shown, m.ID)
		}
		out.Messages = append(out.Messages, mv)
	}
	// The audit record is written once the content opened, and before it
	// leaves: a reading that fails discloses nothing and records nothing;
	// one that shows no client's or worker's words (only auto-replies, or
	// an erased client's) is no reading of content. Matched terms are the
	// client's words too: a message whose terms were opened is disclosed.
	// A break-glass reading is always one the person asked for.
	if err := h.d.record(ctx, reading{actor: q.Actor, conversationID: q.ConversationID, via: q.Via, breakGlassReason: q.Reason,
		disclosed: len(shown), shown: shown, background: q.Background && !q.BreakGlass}); err != nil {
		return views.Conversation{}, err
	}
	if q.BreakGlass {
		h.d.log.Warn().Str("staff_id", q.Actor.ID).Str("conversation_id", c.ID).Msg("break-glass reading")
	}
	return out, nil
}

// replyWindow fills in until when a free-form reply may go to the client
// (WhatsApp's 24-hour window from their latest message), and whether it
// has closed: the rule itself is the conversation's (events.ReplyWindowEnds),
// which refuses a reply outside it.
func (d *deps) replyWindow(c *views.Conversation, msgs []inbox.Message) {
	var last time.Time
	for _, m := range msgs {
		if m.Direction == inbox.DirectionIn && m.At.After(last) {
			last = m.At
		}
	}
	ends, ok := events.ReplyWindowEnds(c.Channel, last)
	if !ok || last.IsZero() {
		return
	}
	c.ReplyWindowEnds, c.ReplyWindowClosed = &ends, d.Now().After(ends)
}

// messageOf is one message as staff see it, its body and matched terms
// opened. An auto-reply has no body in the log on purpose (its text is
// the line's configuration, not the client's words): it shows as
// automatic, with the configured text. An erased client's message shows
// as unavailable, and its verdict's words as erased.
func (d *deps) messageOf(ctx context.Context, c inbox.Conversation, m inbox.Message) (views.Message, error) {
	mv := views.Message{ID: m.ID, Direction: m.Direction, At: m.At, SenderName: m.SenderName, Status: m.Status,
		Reason: m.Reason, Risk: m.Risk, Terms: []string{}}
	if m.Direction == inbox.DirectionIn {
		terms, erased, err := d.openTerms(ctx, m.ID, m.Terms)
		if err != nil {
			return views.Message{}, err
		}
		mv.Terms = terms
		// The inbox drops an erased client's sealed terms with the key:
		// a verdict that raised risk then shows its words as erased.
		mv.TermsErased = erased || (c.Erased && m.Risk != "" && m.Risk != events.RiskNone)
	}
	if m.Direction == inbox.DirectionNote {
		mv.SenderName, mv.To = d.Staff.Name(ctx, m.StaffID), d.noteTo(ctx, m.SenderName)
	}
	if m.Kind == events.SendAutoReply {
		mv.Automatic = true
		mv.AutoReply, mv.Text = d.autoReply(c.LineID, m.ID)
		return mv, nil
	}
	text, err := inbox.Open(ctx, d.Keys, c, m)
	switch {
	case err == nil:
		mv.Text = text
	case errors.Is(err, keyring.ErrErased) || c.Erased:
		mv.Unavailable = true
	default:
		return views.Message{}, fmt.Errorf("open message %s: %w", m.ID, err)
	}
	return mv, nil
}

// noteTo names whom a hand-over note went to: a person, or a team.
func (d *deps) noteTo(ctx context.Context, to string) string {
	if team, ok := strings.CutPrefix(to, inbox.NoteToTeam); ok {
		return "team " + team
	}
	return d.Staff.Name(ctx, to)
}

// auditRead appends one content_read record: the actor read n messages'
// content (their words, or the terms matched in them) of a conversation,
// through via, with a break-glass reason when one was given.
func (d *deps) auditRead(ctx context.Context, a Actor, conversationID, via, breakGlassReason string, n int) error {
	err := events.RecordContentRead(ctx, d.Audit, a.ID, events.ContentRead{ConversationID: conversationID, Role: a.Role,
		Via: via, BreakGlassReason: breakGlassReason, MessagesDisclosed: n}, d.meta())
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
