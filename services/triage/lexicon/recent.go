package lexicon

import (
	"slices"
	"time"
)

// Bounds of a Recent: the entries it keeps, and for how long.
const (
	RecentMax    = 8
	RecentMaxAge = 24 * time.Hour
)

// Recent summarises a conversation's recent verdicts, for reading the next
// message with them (ClassifyIn). It is a value: Add returns a new one. It
// is JSON-serialisable so that a service can keep it in the conversation's
// state.
type Recent struct {
	// Entries are the latest verdicts, oldest first: at most RecentMax,
	// none older than RecentMaxAge before the latest.
	Entries []RecentEntry `json:"entries,omitempty"`
	// EscalationOpen is the service's to set: the conversation already has
	// an open crisis escalation. The classifier does not change a verdict
	// for it; NeedsEscalation reads it.
	EscalationOpen bool `json:"escalation_open,omitempty"`
}

// RecentEntry is one verdict of a conversation: when, its risk and the
// signals it raised about the writer (never the text or its terms).
type RecentEntry struct {
	At      time.Time `json:"at"`
	Risk    Risk      `json:"risk"`
	Signals []string  `json:"signals,omitempty"`
	// Model is set when the learned model raised the verdict to crisis
	// (rule "model"): such a crisis has no signals of its own, and a
	// message that carries it on (crisis_ongoing) names "model" among the
	// earlier ones instead.
	Model bool `json:"model,omitempty"`
}

// Add returns r with verdict v, given at at, added: entries older than
// RecentMaxAge before at are dropped, then all but the last RecentMax.
// Entries are kept in time order whatever order they are added in.
func (r Recent) Add(v Verdict, at time.Time) Recent {
	out := Recent{EscalationOpen: r.EscalationOpen, Entries: make([]RecentEntry, 0, min(len(r.Entries)+1, RecentMax))}
	e := RecentEntry{At: at, Risk: v.Risk, Signals: slices.Clone(v.Signals), Model: v.Rule == RuleModel}
	all := append(slices.Clone(r.Entries), e)
	slices.SortStableFunc(all, func(a, b RecentEntry) int { return a.At.Compare(b.At) })
	latest := all[len(all)-1].At
	for _, x := range all {
		if latest.Sub(x.At) <= RecentMaxAge {
			out.Entries = append(out.Entries, x)
		}
	}
	if len(out.Entries) > RecentMax {
		out.Entries = slices.Clone(out.Entries[len(out.Entries)-RecentMax:])
	}
	return out
}

// WithEscalationOpen returns r recording whether the conversation has an
// open crisis escalation.
func (r Recent) WithEscalationOpen(open bool) Recent {
	r.EscalationOpen = open
	return r
}

// NeedsEscalation reports whether verdict v, read in a conversation whose
// state is r, should raise a crisis escalation: it is a crisis and none is
// open yet. A conversation already at crisis keeps its escalation open
// rather than raising another.
func (r Recent) NeedsEscalation(v Verdict) bool {
	return v.Risk == RiskCrisis && !r.EscalationOpen
}
