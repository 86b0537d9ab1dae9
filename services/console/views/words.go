package views

import (
	"fmt"
	"strings"
	"time"
)

// What a tired person reads instead of ids: signals, reasons and terms in
// words, and times in the line's zone and relative to now.

// signalWords are the triage signals (the lexicon's Signal* and the
// modifiers' names) and inbox flags in words.
var signalWords = map[string]string{
	"wish_to_be_dead":   "wishes to be dead",
	"active_ideation":   "thinking of suicide or self-harm",
	"method":            "a means named",
	"intent":            "intends to act",
	"plan":              "has a plan",
	"preparatory_acts":  "preparing (note, goodbyes, giving away)",
	"recent_behaviour":  "has acted (taken, cut, tried)",
	"harm_from_others":  "harmed or threatened by someone",
	"self":              "about themselves",
	"third_party":       "about someone else",
	"negation":          "denied",
	"past":              "in the past",
	"resolved":          "resolved",
	"time":              "a time named",
	"hypothetical":      "hypothetical",
	"idiom":             "a figure of speech",
	"joke":              "a joke",
	"media":             "about a film, book or news",
	"medical_use":       "medical use, as prescribed",
	"many":              "a large number",
	"out_of_hours":      "out of hours",
	"escalated":         "escalated",
	"follow_up_reply":   "high priority: replied to a follow-up",
	"opted_out":         "opted out (STOP)",
	"erased":            "erased",
	"crisis":            "crisis",
	"elevated":          "elevated",
	"none":              "no risk found",
	"risk_to_life":      "risk to life",
	"safeguarding":      "safeguarding",
	"abusive":           "abusive",
	"frequent":          "frequent contact",
	"triage_missed":     "triage missed it",
	"needs_duty_worker": "needs the duty worker",
}

// reasonWords say why an escalation was raised (events.Reason*).
var reasonWords = map[string]string{
	"crisis":       "a message read as a crisis",
	"out_of_hours": "a message while the line is closed",
	"unanswered":   "no reply within the line's target",
	"manual":       "raised by a member of staff",
}

// Reason says why an escalation was raised, in words.
func Reason(r string) string {
	if w, ok := reasonWords[r]; ok {
		return w
	}
	return Words(r)
}

// Words returns a signal, flag or reason in words; an unknown one with
// its underscores as spaces.
func Words(name string) string {
	if w, ok := signalWords[name]; ok {
		return w
	}
	return strings.ReplaceAll(name, "_", " ")
}

// cueClass begins the category of a lexicon cue word ("cue_means"): a
// kind of word that counts only with others, said by the signal it
// raised, not shown alone.
const cueClass = "cue_"

// WordsList is Words of each but the cue words' classes, joined with
// commas.
func WordsList(names []string) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !strings.HasPrefix(n, cueClass) {
			out = append(out, Words(n))
		}
	}
	return strings.Join(out, ", ")
}

// Term is a matched term as staff read it: the client's words, quoted.
func Term(t string) string { return "“" + t + "”" }

// Terms is Term of each, joined with commas: the client's own words that
// raised a signal, as triage recorded them (services/triage summarise).
func Terms(ts []string) string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, Term(t))
	}
	return strings.Join(out, ", ")
}

// At is t in the zone loc, with its day when it is not now's, and how
// long ago it was: "03:12 GMT (12 min ago)", "Mon 7 Dec 23:50 GMT (3 h
// ago)".
func At(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	lt, ln := t.In(loc), now.In(loc)
	layout := "15:04 MST"
	if lt.YearDay() != ln.YearDay() || lt.Year() != ln.Year() {
		layout = "Mon 2 Jan 15:04 MST"
	}
	return lt.Format(layout) + " (" + Ago(t, now) + ")"
}

// Ago is how long before now t was, in the largest whole unit.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, " from now"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min%s", int(d/time.Minute), suffix)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h%s", int(d/time.Hour), suffix)
	}
	return fmt.Sprintf("%d days%s", int(d/(24*time.Hour)), suffix)
}
