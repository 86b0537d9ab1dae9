package lexicon

import (
	"slices"
	"strings"
)

// placeholderNumber in a phrase stands for any number ("gave me {n}"),
// placeholderYear for a year only ("in {y}": four digits from 1900 to
// 2099).
const (
	placeholderNumber = "{n}"
	placeholderYear   = "{y}"
)

// termKind says what a term does in the rules.
type termKind uint8

const (
	tkSignal       termKind = iota // raises a signal
	tkSelf                         // the writer: "i", "my"
	tkThird                        // someone else: "my friend", "she"
	tkNegation                     // negates the term right after it
	tkVoid                         // cancels the negation right after it
	tkPast                         // puts the term next to it in the past
	tkResolved                     // the past is over: "i'm fine now"
	tkTime                         // an imminent time frame: "tonight"
	tkSoon                         // a near time frame: "today", "tomorrow"
	tkMedical                      // everyday medicine: "for my headache"
	tkHypothetical                 // a story or a question: "in my novel"
	tkMedia                        // the news, a film
	tkIdiom                        // hides the terms it overlaps
	tkJoke                         // "lol", "jk"
	tkMany                         // a count of ten or more
	tkCue                          // a word of a cue class (cues.go)
)

// term is one thing the classifier can find.
type term struct {
	phrase   string
	category string // the signal's or the modifier's name
	language string
	kind     termKind
	r        resolved // for tkSignal
	action   bool
	many     bool
	cue      cueClass // for tkCue
}

// pattern priorities: where two patterns are the same bytes, an explicit
// phrase wins over a joined form, which wins over a misspelling.
const (
	prioExplicit = iota
	prioJoined
	prioFuzzy
)

// compiled is the matcher built from a lexicon.
type compiled struct {
	terms      []term
	m          *matcher
	patterns   []string // by pattern id, for the tests
	negFillers map[string]bool
	vocab      *vocabulary
	// cueFirst[l][r] is the first synthetic term of cue rule r in the
	// language numbered cueLang[code].
	cueFirst [][]int32
	cueLang  map[string]int
	// termLang[t] is cueLang[terms[t].language], or -1 where the map has
	// no such language; langCode[l] is the language numbered l.
	termLang []int8
	langCode []string
	// termBits[t] is the bit of term t's kind in scratch.kinds, with
	// kindNear, kindReport or kindMeans when it is such a term, and in its top byte
	// termLang[t]+1: collect reads both in one load.
	termBits []uint32
	// termCues[t] are the cue classes term t's hits stand for.
	termCues []cueSet
}

// patInfo is what the classifier reads of a pattern when it matches: the
// matcher keeps it beside the pattern's trie node and hands it over with
// the match, so a match costs no look-up.
type patInfo struct {
	term   int32
	len    int32 // in bytes, padding spaces included
	prefix bool  // the pattern ends in the middle of a word
	kind   termKind
	cue    cueClass // the term's cue class (tkCue)
}

// patternInfo is what a match of normalised pattern f of term t (already
// in c.terms) reports.
func (c *compiled) patternInfo(f string, t int32) patInfo {
	return patInfo{term: t, len: int32(len(f)), prefix: !strings.HasSuffix(f, " "), kind: c.terms[t].kind, cue: c.terms[t].cue}
}

type candidate struct {
	term int32
	prio int
}

