package views

// Chrome is what the layout around every page shows: the title, who is
// signed in (navigation and sign-out), the CSRF token for its forms, and
// which list the page keeps live ("inbox", "queue" or none).
type Chrome struct {
	Title string
	V     *Viewer
	CSRF  string
	Live  string
	// Warnings are shown above the page to admins and managers: levels
	// of the rota with nobody on call in the next day.
	Warnings []string
}

// Layout returns the page's chrome, for the renderer to fill in who is
// signed in; every page model embeds Chrome and so has it.
func (c *Chrome) Layout() *Chrome { return c }

// Page is any page model.
type Page interface{ Layout() *Chrome }

// LoginPage is the sign-in form, with why the last attempt failed and
// the local path signing in returns to.
type LoginPage struct {
	Chrome
	Error string
	Next  string
}

// ErrorPage tells staff why a request was refused.
type ErrorPage struct {
	Chrome
	Message string
}

// InboxPage is a worker's or duty worker's conversations.
type InboxPage struct {
	Chrome
	Inbox InboxList
	// State is which conversations it lists: "open" (the default),
	// "closed" or "all".
	State string
	// HandedOver confirms a hand-over just made.
	HandedOver bool
}

// QueuePage is the duty queue.
type QueuePage struct {
	Chrome
	Queue QueueList
}

// EscalationPage is one escalation, with why an acknowledgement was
// refused (someone else got there first), or that the viewer's
// acknowledgement was recorded; and its conversation, for a viewer who
// may read it (nil otherwise).
type EscalationPage struct {
	Chrome
	Escalation   Escalation
	Error        string
	Acknowledged bool
	Conversation *Conversation
}

// ConversationPage is a conversation read by a worker or duty worker, or
// by an admin through break-glass (no reply or assign forms then).
type ConversationPage struct {
	Chrome
	Conversation Conversation
	// ReplyID is the id the reply form sends, so a double submission is
	// one reply.
	ReplyID    string
	Sent       bool
	BreakGlass bool
	// Acknowledged is set just after the viewer acknowledged an
	// escalation in it.
	Acknowledged bool
	// Assignees are whom a duty worker may give the conversation to.
	Assignees Assignees
	// EscalationID is the request id the escalate form sends, so a
	// double submission raises one escalation; Reasons are its reason
	// codes. Escalated and Marked confirm an escalation raised by hand
	// and a verdict marked.
	EscalationID string
	Reasons      []string
	Escalated    bool
	Marked       bool
	// FlagID is the id the flag form sends, so a double submission is one
	// flag; FlagKinds are what a flag may be for; Flagged confirms one.
	FlagID    string
	FlagKinds []string
	Flagged   bool
	// ReplyRefused is why the reply just sent was not (WhatsApp's 24-hour
	// window had closed), shown beside the reply form.
	ReplyRefused string
	// Taxonomy is the close form's choices; Closed confirms a close, and
	// NewMessage says a close was refused because a message came after
	// the page was loaded.
	Taxonomy   Taxonomy
	Closed     bool
	NewMessage bool
	// HandOverID is the id the hand-over form sends.
	HandOverID string
	// SavedReplies are what the reply box offers to insert.
	SavedReplies []SavedReply
}

// BreakGlassPage asks an admin for the reason to read a conversation.
type BreakGlassPage struct {
	Chrome
	ConversationID string
}

// UsersPage is the staff accounts and the form to add one.
type UsersPage struct {
	Chrome
	Users []User
	Roles []string
	// Done names what was just saved ("created", "role", "disabled").
	Done string
}

// AuditPage is one page of the audit trail.
type AuditPage struct {
	Chrome
	Audit AuditList
}

// ConfigPage is the configuration, read only.
type ConfigPage struct {
	Chrome
	Config Config
}
