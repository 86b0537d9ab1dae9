package views

import "time"

// Escalation is one row of the duty queue: why it was raised, who was
// paged, who took it on. A pseudonym, never a number. Terms, the words
// that raised it, are opened (and the reading audited) only on the
// escalation itself for those who read content, never in the queue's
// list; TermsErased says they were erased with the client.
type Escalation struct {
	ID                 string     `json:"id"`
	ConversationID     string     `json:"conversation_id"`
	LineID             string     `json:"line_id"`
	Pseudonym          string     `json:"pseudonym"`
	Reason             string     `json:"reason"`
	Risk               string     `json:"risk"`
	Categories         []string   `json:"categories"`
	Terms              []string   `json:"terms"`
	TermsErased        bool       `json:"terms_erased,omitempty"`
	Level              int        `json:"level"`
	Round              int        `json:"round"`
	RaisedAt           time.Time  `json:"raised_at"`
	Pages              []PageSent `json:"pages"`
	AcknowledgedBy     string     `json:"acknowledged_by,omitempty"`
	AcknowledgedByName string     `json:"acknowledged_by_name,omitempty"`
	AcknowledgedAt     *time.Time `json:"acknowledged_at,omitempty"`
	Exhausted          bool       `json:"exhausted"`
	Open               bool       `json:"open"`
}

// PageSent is one page sent to a staff member for an escalation.
type PageSent struct {
	StaffID   string    `json:"staff_id"`
	StaffName string    `json:"staff_name"`
	LevelName string    `json:"level_name"`
	Round     int       `json:"round"`
	At        time.Time `json:"at"`
	// Channel is how it went (sms, call); Delivery how far it got as the
	// provider reported it (queued, sent, delivered, answered, failed),
	// ErrorCode the provider's code when it failed.
	Channel   string `json:"channel"`
	Delivery  string `json:"delivery"`
	ErrorCode int    `json:"error_code,omitempty"`
}

// QueueList is one page of the open queue and the cursor of the next.
type QueueList struct {
	Escalations []Escalation `json:"escalations"`
	Next        string       `json:"next_cursor,omitempty"`
}

// Acknowledged answers an acknowledgement: the conversation the duty
// worker now has.
type Acknowledged struct {
	EscalationID   string `json:"escalation_id"`
	ConversationID string `json:"conversation_id"`
	AcknowledgedBy string `json:"acknowledged_by"`
}
