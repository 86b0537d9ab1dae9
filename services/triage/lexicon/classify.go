package lexicon

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// Risk is triage's verdict on one message.
type Risk string

// Risk levels, from the events catalogue.
const (
	RiskNone     Risk = "none"
	RiskElevated Risk = "elevated"
	RiskCrisis   Risk = "crisis"
)

// Thresholds on a message's score. The weights in the lexicon are chosen
// against them: 3 is a crisis term on its own, 1 to 2.5 is elevated.
const (
	ElevatedThreshold = 1.0
	CrisisThreshold   = 3.0
)

// MaxMatches bounds the matches a verdict lists; the score counts them all.
const MaxMatches = 64

// Rules: which rule decided a verdict (see verdict for what each means).
const (
	RuleNoMatch             = "no_match"
	RuleBelowElevated       = "score<elevated_threshold"
	RuleIdiomSuppressed     = "idiom_suppressed"
	RuleElevated            = "score>=elevated_threshold"
	RuleCrisis              = "score>=crisis_threshold"
	RuleMeansIntent         = "means+intent"
	RuleNegatedDowngraded   = "negated_downgraded_to_elevated"
	RuleNegatedKeptElevated = "negated_kept_elevated"
	RuleHistoryDowngraded   = "history_downgraded_to_elevated"
	RuleHistoryKeptElevated = "history_kept_elevated"
)

const (
	// qualifiedWeightFactor scales a negated or past-tense term's weight.
	qualifiedWeightFactor = 0.5
	// maxHits and maxHitsPerTerm bound the work one message can cause; an
	// SMS or chat message comes nowhere near them.
	maxHits        = 1024
	maxHitsPerTerm = 8
	// Word gaps: between a negation or history cue and its term, a
	// quantity and what it counts, a void cue and its negation, and a term
	// and a history cue after it.
	negationGap    = 3
	doseGap        = 3
	voidGap        = 2
	historyGapPast = 4
)

// Match is one lexicon term found in a message.
type Match struct {
	// Term is the lexicon's canonical phrase, never the client's own words.
	Term     string  `json:"term"`
	Category string  `json:"category"`
	Language string  `json:"language"`
	Weight   float64 `json:"weight"`
	// Start and End are byte offsets of the matched words in the original
	// text (End exclusive); they fall on rune boundaries.
	Start int `json:"start"`
	End   int `json:"end"`
}

// Verdict is the classifier's explainable decision on one message.
type Verdict struct {
	Risk  Risk    `json:"risk"`
	Score float64 `json:"score"`
	// Matches are the terms that counted, and the idioms, negations and
	// history cues that changed how they counted (weight 0), in text order;
	// nil when there are none.
	Matches        []Match `json:"matches"`
	LexiconVersion string  `json:"lexicon_version"`
	Rule           string  `json:"rule"`
}

// Classifier classifies messages against a compiled lexicon. It is safe
// for concurrent use; each call borrows scratch buffers from a pool, so a
// message without matches is classified without allocating.
type Classifier struct {
	c       *compiled
	version string
	pool    sync.Pool
}

// NewClassifier compiles l. A nil lexicon gives a classifier that finds
// nothing.
func NewClassifier(l *Lexicon) *Classifier {
	if l == nil {
		l = &Lexicon{}
	}
	cl := &Classifier{c: compile(l), version: l.Version()}
	cl.pool.New = func() any {
		return &scratch{
			count: make([]uint8, len(cl.c.terms)),
			state: make([]uint8, len(cl.c.terms)),
		}
	}
	return cl
}

// hit is one match found during a classification, in the coordinates of
// the normalised text of its pass (ns, ne) and of the original (os, oe).
type hit struct {
	term   int32
	kind   termKind
	pass   uint8
	flags  uint8
	ns, ne int32
	os, oe int32
}

const (
	hitDropped   uint8 = 1 << iota // hidden by an idiom or inside a longer term
	hitNegated                     // a negation cue governs it
	hitHistoric                    // a history cue puts it in the past
	hitEvidence                    // a cue or idiom that changed another hit
	hitUnlisted                    // not reported in the verdict's matches
	hitQualified = hitNegated | hitHistoric
)

// scratch is one classification's working memory, reused through the pool.
type scratch struct {
	n       [2]normaliser
	hits    []hit
	count   []uint8 // per term: occurrences so far
	state   []uint8 // per term: stateAffirmative, stateQualified
	touched []int32
	kinds   uint16 // bit k set: a hit of termKind k was found
}

const (
	stateAffirmative uint8 = 1 << iota
	stateQualified
)

