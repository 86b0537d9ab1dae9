package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
)

// ReplyBooks is the one way to read and change a line's saved replies
// (*events.ReplyBooks).
type ReplyBooks interface {
	Load(ctx context.Context, lineID string) (*events.ReplyBook, error)
	Update(ctx context.Context, lineID string, decide func(*events.ReplyBook) error) (events.Saved[*events.ReplyBook], error)
}

// SavedReplies is reading a line's saved replies (the first line when Line
// is empty): for a worker's reply box, or an admin's page.
type SavedReplies struct {
	Line string
}

// SavedRepliesHandler reads a line's saved replies from the log.
type SavedRepliesHandler struct{ d *deps }

// Handle returns the line's replies workers are offered, in order.
func (h SavedRepliesHandler) Handle(ctx context.Context, q SavedReplies) (views.SavedReplies, error) {
	line, _, err := h.d.line(q.Line)
	if err != nil {
		return views.SavedReplies{}, err
	}
	b, err := h.d.Replies.Load(ctx, line)
	if err != nil {
		return views.SavedReplies{}, fmt.Errorf("%w: saved replies of %s: %w", ErrUnavailable, line, err)
	}
	l, _ := h.d.File.LineByID(line)
	out := views.SavedReplies{LineID: line, LineName: l.Name, Replies: []views.SavedReply{}}
	for _, r := range b.Active() {
		out.Replies = append(out.Replies, views.SavedReply{ID: r.ID, Language: r.Language, Shortcut: r.Shortcut, Title: r.Title, Text: r.Text,
			Default: r.Configured, Edited: r.Edited})
	}
	return out, nil
}

// Actions on a saved reply.
const (
	SavedReplyAdd    = "add"
	SavedReplyEdit   = "edit"
	SavedReplyRemove = "remove"
)

// ChangeSavedReply is an admin adding, editing or removing one of a
// line's saved replies. For an addition, ID is the form's id (a double
// submission adds one reply); for the others, the reply's.
type ChangeSavedReply struct {
	Actor    Actor
	Line     string
	Action   string
	ID       string
	Language string
	Shortcut string
	Title    string
	Text     string
}

// ChangeSavedReplyHandler records an admin's change to a line's saved
// replies.
type ChangeSavedReplyHandler struct{ d *deps }

// Handle checks the actor is an admin and the line exists, tidies what a
// form sends (a shortcut typed with its "/" or in capitals, Windows line
// ends) and records the change; the aggregate checks the reply itself.
func (h ChangeSavedReplyHandler) Handle(ctx context.Context, c ChangeSavedReply) (string, error) {
	if c.Actor.Role != events.RoleAdmin {
		return "", ErrForbidden
	}
	line, ok := h.d.File.LineByID(c.Line)
	if !ok {
		return "", fmt.Errorf("line: %w", ErrNotFound)
	}
	r := events.SavedReply{ID: c.ID, Language: strings.ToLower(strings.TrimSpace(c.Language)),
		Shortcut: strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c.Shortcut), "/")), Title: strings.TrimSpace(c.Title),
		Text: strings.TrimSpace(strings.ReplaceAll(c.Text, "\r\n", "\n"))}
	var decide func(*events.ReplyBook) error
	switch c.Action {
	case SavedReplyAdd:
		if r.ID == "" || events.ValidateID(r.ID) != nil {
			r.ID = events.NewID()
		}
		decide = func(b *events.ReplyBook) error { return b.Add(c.Actor.ID, r, h.d.meta()) }
	case SavedReplyEdit:
		decide = func(b *events.ReplyBook) error { return b.Edit(c.Actor.ID, r, h.d.meta()) }
	case SavedReplyRemove:
		decide = func(b *events.ReplyBook) error { return b.Remove(c.Actor.ID, r.ID, h.d.meta()) }
	default:
		return "", badRequest("action: want add, edit or remove")
	}
	if _, err := h.d.Replies.Update(ctx, line.ID, decide); err != nil {
		return "", err
	}
	h.d.log.Info().Str("line", line.ID).Str("saved_reply", r.ID).Str("action", c.Action).Str("by", c.Actor.ID).Msg("saved reply changed")
	return r.ID, nil
}
