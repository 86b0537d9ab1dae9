package lexicon

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Risk is triage's verdict on one message.
type Risk string

// Risk levels, from the events catalogue.
const (
	RiskNone     Risk = "none"
	RiskElevated Risk = "elevated"
	RiskCrisis   Risk = "crisis"
)

// MaxMatches bounds the matches a verdict lists.
const MaxMatches = 64

// Windows, in words, within which two terms are read together.
const (
	nearWindow     = 8 // a cue and its means: "bought ... pills", either order
	manyWindow     = 3 // a count before its means: "30 of my pills"
	atPlaceWindow  = 5 // where one is and the place after it: "I'm on top of the car park"
	negationGap    = 3 // a negation and its term, fillers only between
	voidGap        = 2 // a void cue and its negation
	historyGapPast = 4 // a term and a past cue after it: "... when I was 15"
	// historyGapBefore: a past cue before a term, in its sentence: "ten
	// years ago I tried to ...".
	historyGapBefore = 6
	personWindow     = 6  // a pronoun cue before a term
	scopeWindow      = 12 // a media or hypothetical cue and a term of its sentence
	// maxHits and maxHitsPerTerm bound the work one message can cause; an
	// SMS or chat message comes nowhere near them.
	maxHits        = 1024
	maxHitsPerTerm = 8
)

// Match is one lexicon term found in a message.
type Match struct {
	// Term is the lexicon's canonical phrase, never the client's own words.
	Term string `json:"term"`
	// Category is the signal the term raised, or the modifier it is
	// (negation, past, third_party, idiom, ...).
	Category string `json:"category"`
	Language string `json:"language"`
	// Weight is 1 for a term whose signal counted, 0.5 for one found but
	// held (negated, past, about someone else), 0 for a modifier.
	Weight float64 `json:"weight"`
	// Start and End are byte offsets of the matched words in the original
	// text (End exclusive); they fall on rune boundaries.
	Start int `json:"start"`
	End   int `json:"end"`
	// Kind is the signal's sub-kind ("acquired", "grooming"); Means is
	// what a method's means is ("doses", "heights").
	Kind  string `json:"kind,omitempty"`
	Means string `json:"means,omitempty"`
}

// Verdict is the classifier's explainable decision on one message.
type Verdict struct {
	Risk Risk `json:"risk"`
	// Score is the number of signals raised.
	Score float64 `json:"score"`
	// Matches are the terms that raised signals and the modifiers that
	// changed how they counted, in text order; nil when there are none.
	Matches        []Match `json:"matches"`
	LexiconVersion string  `json:"lexicon_version"`
	// Rule is the named rule that decided the risk (see rules.go).
	Rule string `json:"rule"`
	// Signals are the signals raised about the writer, now, in the
	// guide's order; Held are those found but negated, in the past, about
	// someone else, or in a story or the news.
	Signals []string `json:"signals,omitempty"`
	Held    []string `json:"held,omitempty"`
	// Context is set when the conversation's recent messages changed the
	// verdict (see ClassifyIn); Earlier then lists the earlier messages'
	// signals the rule fired with (never their words), and "model"
	// (RuleModel) when a crisis carried on (crisis_ongoing) was raised by
	// the learned model.
	Context      bool     `json:"context,omitempty"`
	Earlier      []string `json:"earlier,omitempty"`
	RulesVersion string   `json:"rules_version"`
	// ModelVersion names the learned model that read the message (see
	// model.go), empty for a classifier without one.
	ModelVersion string `json:"model_version,omitempty"`
}

// Options configure how a message is read with its conversation.
type Options struct {
	// RepeatWindow: a second elevated message about the writer within it
	// of another is a crisis (rule repeated_elevated).
	RepeatWindow time.Duration
	// ContextWindow: how long a message's signals count towards later
	// messages ("I've got them here" after "I want to die").
	ContextWindow time.Duration
}

// DefaultOptions are 30 minutes to repeat and two hours of context.
func DefaultOptions() Options {
	return Options{RepeatWindow: 30 * time.Minute, ContextWindow: 2 * time.Hour}
}

// Validate reports what is wrong with o.
func (o Options) Validate() error {
	var errs []error
	if o.RepeatWindow <= 0 || o.RepeatWindow > RecentMaxAge {
		errs = append(errs, fmt.Errorf("repeat window %s: want above 0 and at most %s", o.RepeatWindow, RecentMaxAge))
	}
	if o.ContextWindow <= 0 || o.ContextWindow > RecentMaxAge {
		errs = append(errs, fmt.Errorf("context window %s: want above 0 and at most %s", o.ContextWindow, RecentMaxAge))
	}
	return errors.Join(errs...)
}

