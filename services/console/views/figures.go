package views

// Quantiles are percentiles in seconds; nil (null) when beyond a week.
type Quantiles struct {
	Count int64    `json:"count"`
	P50   *float64 `json:"p50_seconds"`
	P90   *float64 `json:"p90_seconds"`
	P99   *float64 `json:"p99_seconds"`
}

// AckChannels split the time from page to acknowledgement by how the
// acknowledgement came.
type AckChannels struct {
	// SMS: "1" texted back to a page SMS.
	SMS Quantiles `json:"sms"`
	// Call: 1 pressed on a page call.
	Call Quantiles `json:"call"`
	// Console: the console's Acknowledge button, or a reply to the client.
	Console Quantiles `json:"console"`
}

// Band is one band of abandoned conversations: how long the client kept
// writing, never answered, before they stopped.
type Band struct {
	// Band is "once" (one message, or all at once), "5m", "15m", "1h"
	// (up to that long) or "longer".
	Band  string `json:"band"`
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// Figures are one line's counts and response times over a period, and
// the figures of the conversations opened in it.
type Figures struct {
	Received        int64   `json:"received"`
	OutOfHours      int64   `json:"out_of_hours"`
	OutOfHoursShare float64 `json:"out_of_hours_share"`
	// Breaches include conversations still waiting past the target when
	// the figures are read, and those closed unanswered past it.
	Breaches int64 `json:"breaches"`
	// NextBreaches are next replies later than the next-response target,
	// and clients still waiting past it.
	NextBreaches int64 `json:"next_breaches"`
	// Exhausted are escalations nobody acknowledged after every round.
	Exhausted    int64       `json:"exhausted"`
	FirstReply   Quantiles   `json:"first_reply"`
	NextReply    Quantiles   `json:"next_reply"`
	Ack          Quantiles   `json:"acknowledgement"`
	AckByChannel AckChannels `json:"acknowledgement_by_channel"`
	// Conversations opened in the period, and of those: never answered
	// (closed, or the client silent for a day, without a worker reply),
	// by how long the client kept writing; and the closed ones by the
	// wrap-up's outcome and categories.
	Conversations int64            `json:"conversations"`
	NeverAnswered int64            `json:"never_answered"`
	Abandoned     []Band           `json:"abandoned"`
	Outcomes      map[string]int64 `json:"outcomes"`
	Categories    map[string]int64 `json:"categories"`
	// Survey counts the answers to the line's post-contact survey by
	// "question:option" code.
	Survey map[string]int64 `json:"survey"`
}

// Day is the figures of one UTC day.
type Day struct {
	Day string `json:"day"`
	Figures
}

// Report is the managers' figures: counts and durations only, no content,
// no pseudonyms, no client ids.
type Report struct {
	LineID     string       `json:"line_id"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	Totals     Figures      `json:"totals"`
	Days       []Day        `json:"days"`
	HourOfWeek [7][24]int64 `json:"hour_of_week"`
	// Labels are what the page shows for each outcome and category code
	// of the line's taxonomy, and each survey answer code; the JSON
	// carries the codes only.
	Labels map[string]string `json:"-"`
}

// ConversationRow is one line of the per-conversation export: a row
// number, never an id, pseudonym, number or word of the conversation.
type ConversationRow struct {
	// Row numbers the line's conversations of the period in the order
	// they opened, from 1.
	Row    int
	LineID string
	// Opened is the UTC hour the first message arrived in (to the hour,
	// so a row cannot be matched to a message by its time).
	Opened string
	// FirstReplySeconds is the wait for a worker's first reply; nil when
	// never answered.
	FirstReplySeconds       *float64
	MessagesIn, MessagesOut int64
	Closed                  bool
	Outcome                 string
	Categories              []string
	Escalated, Exhausted    bool
	// Survey are the client's answers to the post-contact survey
	// ("question:option").
	Survey []string
}

// ConversationExport is the rows of one line over a period.
type ConversationExport struct {
	LineID, From, To string
	Rows             []ConversationRow
}
