package lexicon

// RulesVersion is the version of the rules below; verdicts record it next
// to the lexicon version. Bump it on every change to a rule or window (to
// the package's code but its tests and the matcher's engine), and add the
// line TestVersionsSum asks for to data/versions.sum.
const RulesVersion = "2026.12.7.54"

// Rule names: which rule decided a verdict.
const (
	// Crisis, about the writer, now.
	RuleRecentBehaviour       = "recent_behaviour"
	RuleHarmImmediate         = "harm_immediate"
	RuleThreatWeaponProximity = "threat_weapon_proximity"
	RuleActiveIdeation        = "active_ideation"
	RuleMethodIntent          = "method_intent"
	RuleMethodPurpose         = "method_purpose"
	RuleMethodPrepared        = "method_prepared"
	RuleMethodTime            = "method_time"
	RulePlan                  = "plan"
	RuleIntentTime            = "intent_time"
	RulePreparatoryAct        = "preparatory_act"
	RulePreparatoryFarewell   = "preparatory_farewell"
	RuleThirdPartyImmediate   = "third_party_immediate"
	// Crisis from the conversation (ClassifyIn): two elevated messages
	// about the writer within Options.RepeatWindow. A message rule that
	// fires only with the earlier messages' signals is named with
	// RuleAcrossSuffix.
	RuleRepeatedElevated = "repeated_elevated"
	// Crisis from the conversation: the message before, within
	// Options.RepeatWindow, was a crisis and this one does not say it is
	// over, deny, joke or tell a story (see ongoing).
	RuleCrisisOngoing = "crisis_ongoing"
	// Elevated.
	RuleJokeMarked     = "joke_marked"
	RuleWishToBeDead   = "wish_to_be_dead"
	RuleSelfHarmUrge   = "self_harm_urge"
	RuleIdeationTopic  = "ideation_topic"
	RuleHarmFromOthers = "harm_from_others"
	RuleIntentAlone    = "intent_alone"
	RuleMethodAlone    = "method_alone"
	RuleFarewell       = "farewell"
	RuleThirdParty     = "third_party"
	RuleNegatedHeld    = "negated_held_elevated"
	// None: a statement of wanting or going to, negated.
	RuleNegated       = "negated"
	RulePastDisclosed = "past_disclosed"
	// None.
	RulePastResolved    = "past_resolved"
	RuleHidden          = "media_or_hypothetical"
	RuleIdiomSuppressed = "idiom_suppressed"
	RuleMeansOnly       = "means_only"
	RuleNoMatch         = "no_match"
)

// facts are what a message's hits say, once qualified.
type facts struct {
	raised  signalSet // about the writer (or nobody in particular), now
	kinds   kindSet   // sub-kinds of the raised signals
	weapon  bool      // a weapon is named (a means or a harm term)
	third   signalSet // about someone else
	negated signalSet
	past    signalSet
	hidden  signalSet // in a story, a question or the news
	// Modifiers present anywhere in the message.
	time, soon, joke, resolved, idiom bool
	// story: a media or hypothetical cue stands in the message.
	story bool
	// Signals of the conversation's recent messages (ClassifyIn).
	recent signalSet
	// fromRecent: a with condition was met only by the conversation.
	fromRecent bool
	// earlier: the earlier messages' signals a rule fired with (across).
	earlier signalSet
}

// strong are the signals that are more than a named means: a named means
// alone is an ordinary word ("pills", "bridge") and never held.
func (f *facts) heldAny() bool { return f.third|f.negated|f.past|f.hidden != 0 }

func (f *facts) has(g signal) bool       { return f.raised.has(g) }
func (f *facts) kind(ks ...subKind) bool { return f.kinds&kinds(ks...) != 0 }

// negatableStatements are the signals a negation takes to none when they
// are all a message says.
const negatableStatements = signalSet(1<<sigWish | 1<<sigIdeation | 1<<sigIntent | 1<<sigPlan)

// rule is one named rule: the first whose test holds decides the risk.
type rule struct {
	name string
	risk Risk
	test func(f *facts) bool
}

