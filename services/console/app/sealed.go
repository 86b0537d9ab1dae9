package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/helpline-org/helpline/events"
)

// maxRequestID is the longest id a form or an API caller may give a
// request.
const maxRequestID = 40

// wordsFor is a person's words for a conversation (a reply, a note),
// trimmed: refused with empty when there are none, and when longer than
// max characters with tooLong (a format taking max).
func wordsFor(s string, max int, empty, tooLong string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", badRequest(empty)
	}
	if utf8.RuneCountInString(s) > max {
		return "", badRequest(fmt.Sprintf(tooLong, max))
	}
	return s, nil
}

// requestID is the id a form (or an API caller) gave a request, so that a
// double submission records it once; a new one when empty. One that is
// not an id is refused with invalid.
func requestID(id, invalid string) (string, error) {
	if id == "" {
		id = events.NewID()
	}
	if events.ValidateID(id) != nil || len(id) > maxRequestID {
		return "", badRequest(invalid)
	}
	return id, nil
}

// updateSealed is the one way a person's words go into a conversation: it
// changes the conversation through the repository, sealing text with the
// client's key bound to event eventID (once, however often a conflict
// runs the decision again), and decides with the sealed text. Who may
// work on the conversation is checked before (mayWorkOn).
func (d *deps) updateSealed(ctx context.Context, conversationID, text, eventID string, decide func(*events.Conversation, events.Sealed) error) error {
	var sealed events.Sealed
	_, err := d.Conversations.Update(ctx, conversationID, func(c *events.Conversation) error {
		if !c.Started {
			return ErrNotFound
		}
		if sealed.KeyID != c.ClientID || sealed.KeyID == "" {
			data, err := d.Keys.Seal(ctx, c.ClientID, []byte(text), events.BodyAAD(eventID))
			if err != nil {
				return fmt.Errorf("seal %s: %w", eventID, err)
			}
			sealed = events.Sealed{KeyID: c.ClientID, Data: data}
		}
		return decide(c, sealed)
	})
	return err
}