// Classify returns the verdict on text. It is deterministic for a given
// lexicon version.
func (cl *Classifier) Classify(text string) Verdict {
	sc := cl.pool.Get().(*scratch)
	sc.hits, sc.kinds = sc.hits[:0], 0
	sc.n[0].run(text)
	cl.collect(sc, 0)
	// Second pass, only when the text has a run of three or more
	// single letters: the same text with such runs joined into words, so
	// "k i l l  m y s e l f" is found without losing "i m a mess".
	if sc.n[0].spaced {
		sc.n[1].join = true
		sc.n[1].run(text)
		cl.collect(sc, 1)
	}
	var v Verdict
	if len(sc.hits) == 0 {
		v = Verdict{Risk: RiskNone, LexiconVersion: cl.version, Rule: RuleNoMatch}
	} else {
		v = cl.decide(sc)
	}
	for _, t := range sc.touched {
		sc.count[t], sc.state[t] = 0, 0
	}
	sc.touched = sc.touched[:0]
	cl.pool.Put(sc)
	return v
}

// collect runs the automaton over one pass's normalised text.
func (cl *Classifier) collect(sc *scratch, pass uint8) {
	c := cl.c
	n := &sc.n[pass]
	buf := n.buf
	c.ac.scan(buf, func(p int32, at int) {
		t := c.patTerm[p]
		first, last := at-int(c.patLen[p])+2, at-1
		if c.patPrefix[p] {
			for last = at; last+1 < len(buf) && buf[last+1] != ' '; last++ {
			}
		}
		h := hit{term: t, kind: c.terms[t].kind, pass: pass, ns: int32(first), ne: int32(last + 1), os: n.off[first].start, oe: n.off[last].end}
		if sc.count[t] >= maxHitsPerTerm || len(sc.hits) >= maxHits {
			return
		}
		for _, o := range sc.hits {
			if o.term == t && o.os == h.os && o.oe == h.oe {
				return
			}
		}
		if sc.count[t] == 0 {
			sc.touched = append(sc.touched, t)
		}
		sc.count[t]++
		sc.hits = append(sc.hits, h)
		sc.kinds |= 1 << h.kind
	})
}

// scores reports whether a hit's term adds to the score.
func scores(h hit) bool {
	switch h.kind {
	case kindRisk, kindUrgency, kindDose:
		return true
	}
	return false
}

// decide applies the rules to the hits, in this order.
func (cl *Classifier) decide(sc *scratch) Verdict {
	has := func(k termKind) bool { return sc.kinds&(1<<k) != 0 }
	if has(kindMany) || has(kindFew) {
		cl.doses(sc)
	}
	suppressed := has(kindIdiom) && cl.idioms(sc)
	cl.contained(sc)
	if has(kindNegation) || has(kindHistory) {
		cl.qualify(sc)
	}
	return cl.verdict(sc, suppressed)
}

// doses: a quantity ("30", "twenty", "a whole packet of") followed by a
// countable term ("paracetamol", "pills"), with at most three filler words
// between ("30 of my pills"), is a dose: a term of its own, "{many}
// paracetamol" or "{few} paracetamol". A number with a unit ("500mg") is a
// strength, not a count: units are not fillers, so "500mg paracetamol" is
// not a dose. A normal dose ("2 paracetamol") is just the medicine, which is
// at most elevated.
func (cl *Classifier) doses(sc *scratch) {
	n := len(sc.hits)
	for i := 0; i < n; i++ {
		q := sc.hits[i]
		k := q.kind
		if k != kindMany && k != kindFew {
			continue
		}
		for j := 0; j < n; j++ {
			m := sc.hits[j]
			t := &cl.c.terms[m.term]
			if !t.countable || m.pass != q.pass || m.ns <= q.ne ||
				!gapOK(sc.n[q.pass].buf, q.ne, m.ns, doseGap, cl.c.doseFillers) {
				continue
			}
			d := t.dose[0]
			if k == kindFew {
				d = t.dose[1]
			}
			if len(sc.hits) < maxHits {
				if sc.count[d] == 0 {
					sc.touched = append(sc.touched, d)
				}
				sc.count[d]++
				sc.hits = append(sc.hits, hit{term: d, kind: kindDose, pass: q.pass, ns: q.ns, ne: m.ne, os: q.os, oe: m.oe})
			}
		}
	}
}

// idioms: an idiom hides every risk term it overlaps in the original text
// ("this traffic is killing me", "kill myself laughing", "to die for"), and
// nothing else: a risk term outside the idiom's words still counts ("dead
// tired, I want to die" is a crisis). Idioms are listed narrowly for that
// reason. It reports whether anything was hidden.
func (cl *Classifier) idioms(sc *scratch) bool {
	suppressed := false
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.kind != kindIdiom {
			continue
		}
		for j := range sc.hits {
			h := &sc.hits[j]
			if scores(*h) && h.flags&hitDropped == 0 && h.os < g.oe && g.os < h.oe {
				h.flags |= hitDropped
				g.flags |= hitEvidence
				suppressed = true
			}
		}
	}
	return suppressed
}

