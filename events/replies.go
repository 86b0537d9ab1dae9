package events

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// A line's saved replies (canned responses) are the texts workers insert
// into a reply: a safety-planning prompt, the emergency numbers. They are
// the line's words, never a client's, so they are stored as plain text.
// The configuration gives each line a default set (lines[].saved_replies);
// admins add, edit and remove replies in the console, and each change is
// an event of the replies aggregate, subject helpline.events.replies.<line
// id>, so it holds on every replica and after a restart. A default that
// was edited or removed stays so whatever the configuration says later.

// SavedReplyAdded records a saved reply an admin added to a line.
type SavedReplyAdded struct {
	ReplyID   string `json:"reply_id"`
	Language  string `json:"language"`
	Shortcut  string `json:"shortcut"`
	Title     string `json:"title"`
	Text      string `json:"text"`
	ByStaffID string `json:"by_staff_id"`
}

// SavedReplyEdited records new words for a saved reply (an added one, or
// one of the configuration's defaults): the same fields as an addition.
type SavedReplyEdited SavedReplyAdded

// SavedReplyRemoved records that workers are no longer offered a saved
// reply.
type SavedReplyRemoved struct {
	ReplyID   string `json:"reply_id"`
	ByStaffID string `json:"by_staff_id"`
}

var _ = []bool{
	register(AggregateReplies, TypeSavedReplyAdded, 1, "An admin added a saved reply workers of the line may insert into a reply.",
		func() Payload {
			return SavedReplyAdded{ReplyID: "r1", Language: "en", Shortcut: "breathe", Title: "Breathing together",
				Text: "Let's slow down together: breathe in for four, hold for four, out for four.", ByStaffID: "ada"}
		}),
	register(AggregateReplies, TypeSavedReplyEdited, 1, "An admin changed the words of a saved reply of the line.",
		func() Payload {
			return SavedReplyEdited{ReplyID: "en-safety", Language: "en", Shortcut: "safety", Title: "Safety plan",
				Text: "Can we make a plan together to keep you safe tonight?", ByStaffID: "ada"}
		}),
	register(AggregateReplies, TypeSavedReplyRemoved, 1, "An admin removed a saved reply of the line.",
		func() Payload { return SavedReplyRemoved{ReplyID: "r1", ByStaffID: "ada"} }),
}

// SavedReply is one saved reply as a line's book holds it.
type SavedReply struct {
	ID       string
	Language string
	// Shortcut is what a worker types after "/" to find it: lowercase
	// letters, digits and '-', unique among the line's replies in one
	// language.
	Shortcut string
	Title    string
	Text     string
	// Configured is set for one of the configuration's defaults, Edited
	// once an admin changed it, and ByStaffID names who last did.
	Configured bool
	Edited     bool
	ByStaffID  string
	Removed    bool
}

// Bounds of a saved reply.
const (
	MaxSavedReplyTitle = 80
	// MaxSavedReplyText leaves room in the reply box (1,600 characters,
	// Twilio's bound on a body) for the worker's own words.
	MaxSavedReplyText = 1000
)