// messageRules are the rules over one message's signals, in order. Each
// business rule is stated next to its test.
var messageRules = []rule{
	// Has taken, has cut, has tried, is at the place now.
	{RuleRecentBehaviour, RiskCrisis, func(f *facts) bool { return f.has(sigRecent) }},
	// Strangulation, sexual abuse, grooming, a child afraid to go home,
	// violence from a partner: each is a crisis on its own.
	{RuleHarmImmediate, RiskCrisis, func(f *facts) bool {
		return f.has(sigHarm) && f.kind(kindStrangulation, kindSexualAbuse, kindGrooming, kindChildAfraidHome, kindPartnerViolence)
	}},
	// Two of a threat, a weapon, someone close by, fear of them: "he's
	// outside my door with a knife".
	{RuleThreatWeaponProximity, RiskCrisis, func(f *facts) bool {
		if !f.has(sigHarm) {
			return false
		}
		n := 0
		for _, b := range []bool{f.kind(kindThreat), f.weapon || f.kind(kindWeapon), f.kind(kindProximity), f.kind(kindFear)} {
			if b {
				n++
			}
		}
		return n >= 2
	}},
	// A joke marker ("lmao i'm going to jump off a cliff if this essay
	// isn't done", "me tiro por la ventana jajaja") holds ideation, a
	// method, an intent or a plan at elevated: a worker still looks, and
	// the conversation can raise it (contextRules). What was done or is
	// being done to the writer (above) is never held by a joke.
	// A preparatory act is done too: a note or things given away are
	// never held by a joke.
	{RuleJokeMarked, RiskElevated, func(f *facts) bool {
		return f.joke && !f.has(sigPrep) && (f.has(sigIdeation) && f.kind(kindSuicidal) || f.has(sigMethod) || f.has(sigIntent) || f.has(sigPlan))
	}},
	// Active ideation about oneself, not negated, past or hypothetical.
	{RuleActiveIdeation, RiskCrisis, func(f *facts) bool { return f.has(sigIdeation) && f.kind(kindSuicidal) }},
	// A method with intent.
	{RuleMethodIntent, RiskCrisis, func(f *facts) bool { return f.has(sigMethod) && f.has(sigIntent) }},
	// A method with a purpose: wanting to die or to hurt oneself.
	{RuleMethodPurpose, RiskCrisis, func(f *facts) bool { return f.has(sigMethod) && (f.has(sigWish) || f.has(sigIdeation)) }},
	// A method prepared: "tied a noose", "lined up the pills".
	{RuleMethodPrepared, RiskCrisis, func(f *facts) bool { return f.has(sigMethod) && f.kind(kindPrepared) }},
	// A method acquired or researched, with a time frame: "bought pills
	// for tonight".
	{RuleMethodTime, RiskCrisis, func(f *facts) bool {
		return f.has(sigMethod) && f.kind(kindAcquired, kindResearched) && f.time
	}},
	// A plan: time, place or how worked out.
	{RulePlan, RiskCrisis, func(f *facts) bool { return f.has(sigPlan) }},
	// Intent with a time frame (today will do), a wish to be dead,
	// ideation or a preparatory act.
	{RuleIntentTime, RiskCrisis, func(f *facts) bool {
		return f.has(sigIntent) && (f.time || f.soon || f.has(sigWish) || f.has(sigIdeation) || f.has(sigPrep))
	}},
	// A note, a final farewell, giving things away, stockpiling,
	// arranging affairs.
	{RulePreparatoryAct, RiskCrisis, func(f *facts) bool {
		return f.has(sigPrep) && f.kind(kindNote, kindFinal, kindGivingAway, kindStockpiling, kindAffairs)
	}},
	// A goodbye with a wish to be dead, ideation, intent or a method.
	{RulePreparatoryFarewell, RiskCrisis, func(f *facts) bool {
		return f.has(sigPrep) && (f.has(sigWish) || f.has(sigIdeation) || f.has(sigIntent) || f.has(sigMethod))
	}},
	// Someone else who has taken, cut or is at the place now is in
	// immediate danger.
	{RuleThirdPartyImmediate, RiskCrisis, func(f *facts) bool { return f.third.has(sigRecent) }},

	{RuleWishToBeDead, RiskElevated, func(f *facts) bool { return f.has(sigWish) }},
	{RuleSelfHarmUrge, RiskElevated, func(f *facts) bool { return f.has(sigIdeation) && f.kind(kindSelfHarm) }},
	{RuleIdeationTopic, RiskElevated, func(f *facts) bool { return f.has(sigIdeation) }},
	{RuleHarmFromOthers, RiskElevated, func(f *facts) bool { return f.has(sigHarm) }},
	{RuleIntentAlone, RiskElevated, func(f *facts) bool { return f.has(sigIntent) }},
	{RuleMethodAlone, RiskElevated, func(f *facts) bool { return f.has(sigMethod) && f.kind(kindAcquired, kindResearched) }},
	{RuleFarewell, RiskElevated, func(f *facts) bool { return f.has(sigPrep) }},
	// Someone else's risk is elevated at most.
	{RuleThirdParty, RiskElevated, func(f *facts) bool { return f.third != 0 }},
	// A statement negated and nothing else ("I'm not going to kill
	// myself", "I'm not suicidal, I just need to vent", "no plans to hurt
	// myself") is none, as the labelling guide says: a wish, ideation,
	// intent or a plan denied, with no signal raised, nothing else held,
	// no time frame ("not tonight" leaves another night) and no earlier
	// signals in the conversation ("I'm not going to do it" after "I want
	// to die" is no all-clear). A negated means, act, goodbye or harm ("he
	// didn't hit me this time") is still worth a worker's look: elevated.
	{RuleNegated, RiskNone, func(f *facts) bool {
		return f.negated != 0 && f.raised == 0 && f.third|f.past|f.hidden == 0 && f.negated&^negatableStatements == 0 &&
			!f.time && !f.soon && f.recent == 0
	}},
	{RuleNegatedHeld, RiskElevated, func(f *facts) bool { return f.negated != 0 }},
	// The past, said to be over, is none; otherwise elevated.
	{RulePastResolved, RiskNone, func(f *facts) bool { return f.past != 0 && f.resolved }},
	{RulePastDisclosed, RiskElevated, func(f *facts) bool { return f.past != 0 }},
	{RuleHidden, RiskNone, func(f *facts) bool { return f.hidden != 0 }},
	{RuleIdiomSuppressed, RiskNone, func(f *facts) bool { return f.idiom }},
	{RuleMeansOnly, RiskNone, func(f *facts) bool { return f.has(sigMethod) }},
}

