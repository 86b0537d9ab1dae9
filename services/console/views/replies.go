package views

// SavedReplies is a line's saved replies: what its workers may insert into
// a reply, and what admins manage.
type SavedReplies struct {
	LineID   string       `json:"line_id"`
	LineName string       `json:"line_name"`
	Replies  []SavedReply `json:"replies"`
}

// SavedReply is one saved reply: the line's words, never a client's.
type SavedReply struct {
	ID       string `json:"id"`
	Language string `json:"language"`
	Shortcut string `json:"shortcut"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	// Default is set for one of the configuration's defaults, Edited once
	// an admin changed it.
	Default bool `json:"default"`
	Edited  bool `json:"edited"`
}

// SavedRepliesPage is the admins' page of a line's saved replies, with
// the forms to add, edit and remove them.
type SavedRepliesPage struct {
	Chrome
	SavedReplies SavedReplies
	// Lines are the lines to choose from (ids).
	Lines []string
	// FormID is sent with the add form, so a double submission adds one
	// reply; Done names what was just saved ("added", "edited",
	// "removed").
	FormID string
	Done   string
}
