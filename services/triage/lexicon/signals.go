package lexicon

// Signal names, fixed by the labelling guide (testdata/LABELLING.md), after
// the Columbia Suicide Severity Rating Scale screener and safeguarding
// practice. A Match's Category is one of these for the terms that raised a
// signal, or a modifier name for the cues that changed how one counted.
const (
	SignalWishToBeDead    = "wish_to_be_dead"
	SignalActiveIdeation  = "active_ideation"
	SignalMethod          = "method"
	SignalIntent          = "intent"
	SignalPlan            = "plan"
	SignalPreparatoryActs = "preparatory_acts"
	SignalRecentBehaviour = "recent_behaviour"
	SignalHarmFromOthers  = "harm_from_others"
)

// Modifier names: the cues that change what a signal means. They are
// Categories of matches with weight 0.
const (
	ModifierSelf         = "self"
	ModifierThirdParty   = "third_party"
	ModifierNegation     = "negation"
	ModifierPast         = "past"
	ModifierResolved     = "resolved"
	ModifierTime         = "time"
	ModifierHypothetical = "hypothetical"
	ModifierIdiom        = "idiom"
	ModifierJoke         = "joke"
	ModifierMedia        = "media"
	ModifierMedical      = "medical_use"
)

// signal is a signal's index; the order is the order verdicts list them in.
type signal uint8

const (
	sigWish signal = iota
	sigIdeation
	sigMethod
	sigIntent
	sigPlan
	sigPrep
	sigRecent
	sigHarm
	numSignals
)

// signalNames are the signals' names by index.
var signalNames = [numSignals]string{
	SignalWishToBeDead, SignalActiveIdeation, SignalMethod, SignalIntent,
	SignalPlan, SignalPreparatoryActs, SignalRecentBehaviour, SignalHarmFromOthers,
}

// signalSet is a set of signals, one bit each.
type signalSet uint8

func (s signalSet) has(g signal) bool       { return s&(1<<g) != 0 }
func (s signalSet) with(g signal) signalSet { return s | 1<<g }

// names lists the set's signal names in signal order, or nil. The slice is
// shared by every verdict with the same set, so a verdict costs no
// allocation for it; its capacity is its length, so an append copies it.
func (s signalSet) names() []string { return setNames[s] }

// setNames are the names of every signal set, built once.
var setNames = func() (t [1 << numSignals][]string) {
	for s := range t {
		var out []string
		for g := signal(0); g < numSignals; g++ {
			if signalSet(s).has(g) {
				out = append(out, signalNames[g])
			}
		}
		t[s] = out[:len(out):len(out)]
	}
	return t
}()

// signalByName returns a signal's index.
func signalByName(name string) (signal, bool) {
	for g, n := range signalNames {
		if n == name {
			return signal(g), true
		}
	}
	return 0, false
}

// setOf returns the set of the named signals, ignoring unknown names.
func setOf(names []string) signalSet {
	var s signalSet
	for _, n := range names {
		if g, ok := signalByName(n); ok {
			s = s.with(g)
		}
	}
	return s
}

// subKind is a signal's sub-kind: one bit in a 64-bit set shared by all
// signals. Each is valid for one signal only.
type subKind uint8

// Sub-kinds, by signal. The method's "how" (named, acquired, prepared,
// researched) is a sub-kind; what the means is (doses, heights...) is a
// means kind, below.
const (
	kindNone subKind = iota
	// wish_to_be_dead
	kindPassive  // not wanting to wake up, to be here
	kindBurden   // better off without me
	kindHopeless // can't go on, no way out
	// active_ideation
	kindSuicidal // thoughts of killing oneself
	kindSelfHarm // urges to hurt oneself: elevated without a method or act
	kindTopic    // the word alone ("suicide"): elevated
	// method
	kindNamed
	kindAcquired
	kindPrepared
	kindResearched
	// intent
	kindDecided // going to, made up my mind
	kindPurpose // "to end it", "lethal": what a means is for
	kindDesire  // "want to" next to an act ("want to jump off")
	// plan
	kindWhen
	kindWhere
	kindHow
	// preparatory_acts
	kindNote
	kindFarewell // goodbye: counts with another act or signal
	kindFinal    // "by the time you read this": a farewell that stands alone
	kindGivingAway
	kindStockpiling
	kindAffairs
	// recent_behaviour
	kindTaken
	kindCut
	kindTried
	kindAtPlace
	// harm_from_others
	kindThreat
	kindWeapon
	kindProximity
	kindFear
	kindStrangulation
	kindSexualAbuse
	kindGrooming
	kindChildAfraidHome
	kindPartnerViolence
	numKinds
)

