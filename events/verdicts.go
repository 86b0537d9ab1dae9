package events

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unique"
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
// when, how risky, which signals, by which rule (a crisis the learned
// model raised, rule "model", has no signals: triage names the model when
// the next message carries it on). Never the client's words.
type RecentVerdict struct {
	At      time.Time
	Risk    string
	Signals []string
	Rule    string
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

// verdictFacts is a verdict summary without its terms, as a comparable
// value: the signals joined by commas (signal names hold none).
type verdictFacts struct {
	risk, rule, lexiconVersion, signals string
}

// keptVerdict is a verdict as a conversation keeps it for every triaged
// message (Conversation.verdicts): its facts interned, since most verdicts
// of a conversation are one and the same (no risk, no rule, this lexicon),
// so a message costs a map slot and one pointer, not a copy of its
// verdict's strings and slices. The terms, sealed per message, are kept
// apart, only for verdicts that have any (Conversation.verdictTerms).
type keptVerdict = unique.Handle[verdictFacts]

func keepVerdict(v VerdictSummary) keptVerdict {
	return unique.Make(verdictFacts{risk: v.Risk, rule: v.Rule, lexiconVersion: v.LexiconVersion, signals: strings.Join(v.Signals, ",")})
}

// summary is the verdict kept as k with terms (NoWords when it had none),
// as summarise made it: its own slices.
func summary(k keptVerdict, terms Sealed) VerdictSummary {
	f := k.Value()
	v := VerdictSummary{Risk: f.risk, Rule: f.rule, LexiconVersion: f.lexiconVersion, Signals: []string{}, Terms: NoWords()}
	if f.signals != "" {
		v.Signals = strings.Split(f.signals, ",")
	}
	if !terms.Empty() {
		v.Terms = Sealed{KeyID: terms.KeyID, Data: bytes.Clone(terms.Data)}
	}
	return v
}

// Verdict returns triage's verdict on message messageID as a staff
// member's feedback copies it (its own copy), and whether one was
// recorded.
func (c *Conversation) Verdict(messageID string) (VerdictSummary, bool) {
	k, ok := c.verdicts[messageID]
	if !ok {
		return VerdictSummary{}, false
	}
	return summary(k, c.verdictTerms[messageID]), true
}

// Triaged reports whether a verdict on message messageID was recorded.
func (c *Conversation) Triaged(messageID string) bool {
	_, ok := c.verdicts[messageID]
	return ok
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
