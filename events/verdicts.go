package events

import (
	"slices"
	"time"
)

// RecentVerdicts bounds how many verdicts a conversation keeps for triage
// to read the next message with.
const RecentVerdicts = 8

// Signals triage raises (named after the C-SSRS screener and safeguarding
// practice). A verdict's matches carry them as their category; anything
// else there (a modifier cue such as negation) is not a signal.
var Signals = []string{"wish_to_be_dead", "active_ideation", "method", "intent", "plan", "preparatory_acts",
	"recent_behaviour", "harm_from_others"}

// RecentVerdict is one verdict as a conversation remembers it for triage:
// when, how risky, which signals. Never the client's words.
type RecentVerdict struct {
	At      time.Time
	Risk    string
	Signals []string
}

// VerdictSummary is a message's verdict as a staff member's feedback
// copies it: plain signals, and the terms still sealed as the verdict
// sealed them.
type VerdictSummary struct {
	Risk           string
	Rule           string
	LexiconVersion string
	Signals        []string
	Terms          Sealed
}

func (v VerdictSummary) clone() VerdictSummary {
	v.Signals = slices.Clone(v.Signals)
	v.Terms.Data = slices.Clone(v.Terms.Data)
	return v
}

// summarise reads a verdict's signals off the matches that counted (weight
// 1 or more), sorted and each once; its terms stay sealed.
func summarise(p MessageTriaged) VerdictSummary {
	v := VerdictSummary{Risk: p.Risk, Rule: p.Rule, LexiconVersion: p.LexiconVersion, Signals: []string{}, Terms: p.Terms.Words()}
	for _, m := range p.Matches {
		if m.Weight >= 1 && slices.Contains(Signals, m.Category) && !slices.Contains(v.Signals, m.Category) {
			v.Signals = append(v.Signals, m.Category)
		}
	}
	slices.Sort(v.Signals)
	return v
}
