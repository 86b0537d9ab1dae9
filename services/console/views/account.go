package views

import (
	"strconv"
	"time"
)

// NotifyRule is one notification rule: page by Channel ("sms" or
// "call") AfterSeconds after the escalation step paged the person.
type NotifyRule struct {
	Channel      string `json:"channel"`
	AfterSeconds int    `json:"after_seconds"`
}

// NotifyChange is one change of a person's rules, as the log recorded it:
// when, by whom, to what. The changes are the audit trail of the rules.
type NotifyChange struct {
	At     time.Time    `json:"at"`
	ByID   string       `json:"by_staff_id"`
	ByName string       `json:"by_name"`
	Rules  []NotifyRule `json:"rules"`
}

// Where a person's notification rules come from.
const (
	NotifyFromConsole = "console" // set in the console (the log)
	NotifyFromConfig  = "config"  // the configuration's staff[].notify
	NotifyFromDefault = "default" // neither: an SMS at once
)

// NotifyRules is how a staff member is paged at each escalation step,
// where those rules come from, the bound on their delays, and every
// change made to them. No phone number: only whether there is one.
type NotifyRules struct {
	StaffID       string         `json:"staff_id"`
	Name          string         `json:"name"`
	Source        string         `json:"source"`
	Rules         []NotifyRule   `json:"rules"`
	HasWorkPhone  bool           `json:"has_work_phone"`
	WithinSeconds int            `json:"within_seconds"`
	MaxRules      int            `json:"max_rules"`
	Changes       []NotifyChange `json:"changes"`
}

// AccountPage is a staff member's account: their notification rules and
// the form to change them (their own, or anyone's for an admin).
type AccountPage struct {
	Chrome
	Notify NotifyRules
	// Rows are the form's rows: the rules, then empty rows up to
	// MaxRules.
	Rows []NotifyRow
	Done string
	Self bool
}

// NotifyRow is one row of the rules form: a channel ("" for none) and
// the delay in minutes as typed.
type NotifyRow struct {
	Channel string
	Minutes string
}

// Delay says a rule's delay in words: "2 min", "45 s", "1 min 30 s".
func Delay(seconds int) string {
	m, s := seconds/60, seconds%60
	switch {
	case m == 0:
		return strconv.Itoa(s) + " s"
	case s == 0:
		return strconv.Itoa(m) + " min"
	}
	return strconv.Itoa(m) + " min " + strconv.Itoa(s) + " s"
}
