package lexicon

import "time"

// conversation is what the classifier reads from a conversation's recent
// verdicts at one moment.
type conversation struct {
	signals  signalSet // raised within the context window
	repeated signalSet // of elevated or crisis verdicts about the writer within the repeat window
	// ongoing: the latest earlier verdict, within the repeat window, is a
	// crisis; crisis are the signals of the crisis verdicts within it.
	ongoing bool
	crisis  signalSet
	// model: one of those crisis verdicts was the learned model's
	// (RecentEntry.Model).
	model bool
}

func (cl *Classifier) conversation(r Recent, now time.Time) conversation {
	var c conversation
	for _, e := range r.Entries {
		age := now.Sub(e.At)
		if age < 0 || age > cl.opts.ContextWindow {
			continue
		}
		s := setOf(e.Signals)
		c.signals |= s
		if age <= cl.opts.RepeatWindow && (e.Risk == RiskElevated || e.Risk == RiskCrisis) {
			c.repeated |= s
		}
		// Entries are in time order: the last one read decides.
		c.ongoing = age <= cl.opts.RepeatWindow && e.Risk == RiskCrisis
		if c.ongoing {
			c.crisis |= s
			c.model = c.model || e.Model
		}
	}
	return c
}

// decide applies the structure steps and the rules to the hits.
func (cl *Classifier) decide(sc *scratch, conv conversation) Verdict {
	// The facts live in the scratch: the rules' tests are function
	// values, through which a local would escape to the heap.
	sc.f = facts{recent: conv.signals}
	f := &sc.f
	if sc.kinds&(1<<tkIdiom) != 0 {
		f.idiom = cl.idioms(sc)
	}
	cl.near(sc)
	cl.contained(sc)
	cl.serious(sc)
	// A message that names a story, a film or a school piece, and no
	// time or place, reads no bare cue through the conversation ("ah non
	// mais c'est pour le film qu'on tourne avec la classe" after a
	// question about a fake knife wound is no intent; "the plan is sunday
	// night after the game when no ones around at the reservoir" still
	// is a plan).
	recent := conv.signals
	if sc.kinds&(1<<tkMedia|1<<tkHypothetical) != 0 && sc.kinds&(1<<tkTime|1<<tkSoon) == 0 &&
		!cl.cueUnion(sc).meets(storyUnless) {
		f.story, recent = true, 0
	}
	cl.cooccur(sc, recent)
	cl.qualify(sc)
	cl.resolvedPast(sc)
	// Most messages have no hit of these kinds (sc.kinds says which
	// kinds collect found; serious drops every joke hit when it clears
	// tkJoke's bit).
	if sc.kinds&(1<<tkTime|1<<tkSoon|1<<tkJoke|1<<tkResolved) != 0 {
		for i := range sc.hits {
			h := &sc.hits[i]
			if h.flags&hitDropped != 0 {
				continue
			}
			switch h.kind {
			case tkTime:
				f.time = true
			case tkSoon:
				f.soon = true
			case tkJoke:
				f.joke = true
			case tkResolved:
				f.resolved = true
			}
		}
	}
	if cl.gather(sc, f, false) {
		cl.gather(sc, f, true)
	}
	risk, rule := messageRisk(f)
	ctx := f.fromRecent
	if risk != RiskCrisis {
		if i, used := across(f, &sc.both, &sc.before, conv.signals); i >= 0 {
			risk, rule, ctx, f.earlier = RiskCrisis, acrossNames[i], true, used
		} else if risk == RiskElevated && f.raised != 0 && conv.repeated != 0 {
			// Two elevated messages about the writer within the
			// repeat window.
			risk, rule, ctx, f.earlier = RiskCrisis, RuleRepeatedElevated, true, conv.repeated
		} else if ongoing(f, conv) {
			risk, rule, ctx, f.earlier = RiskCrisis, RuleCrisisOngoing, true, conv.crisis
		}
	}
	v := Verdict{Risk: risk, Score: float64(popcount(uint8(f.raised))), LexiconVersion: cl.version, Rule: rule,
		Signals: f.raised.names(), Held: ((f.third | f.negated | f.past | f.hidden) &^ f.raised).names(),
		Earlier: f.earlier.names(), Context: ctx, RulesVersion: RulesVersion}
	// A crisis the model raised has no signals to name: a message that
	// carries it on names the model (RuleModel), so the duty worker reads
	// that the crisis it continues was the model's (whose words and
	// probability that verdict lists).
	if rule == RuleCrisisOngoing && conv.model {
		v.Earlier = append(v.Earlier, RuleModel)
	}
	v.Matches = cl.matches(sc, f)
	return v
}