func compile(l *Lexicon) *compiled {
	c := &compiled{negFillers: map[string]bool{}}
	cands := map[string]candidate{}
	var order []string
	add := func(form string, t int32, prio int) {
		if prev, ok := cands[form]; ok && prev.prio <= prio {
			return
		} else if !ok {
			order = append(order, form)
		}
		cands[form] = candidate{t, prio}
	}
	addPhrase := func(ph string, t int32, derived bool) {
		for _, f := range phraseForms(ph) {
			add(f, t, prioExplicit)
		}
		if !derived {
			return
		}
		if j := joinedForm(ph); j != "" {
			add(j, t, prioJoined)
		}
	}
	// A texting spelling gives way to any phrase written out, as a
	// joined form does.
	addTexting := func(ph string, t int32) {
		for _, f := range phraseForms(ph) {
			add(f, t, prioJoined)
		}
	}
	var words []string
	for _, p := range l.parts {
		selfWords := map[string]bool{}
		for _, w := range p.Modifiers.Self {
			for _, f := range strings.Fields(Normalise(w)) {
				selfWords[f] = true
			}
		}
		for _, e := range p.Entries {
			r, _ := e.resolve() // validated by Parse
			id := int32(len(c.terms))
			c.terms = append(c.terms, term{phrase: e.Phrase, category: signalNames[r.signal], language: p.Language,
				kind: tkSignal, r: r, action: e.Action, many: e.Many})
			// A writer's ideation ("kill myself") has variants that say
			// no one ("end it", "walk into traffic"): those read their
			// person from the words around them, as any term, so "she
			// wants to end it" is someone else's. (A note "for him to
			// find" stays the writer's whoever it names.)
			unmarked := int32(-1)
			for _, ph := range append([]string{e.Phrase}, e.Variants...) {
				tid := id
				for _, f := range textingForms(ph, p.Texting) {
					addTexting(f, tid)
				}
				if r.person == personSelf && r.signal == sigIdeation && !saysSelf(ph, selfWords) {
					if unmarked < 0 {
						unmarked = int32(len(c.terms))
						u := c.terms[id]
						u.r.person = personUnknown
						c.terms = append(c.terms, u)
					}
					tid = unmarked
				}
				addPhrase(ph, tid, true)
				for _, f := range phraseForms(ph) {
					words = append(words, strings.Fields(f)...)
				}
				// A climbed form gives way to a phrase written out. Only
				// ideation climbs: a method's climbed form would swallow
				// the wish before it ("me QUIERO tirar").
				for _, c := range climbed(p.Language, ph, r.signal) {
					for _, f := range phraseForms(c) {
						add(f, tid, prioJoined)
					}
				}
			}
			// Misspellings of the canonical phrase only: of every variant
			// they would multiply the patterns several times over.
			if e.Fuzzy {
				for _, f := range fuzzyForms(e.Phrase) {
					add(f, id, prioFuzzy)
				}
			}
		}
		for _, list := range p.modifierLists() {
			for _, ph := range list.phrases {
				id := int32(len(c.terms))
				c.terms = append(c.terms, term{phrase: ph, category: list.name, language: p.Language, kind: list.kind})
				addPhrase(ph, id, false)
				for _, f := range textingForms(ph, p.Texting) {
					addTexting(f, id)
				}
			}
		}
		for _, w := range p.Modifiers.NegationFillers {
			c.negFillers[Normalise(w)] = true
		}
	}
	// Numerals of ten or more are counts in every language.
	id := int32(len(c.terms))
	c.terms = append(c.terms, term{phrase: placeholderNumber, category: "many", kind: tkMany})
	add(" "+numMany+" ", id, prioExplicit)
	// A year is a number of many too.
	add(" "+numYear+" ", id, prioExplicit)

	pats := make([]string, 0, len(order))
	var info []patInfo
	for _, f := range order {
		pats = append(pats, f)
		info = append(info, c.patternInfo(f, cands[f].term))
	}
	// Cue words are patterns of their own: a word can be a lexicon term
	// and a cue ("pills"), and both are reported.
	for _, p := range l.parts {
		seen := map[string]bool{}
		for _, list := range p.Cues.lists() {
			for _, ph := range list.phrases {
				id := int32(len(c.terms))
				c.terms = append(c.terms, term{phrase: ph, category: "cue_" + cueNames[list.class], language: p.Language,
					kind: tkCue, cue: list.class})
				for _, f := range phraseForms(ph) {
					if key := cueNames[list.class] + "|" + f; !seen[key] {
						seen[key] = true
						pats = append(pats, f)
						info = append(info, c.patternInfo(f, id))
					}
				}
				for _, t := range textingForms(ph, p.Texting) {
					for _, f := range phraseForms(t) {
						if key := cueNames[list.class] + "|" + f; !seen[key] {
							seen[key] = true
							pats = append(pats, f)
							info = append(info, c.patternInfo(f, id))
						}
					}
				}
			}
		}
	}
	// Synthetic terms of the cue rules, per language; index 0 stands for
	// a rule fired by language-less hits (numerals) and is the first
	// language's.
	c.cueLang = map[string]int{}
	for i, p := range l.parts {
		syn, first := cueTerms(p.Language)
		for k := range first {
			first[k] += int32(len(c.terms))
		}
		c.cueFirst = append(c.cueFirst, first)
		c.cueLang[p.Language] = i
		c.terms = append(c.terms, syn...)
	}
	if len(c.cueFirst) == 0 {
		syn, first := cueTerms("")
		for k := range first {
			first[k] += int32(len(c.terms))
		}
		c.cueFirst = append(c.cueFirst, first)
		c.terms = append(c.terms, syn...)
	}
	c.langCode = make([]string, len(l.parts))
	for code, i := range c.cueLang {
		c.langCode[i] = code
	}
	c.termLang = make([]int8, len(c.terms))
	for t := range c.terms {
		c.termLang[t] = -1
		if i, ok := c.cueLang[c.terms[t].language]; ok && i < 128 {
			c.termLang[t] = int8(i)
		}
	}
	c.termBits = make([]uint32, len(c.terms))
	for t := range c.terms {
		tt := &c.terms[t]
		c.termBits[t] = 1 << (tt.kind & 15)
		if tt.kind == tkSignal && tt.r.near != 0 {
			c.termBits[t] |= kindNear
		}
		if tt.kind == tkCue && tt.cue == cueReport {
			c.termBits[t] |= kindReport
		}
		if tt.kind == tkSignal && tt.r.means != meansNone {
			c.termBits[t] |= kindMeans
		}
		c.termBits[t] |= uint32(uint8(c.termLang[t]+1)) << 24
	}
	c.termCues = make([]cueSet, len(c.terms))
	for t := range c.terms {
		c.termCues[t] = termCues(&c.terms[t])
	}
	m, renumbered := newMatcher(pats, info)
	c.m = m
	c.patterns = make([]string, len(renumbered))
	for i, p := range renumbered {
		c.patterns[i] = pats[p]
	}
	c.vocab = newVocabulary(words)
	return c
}