var (
	shortcutPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z]{2,4})?$`)
)

// ValidateSavedReply says what is wrong with a reply's language, shortcut,
// title or text, as ErrInvalidCommand; the configuration's defaults are
// checked by it too.
func ValidateSavedReply(r SavedReply) error {
	switch {
	case !languagePattern.MatchString(r.Language):
		return fmt.Errorf("%w: language: want a code like en, es, fr", ErrInvalidCommand)
	case !shortcutPattern.MatchString(r.Shortcut):
		return fmt.Errorf("%w: shortcut: want 1 to 32 lowercase letters, digits or '-', starting with a letter or digit", ErrInvalidCommand)
	case strings.TrimSpace(r.Title) == "" || utf8.RuneCountInString(r.Title) > MaxSavedReplyTitle:
		return fmt.Errorf("%w: title: want 1 to %d characters", ErrInvalidCommand, MaxSavedReplyTitle)
	case strings.TrimSpace(r.Text) == "" || utf8.RuneCountInString(r.Text) > MaxSavedReplyText:
		return fmt.Errorf("%w: text: want 1 to %d characters", ErrInvalidCommand, MaxSavedReplyText)
	}
	return nil
}

// DefaultSavedReplyID is the id of a configured default: its language and
// shortcut, so an admin's edit of it holds across restarts.
func DefaultSavedReplyID(language, shortcut string) string { return language + "-" + shortcut }

// ReplyBook is a line's saved replies: the configuration's defaults with
// the admins' changes folded over them. Apply only changes state; Add,
// Edit and Remove validate, then record events that the ReplyBooks
// repository appends with Version as the expected sequence.
type ReplyBook struct {
	LineID string
	// Replies are in the order workers are offered them: the defaults as
	// configured, then the added ones as added. Removed ones stay, marked.
	Replies []SavedReply

	recording
}

// NewReplyBook returns a line's book holding its configured defaults.
func NewReplyBook(lineID string, defaults []SavedReply) *ReplyBook {
	b := &ReplyBook{LineID: lineID}
	for _, d := range defaults {
		d.Configured = true
		if d.ID == "" {
			d.ID = DefaultSavedReplyID(d.Language, d.Shortcut)
		}
		b.Replies = append(b.Replies, d)
	}
	return b
}

// Apply folds one stored event into the state.
func (b *ReplyBook) Apply(e Envelope) error { return b.applyStored(e, b.apply) }

func (b *ReplyBook) apply(p Payload, _ Envelope) {
	switch p := p.(type) {
	case SavedReplyAdded:
		if b.find(p.ReplyID) < 0 {
			b.Replies = append(b.Replies, SavedReply{ID: p.ReplyID, Language: p.Language, Shortcut: p.Shortcut, Title: p.Title,
				Text: p.Text, ByStaffID: p.ByStaffID})
		}
	case SavedReplyEdited:
		// An edit of a default the configuration no longer has is
		// forgotten with it.
		if i := b.find(p.ReplyID); i >= 0 {
			r := &b.Replies[i]
			r.Language, r.Shortcut, r.Title, r.Text, r.ByStaffID, r.Edited = p.Language, p.Shortcut, p.Title, p.Text, p.ByStaffID, true
		}
	case SavedReplyRemoved:
		if i := b.find(p.ReplyID); i >= 0 {
			b.Replies[i].Removed, b.Replies[i].ByStaffID = true, p.ByStaffID
		}
	}
}

func (b *ReplyBook) find(id string) int {
	return slices.IndexFunc(b.Replies, func(r SavedReply) bool { return r.ID == id })
}

// Clone returns a deep copy.
func (b *ReplyBook) Clone() *ReplyBook {
	c := *b
	c.Replies = slices.Clone(b.Replies)
	c.recording = b.recording.clone()
	return &c
}

// Active returns the replies workers are offered, in order.
func (b *ReplyBook) Active() []SavedReply {
	out := []SavedReply{}
	for _, r := range b.Replies {
		if !r.Removed {
			out = append(out, r)
		}
	}
	return out
}

// Get returns a reply that was not removed.
func (b *ReplyBook) Get(id string) (SavedReply, bool) {
	i := b.find(id)
	if i < 0 || b.Replies[i].Removed {
		return SavedReply{}, false
	}
	return b.Replies[i], true
}

// checkShortcut refuses a shortcut another live reply of the language has.
func (b *ReplyBook) checkShortcut(r SavedReply) error {
	for _, o := range b.Active() {
		if o.ID != r.ID && o.Language == r.Language && o.Shortcut == r.Shortcut {
			return fmt.Errorf("%w: shortcut /%s is taken in %s by %q", ErrInvalidCommand, r.Shortcut, r.Language, o.Title)
		}
	}
	return nil
}

func (b *ReplyBook) record(p Payload, m Meta) error {
	return b.recording.record(NewID(), b.LineID, p, m, b.apply)
}

// Add records a new saved reply by staff member by. Its id is r.ID when
// valid (a form's id, so a double submission adds one reply), else a
// fresh one; an id added before records nothing.
func (b *ReplyBook) Add(by string, r SavedReply, m Meta) error {
	if r.ID == "" || ValidateID(r.ID) != nil {
		r.ID = NewID()
	}
	if b.find(r.ID) >= 0 {
		return nil
	}
	if err := ValidateSavedReply(r); err != nil {
		return err
	}
	if err := b.checkShortcut(r); err != nil {
		return err
	}
	return b.record(SavedReplyAdded{ReplyID: r.ID, Language: r.Language, Shortcut: r.Shortcut, Title: r.Title, Text: r.Text, ByStaffID: by}, m)
}

// Edit records new words for reply r.ID; the same words again record
// nothing.
func (b *ReplyBook) Edit(by string, r SavedReply, m Meta) error {
	old, ok := b.Get(r.ID)
	if !ok {
		return fmt.Errorf("saved reply %s: %w", r.ID, ErrNotFound)
	}
	if err := ValidateSavedReply(r); err != nil {
		return err
	}
	if err := b.checkShortcut(r); err != nil {
		return err
	}
	if old.Language == r.Language && old.Shortcut == r.Shortcut && old.Title == r.Title && old.Text == r.Text {
		return nil
	}
	return b.record(SavedReplyEdited{ReplyID: r.ID, Language: r.Language, Shortcut: r.Shortcut, Title: r.Title, Text: r.Text, ByStaffID: by}, m)
}

// Remove records that reply id is no longer offered; removing it twice
// records nothing.
func (b *ReplyBook) Remove(by, id string, m Meta) error {
	i := b.find(id)
	if i < 0 {
		return fmt.Errorf("saved reply %s: %w", id, ErrNotFound)
	}
	if b.Replies[i].Removed {
		return nil
	}
	return b.record(SavedReplyRemoved{ReplyID: id, ByStaffID: by}, m)
}

// ReplyBooks is the saved replies repository: the one way to change a
// line's saved replies. A line's changes are few, so it loads each whole.
type ReplyBooks struct {
	repository[*ReplyBook]
}

// NewReplyBooks returns a repository over log; defaults gives a line's
// configured saved replies (nil for none).
func NewReplyBooks(log HistoryLog, defaults func(lineID string) []SavedReply) *ReplyBooks {
	if defaults == nil {
		defaults = func(string) []SavedReply { return nil }
	}
	empty := func(id string) *ReplyBook { return NewReplyBook(id, defaults(id)) }
	return &ReplyBooks{repository[*ReplyBook]{aggregate: AggregateReplies, log: log,
		load: func(ctx context.Context, id string) (*ReplyBook, error) {
			b, _, err := fold(ctx, log, AggregateReplies, id, empty)
			return b, err
		}, empty: empty}}
}
