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

// VerdictSummary is a message's verdict without the client's words: what a
// staff member's feedback copies.
type VerdictSummary struct {
	Risk           string
	Rule           string
	LexiconVersion string
	Signals        []string
	Terms          []string
}

func (v VerdictSummary) clone() VerdictSummary {
	v.Signals, v.Terms = slices.Clone(v.Signals), slices.Clone(v.Terms)
	return v
}

// summarise reads a verdict's terms off the matches that weighed in at all
// (weight above 0: counted, or held by a modifier such as negation) and its
// signals off those that counted (weight 1 or more), sorted and each once.
func summarise(p MessageTriaged) VerdictSummary {
	v := VerdictSummary{Risk: p.Risk, Rule: p.Rule, LexiconVersion: p.LexiconVersion, Signals: []string{}, Terms: []string{}}
	for _, m := range p.Matches {
		if m.Weight <= 0 {
			continue
		}
		if m.Weight >= 1 && slices.Contains(Signals, m.Category) && !slices.Contains(v.Signals, m.Category) {
			v.Signals = append(v.Signals, m.Category)
		}
		if !slices.Contains(v.Terms, m.Term) {
			v.Terms = append(v.Terms, m.Term)
		}
	}
	slices.Sort(v.Signals)
	slices.Sort(v.Terms)
	return v
}