// RuleAcrossSuffix ends the name of a message rule that fired on the
// message's signals together with those of the conversation's earlier
// messages ("method_purpose_across": a means now, a wish to be dead
// earlier); the verdict's Earlier lists the earlier signals it needed.
const RuleAcrossSuffix = "_across"

// acrossNames are the message rules' names when they fire across messages.
var acrossNames = func() []string {
	out := make([]string, len(messageRules))
	for i, r := range messageRules {
		out[i] = r.name + RuleAcrossSuffix
	}
	return out
}()

// messageRisk applies the message rules to one message's facts.
func messageRisk(f *facts) (Risk, string) {
	for _, r := range messageRules {
		if r.test(f) {
			return r.risk, r.name
		}
	}
	return RiskNone, RuleNoMatch
}

// across applies the message rules to the message's signals together with
// the earlier ones (both and before are scratch facts). Signals combine
// across messages by the rules that combine them within one: a means now
// and a wish to be dead, ideation or intent earlier; a time frame, a wish
// or a goodbye now and intent earlier; a goodbye now and a means earlier.
// Modifiers travel with the signals: an earlier signal that was negated,
// past, someone else's or in a story was never raised, so it is not among
// the earlier ones (a joke marker holds the verdict at elevated but its
// signals are raised, and carried). A message adds no bare time frame
// when it says it is over ("I'm safe now"), holds a signal or jokes; a
// signal it raises counts even beside "I'm fine now" ("I'm fine now, got
// them here" after "I want to die" is no all-clear). The message must
// add what the rule needs: a signal about the writer, now, or a time
// frame, without which the earlier signals it does not repeat do not fire
// the rule ("found the cartridges" after a gun and "I don't want to be
// here" is a crisis again; "thanks" after a crisis is not a new one). It
// returns the rule's index and the earlier signals it needed, or -1.
func across(f, both, before *facts, earlier signalSet) (int, signalSet) {
	if earlier == 0 {
		return -1, 0
	}
	if f.raised == 0 && (!f.time && !f.soon || f.resolved || f.heldAny() || f.joke || f.idiom) {
		return -1, 0
	}
	*both = *f
	both.raised |= earlier
	*before = facts{raised: earlier &^ f.raised}
	for i, r := range messageRules {
		if !r.test(both) {
			continue
		}
		if r.risk != RiskCrisis {
			return -1, 0
		}
		if r.test(before) {
			continue
		}
		// The earlier signals the rule needs: each without which it
		// no longer fires, else (alternatives) all it could read.
		var used signalSet
		extra := earlier &^ f.raised
		for g := signal(0); g < numSignals; g++ {
			if !extra.has(g) {
				continue
			}
			both.raised = f.raised | earlier&^(1<<g)
			if !r.test(both) {
				used = used.with(g)
			}
		}
		if used == 0 {
			used = extra
		}
		if used == 0 {
			return -1, 0
		}
		return i, used
	}
	return -1, 0
}