// Classifier classifies messages against a compiled lexicon. It is safe
// for concurrent use; each call borrows scratch buffers from a pool, so a
// message that raises no signal is classified without allocating.
type Classifier struct {
	c       *compiled
	version string
	opts    Options
	pool    sync.Pool
	model   *model // nil: the rules alone
}

// NewClassifier compiles l with DefaultOptions. A nil lexicon gives a
// classifier that finds nothing.
func NewClassifier(l *Lexicon) *Classifier {
	cl, _ := NewClassifierWithOptions(l, DefaultOptions())
	return cl
}

// NewClassifierWithOptions compiles l with o.
func NewClassifierWithOptions(l *Lexicon, o Options) (*Classifier, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("classifier options: %w", err)
	}
	if l == nil {
		l = &Lexicon{}
	}
	cl := &Classifier{c: compile(l), version: l.Version(), opts: o, model: l.model}
	cl.pool.New = func() any {
		sc := &scratch{count: make([]uint8, len(cl.c.terms))}
		sc.n[0].vocab, sc.n[1].vocab = cl.c.vocab, cl.c.vocab
		sc.n[1].join = true
		return sc
	}
	return cl, nil
}

// Version returns the lexicon version verdicts record.
func (cl *Classifier) Version() string { return cl.version }

// hit is one match found during a classification, in the coordinates of
// the normalised text of its pass (ns, ne; words ws to we) and of the
// original (os, oe).
type hit struct {
	term    int32
	partner int32 // the means a near cue counted with, or -1
	kind    termKind
	cue     cueClass // a cue word's class (tkCue)
	pass    uint8
	person  person
	flags   uint16
	ns, ne  int32
	ws, we  int32
	os, oe  int32
}

const (
	hitDropped   uint16 = 1 << iota // hidden by an idiom or inside a longer term
	hitUnmet                        // a near or with condition not met
	hitNegated                      // a negation cue governs it
	hitPast                         // a past cue puts it in the past
	hitHidden                       // in a story or the news
	hitEvidence                     // a cue or idiom that changed another hit
	hitCounted                      // its signal counted (raised)
	hitHeld                         // found but held (negated, past, third party, hidden)
	hitUnlisted                     // not reported in the verdict's matches
	hitSynthetic                    // raised by a cue rule (cues.go)
	hitQualified = hitNegated | hitPast | hitHidden
	hitOut       = hitDropped | hitUnmet
)

// scratch is one classification's working memory, reused through the pool.
type scratch struct {
	n       [2]normaliser
	hits    []hit
	cues    []cueSet // per hit: the cue classes it stands for (cues.go)
	count   []uint8  // per term: occurrences so far
	touched []int32
	idx     []int32 // a step's own list of hit indices
	cued    []int32 // cooccur's hits with a cue class
	// langs[l] counts the hits collect found of a term of language l
	// (termLang): those language reads (synthetic hits, added later,
	// are not counted).
	langs [8]int32
	scope []int32 // qualify's media and hypothetical cues
	// kinds: bit k set, a hit of termKind k was found; and the bits
	// above them (termBits) that say a hit of some kind of term was.
	kinds uint32
	// lang is the message's language, as qualify read it (language):
	// the hits added after it are synthetic, which it does not count.
	lang string
	ms   matchScratch
	f    facts
	// text is the message being classified (quotation marks are read
	// in it: quotedOther); cleared when the scratch is put back. quotes:
	// whether it may open a quotation (opensQuote), 1 or -1, once
	// quotedOther has looked; 0 before.
	text   string
	quotes int8
	// both and before: the message's facts with the earlier messages'
	// signals, and those alone (across).
	both, before facts
}

// kindsFit fails to compile when a termKind is 16 or more: scratch.kinds
// has a bit for each below kindNear.
var kindsFit = [1]struct{}{}[tkCue>>4]

// Bits of scratch.kinds above the termKinds' (termBits, whose top byte
// is the term's language): a hit was found of a signal term with a near
// condition (near reads nothing without one), of a report cue (reported
// reads nothing without one), of a signal term naming a means (without
// one, no near condition is met).
const (
	kindNear uint32 = 1 << (16 + iota)
	kindReport
	kindMeans
)