// contained: a term inside a longer term counts only as part of it, so
// "suicide note" is not also "suicide", and "took 30 pills" not also "pills".
func (cl *Classifier) contained(sc *scratch) {
	for i := range sc.hits {
		a := sc.hits[i]
		if !scores(a) || a.flags&hitDropped != 0 {
			continue
		}
		for j := range sc.hits {
			b := &sc.hits[j]
			if i != j && scores(*b) && a.os <= b.os && b.oe <= a.oe && a.oe-a.os > b.oe-b.os {
				b.flags |= hitDropped
			}
		}
	}
}

// qualify marks risk terms that are negated or in the past.
//
// Negation: a cue ("not", "never", "won't", "no", "pas", "nunca") counts
// only when it ends right before the term, with at most three filler words
// between ("not GOING TO kill myself", "no ME quiero matar"). Anything else
// between breaks it, so "I'm not okay, I want to die" and "not going to
// lie, I want to die" stay crises. "Can't" is not a cue: "I can't stop
// thinking about killing myself" is a crisis. A void cue right before the
// negation cancels it ("can't promise I won't kill myself").
//
// History: a cue right before the term ("used to") or up to four words
// after it ("when I was 15", "two years ago") puts it in the past.
//
// A qualified term is never dropped: it counts half, and the verdict is at
// least elevated (see verdict).
func (cl *Classifier) qualify(sc *scratch) {
	for i := range sc.hits {
		h := &sc.hits[i]
		if k := h.kind; (k != kindRisk && k != kindDose) || h.flags&hitDropped != 0 {
			continue
		}
		buf := sc.n[h.pass].buf
		for j := range sc.hits {
			g := &sc.hits[j]
			if g.pass != h.pass {
				continue
			}
			switch g.kind {
			case kindNegation:
				if g.ne <= h.ns && gapOK(buf, g.ne, h.ns, negationGap, cl.c.negFillers) && !cl.voided(sc, *g) {
					h.flags |= hitNegated
					g.flags |= hitEvidence
				}
			case kindHistory:
				before := g.ne <= h.ns && gapOK(buf, g.ne, h.ns, negationGap, cl.c.negFillers)
				after := g.ns >= h.ne && gapOK(buf, h.ne, g.ns, historyGapPast, nil)
				if before || after {
					h.flags |= hitHistoric
					g.flags |= hitEvidence
				}
			}
		}
	}
}

// voided reports whether a void cue stands right before negation cue g.
func (cl *Classifier) voided(sc *scratch, g hit) bool {
	for _, v := range sc.hits {
		if v.pass == g.pass && v.kind == kindVoid && v.ne <= g.ns && gapOK(sc.n[g.pass].buf, v.ne, g.ns, voidGap, nil) {
			return true
		}
	}
	return false
}

