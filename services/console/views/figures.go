package views

// Quantiles are percentiles in seconds; nil (null) when beyond a week.
type Quantiles struct {
	Count int64    `json:"count"`
	P50   *float64 `json:"p50_seconds"`
	P90   *float64 `json:"p90_seconds"`
	P99   *float64 `json:"p99_seconds"`
}

// Figures are one line's counts and response times over a period.
type Figures struct {
	Received        int64   `json:"received"`
	OutOfHours      int64   `json:"out_of_hours"`
	OutOfHoursShare float64 `json:"out_of_hours_share"`
	// Breaches include conversations still waiting past the target when
	// the figures are read.
	Breaches int64 `json:"breaches"`
	// Exhausted are escalations nobody acknowledged after every round.
	Exhausted  int64     `json:"exhausted"`
	FirstReply Quantiles `json:"first_reply"`
	Ack        Quantiles `json:"acknowledgement"`
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
}
