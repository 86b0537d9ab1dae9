package views

import "time"

// Conversation is a conversation as staff with content access see it: the
// pseudonym, never a number or a client id. Messages are filled only by a
// reading that was audited.
type Conversation struct {
	ID             string    `json:"id"`
	LineID         string    `json:"line_id"`
	Pseudonym      string    `json:"pseudonym"`
	Channel        string    `json:"channel"`
	TeamID         string    `json:"team_id,omitempty"`
	AssigneeID     string    `json:"assignee_id,omitempty"`
	AssigneeName   string    `json:"assignee_name,omitempty"`
	Open           bool      `json:"open"`
	StartedAt      time.Time `json:"started_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
	Unread         int       `json:"unread"`
	Risk           string    `json:"risk,omitempty"`
	Flags          []string  `json:"flags"`
	Categories     []string  `json:"categories"`
	Consent        string    `json:"consent,omitempty"`
	Erased         bool      `json:"erased"`
	// ClientFlags are the staff's flags on the client that hold now; an
	// expired flag is not shown.
	ClientFlags []ClientFlag `json:"client_flags"`
	// LastMessageSeq is the log sequence of the client's latest message
	// as the inbox has it: a close sends it back (seen_seq), and is refused
	// if a message came after it.
	LastMessageSeq uint64 `json:"last_message_seq"`
	// Outcome is a closed conversation's wrap-up outcome.
	Outcome string `json:"outcome,omitempty"`
	// ReplyWindowEnds is, on WhatsApp, until when a free-form reply may
	// be sent: 24 hours after the client's latest message. Later, a reply
	// is refused (only an approved template may be sent), and
	// ReplyWindowClosed is set when it was so at the reading.
	ReplyWindowEnds   *time.Time `json:"reply_window_ends,omitempty"`
	ReplyWindowClosed bool       `json:"reply_window_closed,omitempty"`
	Messages          []Message  `json:"messages,omitempty"`
}

// ClientFlag is a staff flag on a client: what for (abusive, frequent,
// safeguarding) and when it ends. It never changes triage or paging.
type ClientFlag struct {
	Kind  string    `json:"kind"`
	Until time.Time `json:"until"`
}

// Message is one message, decrypted for the authorised reader.
type Message struct {
	ID         string    `json:"id"`
	Direction  string    `json:"direction"`
	At         time.Time `json:"at"`
	SenderName string    `json:"sender_name,omitempty"`
	Text       string    `json:"text"`
	// Unavailable is set when the text can no longer be read (the client
	// was erased).
	Unavailable bool `json:"unavailable,omitempty"`
	// Automatic is set for an auto-reply the line sent by itself, and
	// AutoReply says which ("out of hours"); Text is then the line's
	// configured text, not a copy of what was sent.
	Automatic bool   `json:"automatic,omitempty"`
	AutoReply string `json:"auto_reply,omitempty"`
	Status    string `json:"status,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Risk      string `json:"risk,omitempty"`
	// Terms are the lexicon terms triage matched in an inbound message,
	// opened for the reader (derived from the client's words: sealed with
	// the client's key in the log, and the reading is audited).
	// TermsErased is set instead when they can no longer be read: the
	// client was erased.
	Terms       []string `json:"terms"`
	TermsErased bool     `json:"terms_erased,omitempty"`
	// To is, for a hand-over note (direction "note"), whom the
	// conversation went to: a name, or "team <id>". SenderName is then who
	// wrote the note.
	To string `json:"to,omitempty"`
}

// Taxonomy is what a line's close form offers: outcomes, and groups of
// categories whose values are "group:value" codes.
type Taxonomy struct {
	Outcomes []Choice        `json:"outcomes"`
	Groups   []CategoryGroup `json:"groups"`
	// FollowUpDays is how many days ahead the line takes a follow-up
	// check-in; 0 when it sends none.
	FollowUpDays int `json:"follow_up_days,omitempty"`
}

// CategoryGroup is one question of the wrap-up.
type CategoryGroup struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Required bool     `json:"required"`
	Multiple bool     `json:"multiple"`
	Values   []Choice `json:"values"`
}

// Choice is one value a form offers, with its label.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// HandedOver answers a hand-over: its id, the same for a repeat.
type HandedOver struct {
	HandOverID string `json:"handover_id"`
}

// InboxList is one page of the conversations a staff member may see, most
// recent activity first, and the cursor of the next page.
type InboxList struct {
	Conversations []Conversation `json:"conversations"`
	Next          string         `json:"next_cursor,omitempty"`
}

// ReplyAccepted answers a reply: its id, the same for a repeat.
type ReplyAccepted struct {
	ReplyID string `json:"reply_id"`
}

// NonNil returns s, or an empty slice for nil: lists encode as [] in JSON,
// never null.
func NonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Person is a member of staff a conversation may be given to.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Assignees are who and which teams a conversation may be given to.
type Assignees struct {
	People []Person `json:"people"`
	Teams  []string `json:"teams"`
}

// MessagesBlock is the messages of a conversation as a page lists them,
// with the forms to mark triage's verdicts when Marks is set.
type MessagesBlock struct {
	Conversation Conversation
	CSRF         string
	Marks        bool
}