// Classify returns the verdict on text read alone. It is deterministic for
// a given lexicon and rules version.
func (cl *Classifier) Classify(text string) Verdict {
	return cl.ClassifyIn(text, Recent{}, time.Time{})
}

// ClassifyIn returns the verdict on text read with its conversation's
// recent verdicts, at now: the message rules also read the signals of the
// messages within Options.ContextWindow (a means after ideation is a
// crisis, see across), and a second elevated message within the repeat
// window is a crisis. It is deterministic for given arguments.
func (cl *Classifier) ClassifyIn(text string, recent Recent, now time.Time) Verdict {
	sc := cl.pool.Get().(*scratch)
	sc.hits, sc.kinds, sc.text, sc.langs = sc.hits[:0], 0, text, [8]int32{}
	sc.n[0].run(text)
	cl.collect(sc, 0)
	// Second pass, only when the text has a run of three or more single
	// letters or letters glued by dots and dashes: the same text with
	// those joined into words, so "k i l l  m y s e l f" and "sui-cide" are
	// found without losing "i m a mess".
	if sc.n[0].spaced {
		sc.n[1].run(text)
		cl.collect(sc, 1)
	}
	var v Verdict
	// Cue words alone ("now", "my son") decide nothing unless a cue rule
	// can fire on them.
	conv := cl.conversation(recent, now)
	// A conversation in crisis reads every message through (see ongoing).
	if !conv.ongoing && sc.kinds&(1<<tkSignal) == 0 && (sc.kinds&(1<<tkCue) == 0 || !cl.cuesMayFire(sc, conv.signals)) {
		v = Verdict{Risk: RiskNone, LexiconVersion: cl.version, Rule: RuleNoMatch, RulesVersion: RulesVersion}
	} else {
		v = cl.decide(sc, conv)
	}
	if cl.model != nil {
		v.ModelVersion = ModelVersion
		if v.Risk != RiskCrisis {
			v = cl.raise(sc, v)
		}
	}
	for _, t := range sc.touched {
		sc.count[t] = 0
	}
	sc.touched = sc.touched[:0]
	sc.text = ""
	cl.pool.Put(sc)
	return v
}

// collect runs the word matcher over one pass's normalised text.
func (cl *Classifier) collect(sc *scratch, pass uint8) {
	c := cl.c
	n := &sc.n[pass]
	buf := n.buf
	c.m.scan(buf, &sc.ms, func(_ int32, pats patRun, at int, ws, we int32) {
		// The patterns end at the same byte over the same words.
		from, to := n.spans[ws].start, n.spans[we].end
		count := sc.count
	patterns:
		for ; len(pats) >= patWords; pats = pats[patWords:] {
			t := pats.term()
			if int(t) >= len(count) || count[t] >= maxHitsPerTerm || len(sc.hits) >= maxHits {
				continue
			}
			// The same term over the same words (two of its patterns) is
			// one hit; a term not yet counted has none to compare with.
			if count[t] == 0 {
				sc.touched = append(sc.touched, t)
			} else {
				for i := range sc.hits {
					if o := &sc.hits[i]; o.term == t && o.pass == pass && o.os == from && o.oe == to {
						continue patterns
					}
				}
			}
			count[t]++
			first, last := at-pats.bytes()+2, at-1
			if pats.prefix() {
				for last = at; last+1 < len(buf) && buf[last+1] != ' '; last++ {
				}
			}
			kind := pats.kind()
			sc.hits = append(sc.hits, hit{term: t, partner: -1, kind: kind, cue: pats.cue(), pass: pass, ns: int32(first), ne: int32(last + 1),
				ws: ws, we: we, os: from, oe: to})
			// The bit of its kind (every termKind is below 16: kindsFit)
			// and more; its language, numbered from 1 in the top byte.
			tb := c.termBits[t]
			sc.kinds |= tb
			if l := int(tb>>24) - 1; l >= 0 && l < len(sc.langs) {
				sc.langs[l]++
			}
		}
	})
}

// wordAt returns the index of the word that byte i of buf is in.
func (n *normaliser) wordAt(i int32) int32 {
	return int32(sort.Search(len(n.words), func(k int) bool { return n.words[k] > i })) - 1
}

// sentenceOf returns the sentence of word w.
func (n *normaliser) sentenceOf(w int32) uint16 {
	if w < 0 || int(w) >= len(n.sents) {
		return 0
	}
	return n.sents[w]
}