// kindInfo names each sub-kind and the signal it belongs to.
var kindInfo = [numKinds]struct {
	name   string
	signal signal
}{
	kindPassive: {"passive", sigWish}, kindBurden: {"burden", sigWish}, kindHopeless: {"hopeless", sigWish},
	kindSuicidal: {"suicidal", sigIdeation}, kindSelfHarm: {"self_harm", sigIdeation}, kindTopic: {"topic", sigIdeation},
	kindNamed: {"named", sigMethod}, kindAcquired: {"acquired", sigMethod}, kindPrepared: {"prepared", sigMethod},
	kindResearched: {"researched", sigMethod},
	kindDecided:    {"decided", sigIntent}, kindPurpose: {"purpose", sigIntent}, kindDesire: {"desire", sigIntent},
	kindWhen: {"when", sigPlan}, kindWhere: {"where", sigPlan}, kindHow: {"how", sigPlan},
	kindNote: {"note", sigPrep}, kindFarewell: {"farewell", sigPrep}, kindFinal: {"final", sigPrep},
	kindGivingAway: {"giving_away", sigPrep}, kindStockpiling: {"stockpiling", sigPrep}, kindAffairs: {"affairs", sigPrep},
	kindTaken: {"taken", sigRecent}, kindCut: {"cut", sigRecent}, kindTried: {"tried", sigRecent}, kindAtPlace: {"at_place", sigRecent},
	kindThreat: {"threat", sigHarm}, kindWeapon: {"weapon", sigHarm}, kindProximity: {"proximity", sigHarm},
	kindFear: {"fear", sigHarm}, kindStrangulation: {"strangulation", sigHarm}, kindSexualAbuse: {"sexual_abuse", sigHarm},
	kindGrooming: {"grooming", sigHarm}, kindChildAfraidHome: {"child_afraid_home", sigHarm},
	kindPartnerViolence: {"partner_violence", sigHarm},
}

// kindSet is a set of sub-kinds.
type kindSet uint64

func (s kindSet) has(k subKind) bool { return s&(1<<k) != 0 }

func kinds(ks ...subKind) kindSet {
	var s kindSet
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// defaultKind is the sub-kind of an entry that names none.
var defaultKind = [numSignals]subKind{
	sigWish: kindPassive, sigIdeation: kindSuicidal, sigMethod: kindNamed, sigIntent: kindDecided,
	sigPlan: kindHow, sigPrep: kindFarewell, sigRecent: kindTried, sigHarm: kindThreat,
}

// meansKind is what a method's means is. "action" marks a means written as
// the act itself ("jump off", "hang"), which a desire ("want to") next to it
// turns into intent.
type meansKind uint8

const (
	meansNone meansKind = iota
	meansDoses
	meansHeights
	meansLigature
	meansWeapon
	meansTraffic
	meansDrowning
	meansOther
	numMeans
)

var meansNames = [numMeans]string{"", "doses", "heights", "ligature", "weapon", "traffic", "drowning", "other"}

// meansSet is a set of means kinds; bit meansAction stands for "any act".
type meansSet uint16

const meansAction = 15

func (s meansSet) accepts(m meansKind, action bool) bool {
	return s&(1<<m) != 0 || action && s&(1<<meansAction) != 0
}

// person is whom a signal is about.
type person uint8

const (
	personUnknown person = iota // no cue: read as the writer
	personSelf
	personThird
)
