package config

import (
	"fmt"

	"github.com/helpline-org/helpline/events"
)

// SavedReply is one of a line's default saved replies: a text the line's
// workers may insert into a reply and edit before sending (a
// safety-planning prompt, the emergency numbers). Plain text: it names no
// client and has no placeholders. Admins add, edit and remove saved
// replies in the console; these are what they start from.
type SavedReply struct {
	Language string `yaml:"language"`
	// Shortcut is what a worker types after "/" in the reply box, e.g.
	// "safety"; unique in its language on the line.
	Shortcut string `yaml:"shortcut"`
	Title    string `yaml:"title"`
	Text     string `yaml:"text"`
}

// DefaultSavedReplies returns the line's configured saved replies.
func (l Line) DefaultSavedReplies() []events.SavedReply {
	out := make([]events.SavedReply, 0, len(l.SavedReplies))
	for _, r := range l.SavedReplies {
		out = append(out, events.SavedReply{ID: events.DefaultSavedReplyID(r.Language, r.Shortcut), Language: r.Language,
			Shortcut: r.Shortcut, Title: r.Title, Text: r.Text})
	}
	return out
}

// DefaultSavedReplies returns a line's configured saved replies, none for
// an unknown line.
func (f *File) DefaultSavedReplies(lineID string) []events.SavedReply {
	l, _ := f.LineByID(lineID)
	return l.DefaultSavedReplies()
}

// validateSavedReplies checks each default as the console checks an
// admin's, and that no shortcut is given twice in a language.
func (l Line) validateSavedReplies(where string) []error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range l.DefaultSavedReplies() {
		at := fmt.Sprintf("%s: saved_replies[%d] (/%s)", where, i, r.Shortcut)
		if err := events.ValidateSavedReply(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("%s: shortcut given twice in %s", at, r.Language))
		}
		seen[r.ID] = true
	}
	return errs
}