// verdict scores the remaining terms and picks the rule.
//
// Each distinct term counts once, at its weight; a term found only
// negated or in the past counts half. Urgency terms ("tonight") add the
// largest of their weights, and only to a score other terms have started.
//
//   - crisis, "score>=crisis_threshold": the unqualified terms reach the
//     crisis threshold.
//   - crisis, "means+intent": concrete means (a medicine, a dose, a place,
//     a tool) together with any intent, plan, despair or threat, whatever
//     the score: on crisis lines, means predict imminent risk more strongly
//     than the word "suicide".
//   - elevated, "negated_downgraded_to_elevated" (or history_...): the
//     terms would have been a crisis without the negation (or the past
//     tense). A negation never takes a verdict to none.
//   - elevated, "negated_kept_elevated" (or history_...): a qualified term
//     that would have been elevated anyway.
//   - elevated, "score>=elevated_threshold".
//   - none, "idiom_suppressed": risk terms were found, all inside idioms.
//   - none, "score<elevated_threshold": only weak terms ("pills" alone).
func (cl *Classifier) verdict(sc *scratch, suppressed bool) Verdict {
	terms := cl.c.terms
	var sa, su, sq float64
	var meansA, intentA, meansQ, intentQ, negated, anyScoring bool
	for _, h := range sc.hits {
		if !scores(h) || h.flags&hitDropped != 0 {
			continue
		}
		anyScoring = anyScoring || h.kind != kindUrgency
		if h.flags&hitQualified == 0 {
			sc.state[h.term] |= stateAffirmative
		} else {
			sc.state[h.term] |= stateQualified
			negated = negated || h.flags&hitNegated != 0
		}
	}
	for _, t := range sc.touched {
		st := sc.state[t]
		if st == 0 {
			continue
		}
		tm := &terms[t]
		switch {
		case tm.kind == kindUrgency:
			if st&stateAffirmative != 0 {
				su = max(su, tm.weight)
			}
		case st&stateAffirmative != 0:
			sa += tm.weight
			meansA, intentA = meansA || tm.means, intentA || tm.intent
		default:
			sq += tm.weight * qualifiedWeightFactor
			meansQ, intentQ = meansQ || tm.means, intentQ || tm.intent
		}
	}
	if sa == 0 {
		su = 0
	}
	v := Verdict{Risk: RiskNone, Score: round(sa + su + sq), LexiconVersion: cl.version, Matches: cl.matches(sc, sa > 0)}
	affirmative := round(sa + su)
	switch {
	case affirmative >= CrisisThreshold:
		v.Risk, v.Rule = RiskCrisis, RuleCrisis
	case meansA && intentA:
		v.Risk, v.Rule = RiskCrisis, RuleMeansIntent
	case sq > 0:
		v.Risk = RiskElevated
		wouldBeCrisis := round(sa+su+sq/qualifiedWeightFactor) >= CrisisThreshold ||
			((meansA || meansQ) && (intentA || intentQ))
		switch {
		case wouldBeCrisis && negated:
			v.Rule = RuleNegatedDowngraded
		case wouldBeCrisis:
			v.Rule = RuleHistoryDowngraded
		case affirmative >= ElevatedThreshold:
			v.Rule = RuleElevated
		case negated:
			v.Rule = RuleNegatedKeptElevated
		default:
			v.Rule = RuleHistoryKeptElevated
		}
	case affirmative >= ElevatedThreshold:
		v.Risk, v.Rule = RiskElevated, RuleElevated
	case !anyScoring && suppressed:
		v.Rule = RuleIdiomSuppressed
	case anyScoring:
		v.Rule = RuleBelowElevated
	default:
		v.Rule = RuleNoMatch
	}
	return v
}

// matches lists the scoring hits that survived and the cues that changed
// them, in text order (then by end, then by term, an order fixed by the
// lexicon version). Urgency terms are listed only when they counted, that
// is next to unqualified risk. Of overlapping cues of one category ("i'm
// not", "not", "not going to") only the longest is listed.
func (cl *Classifier) matches(sc *scratch, urgencyCounted bool) []Match {
	hits := sc.hits
	for i := range hits {
		h := &hits[i]
		switch {
		case h.kind == kindUrgency && !urgencyCounted, scores(*h) && h.flags&hitDropped != 0,
			!scores(*h) && h.flags&hitEvidence == 0:
			h.flags |= hitUnlisted
		}
	}
	for i := range hits {
		h := &hits[i]
		if scores(*h) || h.flags&hitUnlisted != 0 {
			continue
		}
		for _, o := range hits {
			if o.flags&hitUnlisted == 0 && !scores(o) && cl.c.terms[o.term].category == cl.c.terms[h.term].category &&
				o.os <= h.os && h.oe <= o.oe && o.oe-o.os > h.oe-h.os {
				h.flags |= hitUnlisted
				break
			}
		}
	}
	// Sort the listed hits to the front, by position and term.
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.flags&hitUnlisted, b.flags&hitUnlisted); c != 0 {
			return c
		}
		if a.os != b.os {
			return cmp.Compare(a.os, b.os)
		}
		if a.oe != b.oe {
			return cmp.Compare(a.oe, b.oe)
		}
		return cmp.Compare(a.term, b.term)
	})
	n := 0
	for n < len(hits) && hits[n].flags&hitUnlisted == 0 {
		n++
	}
	if n == 0 {
		return nil
	}
	out := make([]Match, 0, min(n, MaxMatches))
	for i, h := range hits[:n] {
		if len(out) == MaxMatches {
			break
		}
		if i > 0 && h.term == hits[i-1].term && h.os == hits[i-1].os && h.oe == hits[i-1].oe {
			continue
		}
		t := &cl.c.terms[h.term]
		w := t.weight
		if !scores(h) {
			w = 0
		}
		out = append(out, Match{Term: t.phrase, Category: t.category, Language: t.language, Weight: w, Start: int(h.os), End: int(h.oe)})
	}
	return out
}

// gapOK reports whether the words of buf[from:to] number at most max and,
// when allowed is not nil, are all in it.
func gapOK(buf []byte, from, to int32, max int, allowed map[string]bool) bool {
	if from > to {
		return false
	}
	words := 0
	for i := from; i < to; {
		if buf[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < to && buf[j] != ' ' {
			j++
		}
		words++
		if words > max || (allowed != nil && !allowed[string(buf[i:j])]) {
			return false
		}
		i = j
	}
	return true
}

func round(x float64) float64 { return math.Round(x*100) / 100 }