// storyUnless are the cue classes that make a message naming a story
// more than the story: a time, a day, a place, a means, an act, a
// decision, a goodbye, someone close by or armed ("he's watching a film
// downstairs, i can hear him" after a threat still continues it).
var storyUnless = cs(cueTime, cueTonight, cueDay, cueRemote, cuePlace, cueOnPlace, cueRail, cueProximity, cueThreat, cueWeapon,
	cueShout, cueConfine, cueAlone, cueMeans, cueJump, cueAct, cueDecided, cueDoIt, cueTravel, cueFinal, cueFarewell, cueDeath,
	cueDeadWish, cueStrangle, cueAssault, cueSecret, cueHomeFear, cueBleed)

// ongoing reports whether a message continues the crisis its conversation
// is in: the message before it, within the repeat window, was a crisis,
// and this one does not say otherwise. A client in crisis goes on writing
// in crisis ("hes coming up the stairs" after "he said if i tell anyone
// hell hurt my sister"; "its starting to give. please" after "hes
// kicking the door"; "tonight feels like the right night" after "theres
// about 90 now"): the words of the next message need not repeat the
// danger for it to be there. A message that says it is over ("i'm safe
// now"), denies ("i'm not going to do it"), tells a past, a story or the
// news, jokes or is an idiom does not continue it, nor one that names a
// story, a film or a school piece and raises nothing ("du coup c'était le
// film" after a scene with a knife); nor does one sent
// after the repeat window, or after a message that was no crisis.
func ongoing(f *facts, conv conversation) bool {
	return conv.ongoing && !f.resolved && !f.joke && !f.idiom && f.negated|f.past|f.hidden == 0 && !(f.story && f.raised == 0)
}

// serious: a joke marker denied ("lol no joke", "not kidding") says the
// message is meant, so no joke marker of it holds anything. The denial
// may stand anywhere among the marker's words, as Spanish and French put
// it ("no es broma", "jrigole pas", "c'est pas une blague"; rules
// 2026.12.7.49), but not "pas mal" ("je rigole pas mal": a lot); a
// negation that denies a marker negates nothing else.
func (cl *Classifier) serious(sc *scratch) {
	if sc.kinds&(1<<tkJoke) == 0 {
		return
	}
	// "jpp" is a laugh ("j'en peux plus" of laughing) unless what one
	// can't take any more follows: "jpp DE cette vie" is exasperation.
	for i := range sc.hits {
		if j := &sc.hits[i]; j.kind == tkJoke && cl.c.terms[j.term].phrase == "jpp" && wordAfter(sc, j) == "de" {
			j.flags |= hitDropped
		}
	}
	denied := false
	for i := range sc.hits {
		j := &sc.hits[i]
		if j.kind != tkJoke || j.flags&hitDropped != 0 {
			continue
		}
		for k := range sc.hits {
			g := &sc.hits[k]
			if g.kind == tkNegation && g.pass == j.pass && g.ws >= j.ws && g.ws <= j.we && g.flags&hitDropped == 0 &&
				!pasNotNegating[wordAt(sc, g.pass, g.we+1)] {
				denied = true
				// The denial is spent on the marker: "jrigole PAS je
				// veux me tuer" negates no term after it.
				g.flags |= hitDropped
			}
		}
	}
	if !denied {
		return
	}
	for i := range sc.hits {
		if sc.hits[i].kind == tkJoke {
			sc.hits[i].flags |= hitDropped
		}
	}
	sc.kinds &^= 1 << tkJoke
}

// gather adds the hits' signals to f: first (withPass false) those without
// a with condition, then those with one, which count only next to a signal
// already raised in the message or in the conversation.
//
// The first pass reports whether it passed over a hit with a with
// condition, which the second reads; most messages have none.
func (cl *Classifier) gather(sc *scratch, f *facts, withPass bool) (withLeft bool) {
	terms := cl.c.terms
	base := f.raised
	for i := range sc.hits {
		h := &sc.hits[i]
		if h.kind != tkSignal || h.flags&hitOut != 0 {
			continue
		}
		t := &terms[h.term]
		if (t.r.with != 0) != withPass {
			withLeft = true
			continue
		}
		if withPass {
			switch {
			case base&t.r.with != 0:
			case f.recent&t.r.with != 0:
				f.fromRecent = true
			default:
				h.flags |= hitUnmet
				continue
			}
		}
		g, k := t.r.signal, t.r.kind
		weak := g == sigMethod && k == kindNamed // an ordinary word alone
		switch {
		case h.flags&hitHidden != 0:
			if !weak {
				f.hidden = f.hidden.with(g)
			}
		case h.flags&hitNegated != 0:
			if !weak {
				f.negated = f.negated.with(g)
			}
		case h.flags&hitPast != 0:
			if !weak {
				f.past = f.past.with(g)
			}
		case h.person == personThird:
			// Cues about someone else say too little to count: held;
			// but someone else having taken a means ("ma coloc a avalé
			// toute sa boîte d'antidépresseurs") is in danger now, as the
			// same said in a term is (third_party_immediate).
			if !weak && (h.flags&hitSynthetic == 0 || g == sigRecent && k == kindTaken) {
				f.third = f.third.with(g)
			}
			// A weapon in someone else's hands is still the weapon of
			// a harm: "mon ex est en bas de chez moi, il a son fusil".
			f.weapon = f.weapon || weak && t.r.means == meansWeapon
		default:
			f.raised = f.raised.with(g)
			f.kinds |= 1 << k
			f.weapon = f.weapon || t.r.means == meansWeapon
			if h.partner >= 0 && terms[sc.hits[h.partner].term].r.means == meansWeapon {
				f.weapon = true
			}
			h.flags |= hitCounted
			continue
		}
		if !weak {
			h.flags |= hitHeld
		}
	}
	return withLeft
}