// textingForms returns phrase ph (of two words or more) as clients text
// it: with each texting word of its language replaced by each of its
// spellings ("ya sabes para que" as "ya sabes pa que"), and with every
// texting word replaced by its first spelling at once. A phrase of one
// word has none: "pa" alone is French's "pas" as much as Spanish's
// "para".
func textingForms(ph string, texting map[string][]string) []string {
	if len(texting) == 0 {
		return nil
	}
	words := strings.Fields(strings.ToLower(ph))
	if len(words) < 2 {
		return nil
	}
	padded := " " + strings.Join(words, " ") + " "
	var out []string
	all := padded
	keys := make([]string, 0, len(texting))
	for k := range texting {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	hits := 0
	for _, k := range keys {
		from := " " + k + " "
		if !strings.Contains(padded, from) {
			continue
		}
		hits++
		for _, alt := range texting[k] {
			if f := strings.TrimSpace(replaceWords(padded, from, " "+alt+" ")); !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
		all = replaceWords(all, from, " "+texting[k][0]+" ")
	}
	if f := strings.TrimSpace(all); hits > 1 && !slices.Contains(out, f) {
		out = append(out, f)
	}
	return out
}

// replaceWords replaces every from (a space-padded word or words) in
// padded, including occurrences that share a space ("para para").
func replaceWords(padded, from, to string) string {
	return strings.ReplaceAll(strings.ReplaceAll(padded, from, to), from, to)
}

// contractions are English words often typed without their apostrophe; a
// phrase that has one also matches the form with the apostrophe, which
// the normaliser splits ("cant" also matches "can't", read "can t").
var contractions = strings.NewReplacer(" cant ", " can't ", " dont ", " don't ", " wont ", " won't ", " didnt ", " didn't ",
	" doesnt ", " doesn't ", " isnt ", " isn't ", " wasnt ", " wasn't ", " havent ", " haven't ", " hasnt ", " hasn't ",
	" wouldnt ", " wouldn't ", " couldnt ", " couldn't ", " im ", " i'm ", " ive ", " i've ", " youre ", " you're ",
	" theyre ", " they're ", " thats ", " that's ", " whats ", " what's ", " wasnt ", " wasn't ")

// phraseForms returns the normalised patterns a phrase stands for: " a b "
// padded with spaces (no trailing space for a prefix), one per number token
// for each {n}, again without apostrophes ("don't" is also "dont"), and
// with the apostrophe of an English contraction typed without one.
func phraseForms(ph string) []string {
	raws := []string{ph}
	if c := strings.TrimSpace(contractions.Replace(" " + strings.Join(strings.Fields(ph), "  ") + " ")); c != ph {
		raws = append(raws, c)
	}
	if strings.ContainsAny(ph, "'’") {
		raws = append(raws, strings.NewReplacer("'", "", "’", "").Replace(ph))
	}
	var out []string
	for _, raw := range raws {
		for _, f := range expand(strings.Fields(raw)) {
			if f != "" && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func expand(words []string) []string {
	if len(words) == 0 {
		return nil
	}
	prefix := false
	forms := []string{""}
	for i, w := range words {
		var opts []string
		switch {
		case w == placeholderNumber:
			opts = []string{numSmall, numFew, numMany, numYear}
		case w == placeholderYear:
			opts = []string{numYear}
		case i == len(words)-1 && strings.HasSuffix(w, "*"):
			prefix = true
			opts = []string{Normalise(strings.TrimSuffix(w, "*"))}
		default:
			opts = []string{Normalise(w)}
		}
		if opts[0] == "" {
			continue
		}
		var grown []string
		for _, f := range forms {
			for _, o := range opts {
				grown = append(grown, f+" "+o)
			}
		}
		forms = grown
	}
	if forms[0] == "" {
		return nil
	}
	for i := range forms {
		if !prefix {
			forms[i] += " "
		}
	}
	return forms
}

// maxJoined bounds the length of a joined form, in bytes.
const maxJoined = 14

// joinedForm returns the phrase written as one word, as a run of spaced-out
// letters or a hashtag reads ("k i l l m y s e l f", "#killmyself"), or ""
// where that would be too short to be safe or the phrase has a placeholder
// or prefix.
func joinedForm(ph string) string {
	if strings.ContainsAny(ph, "*{") {
		return ""
	}
	words := strings.Fields(strings.NewReplacer("'", "", "’", "").Replace(ph))
	if len(words) < 2 {
		return ""
	}
	// Only short phrases are spelled out letter by letter ("k i l l m y
	// s e l f"); joined forms of long ones would triple the patterns.
	j := Normalise(strings.Join(words, ""))
	if len(j) < 6 || len(j) > maxJoined || len(words) > 3 || strings.Contains(j, " ") {
		return ""
	}
	return " " + j + " "
}

// fuzzyForms returns the phrase with one common misspelling in one of its
// long words (six letters or more once normalised): a letter dropped, two
// neighbours swapped, a vowel written as another vowel, or a sound-alike
// consonant (c/k/s/z). "suicide" yields "sucide", "suicdie", "suicede",
// "suiside". Insertions are left out: they would treble the patterns for
// little gain, and doubled letters already collapse.
func fuzzyForms(ph string) []string {
	if strings.ContainsAny(ph, "*{") {
		return nil
	}
	var out []string
	for _, form := range phraseForms(ph) {
		words := strings.Fields(form)
		for i, w := range words {
			if len(w) < 6 || !isASCIIWord(w) {
				continue
			}
			for _, m := range misspellings(w) {
				n := Normalise(m)
				if n == w || n == "" || strings.Contains(n, " ") {
					continue
				}
				alt := slices.Clone(words)
				alt[i] = n
				if f := " " + strings.Join(alt, " ") + " "; !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

func misspellings(w string) []string {
	const vowels = "aeiouy"
	soundAlike := map[byte]string{'c': "ks", 'k': "c", 's': "cz", 'z': "s"}
	var out []string
	for i := 0; i < len(w); i++ {
		out = append(out, w[:i]+w[i+1:])
		if i+1 < len(w) {
			out = append(out, w[:i]+string(w[i+1])+string(w[i])+w[i+2:])
		}
		subs := soundAlike[w[i]]
		if strings.IndexByte(vowels, w[i]) >= 0 {
			subs = vowels
		}
		for _, v := range subs {
			if byte(v) != w[i] {
				out = append(out, w[:i]+string(v)+w[i+1:])
			}
		}
	}
	return out
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// saysSelf reports whether a phrase names the writer: one of the
// language's self words ("myself", "me", "je"), a pronoun joined to a verb
// ("matarme", "tomármelas"), or a single word, which is a phrase of its
// own or an abbreviation ("kms", "ctb").
func saysSelf(ph string, self map[string]bool) bool {
	words := strings.Fields(Normalise(ph))
	if len(words) <= 1 {
		return true
	}
	for _, w := range words {
		if self[w] || w == "myself" || strings.Contains(w, "rme") || strings.Contains(w, "ndome") {
			return true
		}
	}
	return false
}

// climbers are the Spanish verbs a pronoun climbs before: "quiero
// matarme" is also "me quiero matar", "voy a ahorcarme" "me voy a
// ahorcar".
var climbers = []string{"voy a", "quiero", "pienso", "tengo que", "iba a", "puedo", "vaya a", "podria", "voy a ir a", "acabo de", "he intentado", "intente"}

// climbed returns the Spanish forms of a phrase with its object pronoun
// before the verb: for "ahorcarme", "me voy a ahorcar", "me quiero
// ahorcar"...; for "quiero matarme", "me quiero matar". Other languages,
// and signals other than ideation, have none.
func climbed(lang, ph string, sig signal) []string {
	if lang != "es" || sig != sigIdeation {
		return nil
	}
	words := strings.Fields(ph)
	last := words[len(words)-1]
	if !strings.HasSuffix(last, "rme") || len(last) < 6 || strings.ContainsAny(last, "*{") {
		return nil
	}
	inf := strings.TrimSuffix(last, "me")
	if len(words) == 1 {
		out := make([]string, 0, len(climbers))
		for _, c := range climbers {
			out = append(out, "me "+c+" "+inf)
		}
		return out
	}
	head := strings.Join(words[:len(words)-1], " ")
	if slices.Contains(climbers, head) {
		return []string{"me " + head + " " + inf}
	}
	return nil
}