// matches lists the signal terms that counted or were held and the cues
// that changed them, in text order (then by end, then by term: an order
// fixed by the lexicon version). Of overlapping cues of one category only
// the longest is listed.
func (cl *Classifier) matches(sc *scratch, f *facts) []Match {
	terms := cl.c.terms
	hits := sc.hits
	listed := 0 // the listed hits that are no signal's
	for i := range hits {
		h := &hits[i]
		switch h.kind {
		case tkSignal:
			if h.flags&(hitCounted|hitHeld) == 0 {
				h.flags |= hitUnlisted
			}
			continue
		case tkTime, tkSoon:
			if f.raised == 0 && f.earlier == 0 {
				h.flags |= hitUnlisted
			}
		case tkJoke:
			if !f.raised.has(sigIdeation) {
				h.flags |= hitUnlisted
			}
		default:
			if h.flags&hitEvidence == 0 {
				h.flags |= hitUnlisted
			}
		}
		if h.flags&hitUnlisted == 0 {
			listed++
		}
	}
	// A cue can be inside a longer one only when two are listed.
	if listed >= 2 {
		for i := range hits {
			h := &hits[i]
			if h.kind == tkSignal || h.flags&hitUnlisted != 0 {
				continue
			}
			cat := terms[h.term].category
			hos, hoe := h.os, h.oe
			for k := range hits {
				if o := &hits[k]; o.os <= hos && hoe <= o.oe && o.oe-o.os > hoe-hos && o.flags&hitUnlisted == 0 && o.kind != tkSignal &&
					terms[o.term].category == cat {
					h.flags |= hitUnlisted
					break
				}
			}
		}
	}
	// The listed hits to the front, in order, then sorted by position
	// and term (insertion sort: a message lists a handful). Partners and
	// the unlisted hits, overwritten here, are not read after this point.
	n := 0
	for i := range hits {
		if hits[i].flags&hitUnlisted == 0 {
			if i != n {
				hits[n] = hits[i]
			}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	for i := 1; i < n; i++ {
		for j := i; j > 0 && hitBefore(&hits[j], &hits[j-1]); j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	out := make([]Match, 0, min(n, MaxMatches))
	for i, h := range hits[:n] {
		if len(out) == MaxMatches {
			break
		}
		// One term found in overlapping words (two variants, two
		// passes) is listed once, over the words of both.
		if k := len(out) - 1; k >= 0 && h.term == hits[i-1].term && h.os < int32(out[k].End) {
			out[k].End = max(out[k].End, int(h.oe))
			continue
		}
		t := &terms[h.term]
		m := Match{Term: t.phrase, Category: t.category, Language: t.language, Start: int(h.os), End: int(h.oe)}
		if h.kind == tkSignal {
			m.Weight, m.Kind, m.Means = 1, kindInfo[t.r.kind].name, meansNames[t.r.means]
			if h.flags&hitCounted == 0 {
				m.Weight = 0.5
			}
		}
		out = append(out, m)
	}
	// A numeral is a count in every language and names none: it is read
	// in the message's language (a pager reads the first match's language
	// as the one the client wrote in), else in that of another match.
	for i := range out {
		if out[i].Language != "" {
			continue
		}
		out[i].Language = sc.lang
		for j := 0; j < len(out) && out[i].Language == ""; j++ {
			out[i].Language = out[j].Language
		}
		if out[i].Language == "" {
			out[i].Language = "und"
		}
	}
	return out
}

// hitBefore orders listed hits by where they start, then end, then term.
func hitBefore(a, b *hit) bool {
	if a.os != b.os {
		return a.os < b.os
	}
	if a.oe != b.oe {
		return a.oe < b.oe
	}
	return a.term < b.term
}

func popcount(b uint8) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}
