package lexicon

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every error Parse and Merge return for a lexicon
// that can't be used.
var ErrInvalid = errors.New("invalid lexicon")

// Lexicon is a parsed, validated set of per-language term lists. It is
// immutable once built.
type Lexicon struct {
	parts []part // one per language, sorted by language
	// model is the learned second opinion (model.go), nil unless
	// WithModel added it.
	model *model
}

// part is one language's lexicon: one YAML file.
type part struct {
	Language string `yaml:"language"`
	Version  string `yaml:"version"`
	// Entries are the terms that raise signals.
	Entries []entry `yaml:"entries"`
	// Modifiers are the cues that change what a signal means.
	Modifiers modifiers `yaml:"modifiers"`
	// Cues are word-level cue classes, combined by the cue rules
	// (cues.go).
	Cues cueLists `yaml:"cues"`
	// Texting are the language's texting spellings of its words: a
	// word or two ("para", "je vais") and how clients type them ("pa",
	// "jvais"). Every phrase of two words or more is also matched with
	// them (textingForms).
	Texting map[string][]string `yaml:"texting"`
}

// modifiers are one language's cue lists.
type modifiers struct {
	// Self and ThirdParty are whom a signal is about: the nearest cue
	// before a signal's term decides ("my friend ... wants to die").
	Self       []string `yaml:"self"`
	ThirdParty []string `yaml:"third_party"`
	// Negation cues negate the term right after them, with at most three
	// NegationFillers between ("not GOING TO"); NegationVoids cancel a
	// negation right after them ("can't promise I won't").
	Negation        []string `yaml:"negation"`
	NegationFillers []string `yaml:"negation_fillers"`
	NegationVoids   []string `yaml:"negation_voids"`
	// Past puts the term next to it in the past ("when I was 15");
	// Resolved says the past is over ("I'm fine now").
	Past     []string `yaml:"past"`
	Resolved []string `yaml:"resolved"`
	// Time is an imminent time frame ("tonight") that makes a method or an
	// intent a crisis; Soon ("today", "tomorrow") does for an intent only.
	Time []string `yaml:"time"`
	Soon []string `yaml:"soon"`
	// Medical cues say a medicine is for everyday use ("for my
	// headache", "from the doctor"): they hide the named, acquired or
	// researched method of their sentence.
	Medical []string `yaml:"medical"`
	// Hypothetical and Media put the terms of their sentence in a story,
	// a question or the news, unless the writer says they are about
	// themselves.
	Hypothetical []string `yaml:"hypothetical"`
	Media        []string `yaml:"media"`
	// Idioms hide the terms they overlap ("this exam is killing me").
	Idioms []string `yaml:"idioms"`
	// Joke markers ("lol", "jk") hold ideation alone at elevated.
	Joke []string `yaml:"joke"`
	// Many are counts of ten or more ("all my", "a whole box of");
	// numerals are built in.
	Many []string `yaml:"many"`
}

// entry is one term that raises a signal.
type entry struct {
	// Phrase is the canonical term, reported in matches instead of the
	// client's own words. A trailing "*" matches any word it begins
	// ("overdos*"); "{n}" stands for any number, "{y}" for a year.
	Phrase   string   `yaml:"phrase"`
	Variants []string `yaml:"variants"`
	Signal   string   `yaml:"signal"`
	// Kind is the signal's sub-kind (see signals.go); empty is the
	// signal's default.
	Kind string `yaml:"kind"`
	// Means is what a method term names: doses, heights, ligature,
	// weapon, traffic, drowning, other. Action marks a means written as
	// the act ("jump off", "hang").
	Means  string `yaml:"means"`
	Action bool   `yaml:"action"`
	// Person fixes whom the term is about ("kill myself": self, "wants to
	// die": third); empty leaves it to the cues around it.
	Person string `yaml:"person"`
	// Near makes the term count only with a means of these kinds ("any",
	// "action" or a means kind) within a few words, in either order:
	// "bought" counts next to "pills". Many also needs a count of ten or
	// more before that means ("took 30 pills").
	Near []string `yaml:"near"`
	Many bool     `yaml:"many"`
	// With makes the term count only when one of these signals is raised
	// in the message or in the conversation's recent messages ("I've got
	// them here" after "I want to die").
	With []string `yaml:"with"`
	// Fuzzy also matches common one-letter misspellings of its long words.
	Fuzzy bool `yaml:"fuzzy"`
}

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

//go:embed data/*.yaml data/generated/*.yaml
var shipped embed.FS

// Default returns the shipped lexicons of every language, merged. Its
// classifier decides by the rules alone; WithModel adds the learned model.
func Default() (*Lexicon, error) {
	return FromFS(shipped, "data")
}

// WithModel returns l with the shipped learned model beside its rules
// (model.go): a classifier of it may raise a message to crisis by the
// model, and records ModelVersion on every verdict.
func (l *Lexicon) WithModel() (*Lexicon, error) {
	m, err := parseModel(shippedModel)
	if err != nil {
		return nil, err
	}
	out := *l
	out.model = m
	return &out, nil
}

// WithoutModel returns l without a learned model: a classifier of it
// decides by the rules alone.
func (l *Lexicon) WithoutModel() *Lexicon {
	if l == nil {
		return nil
	}
	out := *l
	out.model = nil
	return &out
}

// FromFS reads every *.yaml file in dir of fsys as one language's lexicon
// and merges them.
func FromFS(fsys fs.FS, dir string) (*Lexicon, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list lexicons: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no *.yaml files in %s", ErrInvalid, dir)
	}
	ls := make([]*Lexicon, 0, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		l, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		if err := l.addGenerated(fsys, path.Join(dir, "generated", path.Base(name))); err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return Merge(ls...)
}

// generated is a cue vocabulary generated from lexical resources
// (data/generated/<lang>.yaml, written by testdata/tools/genvocab): more
// words of the language's cue classes, with no rule of their own.
type generated struct {
	Language string   `yaml:"language"`
	Cues     cueLists `yaml:"cues"`
}

// addGenerated adds the cue words of the generated vocabulary at name, if
// there is one, to the one language of l.
func (l *Lexicon) addGenerated(fsys fs.FS, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	var g generated
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		return fmt.Errorf("%s: %w: %w", path.Base(name), ErrInvalid, err)
	}
	p := &l.parts[0]
	if g.Language != p.Language {
		return fmt.Errorf("%s: %w: language %q, want %q", name, ErrInvalid, g.Language, p.Language)
	}
	if err := g.Cues.validate(); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrInvalid, err)
	}
	if p.Cues == nil {
		p.Cues = cueLists{}
	}
	for class, words := range g.Cues {
		p.Cues[class] = append(slices.Clip(p.Cues[class]), words...)
	}
	return nil
}

// Parse reads one language's lexicon from YAML and validates it. Errors
// name the bad entry by number and phrase.
func Parse(data []byte) (*Lexicon, error) {
	var p part
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty document", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &Lexicon{parts: []part{p}}, nil
}

// Merge combines lexicons of different languages into one. The result is
// the same whatever the order of ls: languages are kept sorted, and where
// two languages spell a term identically the first language in that order
// reports it.
func Merge(ls ...*Lexicon) (*Lexicon, error) {
	var m Lexicon
	for _, l := range ls {
		if l == nil {
			continue
		}
		for _, p := range l.parts {
			if slices.ContainsFunc(m.parts, func(q part) bool { return q.Language == p.Language }) {
				return nil, fmt.Errorf("%w: language %q given twice", ErrInvalid, p.Language)
			}
			m.parts = append(m.parts, p)
		}
	}
	slices.SortFunc(m.parts, func(a, b part) int { return strings.Compare(a.Language, b.Language) })
	return &m, nil
}

// Version returns the combined version of the lexicon's languages, as
// "en-2026.12.1+es-2026.12.1+fr-2026.12.1". A verdict is reproducible from
// its text, this version and RulesVersion.
func (l *Lexicon) Version() string {
	var b strings.Builder
	for i, p := range l.parts {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(p.Language + "-" + p.Version)
	}
	return b.String()
}

// Languages returns the lexicon's language codes, sorted.
func (l *Lexicon) Languages() []string {
	out := make([]string, len(l.parts))
	for i, p := range l.parts {
		out[i] = p.Language
	}
	return out
}

// modifierList is one cue list: its YAML key, the category its matches
// report and the kind of term it compiles to.
type modifierList struct {
	key, name string
	kind      termKind
	phrases   []string
}

// modifierLists returns the part's cue lists, in a fixed order.
func (p *part) modifierLists() []modifierList {
	m := &p.Modifiers
	return []modifierList{
		{"self", ModifierSelf, tkSelf, m.Self}, {"third_party", ModifierThirdParty, tkThird, m.ThirdParty},
		{"negation", ModifierNegation, tkNegation, m.Negation}, {"negation_voids", ModifierNegation, tkVoid, m.NegationVoids},
		{"past", ModifierPast, tkPast, m.Past}, {"resolved", ModifierResolved, tkResolved, m.Resolved},
		{"time", ModifierTime, tkTime, m.Time}, {"soon", ModifierTime, tkSoon, m.Soon},
		{"medical", ModifierMedical, tkMedical, m.Medical}, {"hypothetical", ModifierHypothetical, tkHypothetical, m.Hypothetical},
		{"media", ModifierMedia, tkMedia, m.Media}, {"idioms", ModifierIdiom, tkIdiom, m.Idioms},
		{"joke", ModifierJoke, tkJoke, m.Joke}, {"many", "many", tkMany, m.Many},
	}
}

func (p *part) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: lexicon %q: %s", ErrInvalid, p.Language, fmt.Sprintf(format, args...))
	}
	if !languageCode.MatchString(p.Language) {
		return bad("language: want a lowercase ISO 639 code like \"en\"")
	}
	if strings.TrimSpace(p.Version) == "" || strings.ContainsAny(p.Version, "+ \t\n") {
		return bad("version %q: want a non-empty version without spaces or '+'", p.Version)
	}
	if len(p.Entries) == 0 {
		return bad("entries: none given")
	}
	seen := map[string]string{} // normalised phrase → where it was given
	claim := func(where, phrase string) error {
		for _, form := range phraseForms(phrase) {
			if prev, ok := seen[form]; ok && !strings.HasPrefix(prev, where+" (") {
				return bad("%s: %q is the same phrase as %s once normalised", where, phrase, prev)
			}
			seen[form] = fmt.Sprintf("%s (%q)", where, phrase)
		}
		return nil
	}
	for i, e := range p.Entries {
		where := fmt.Sprintf("entry %d (%q)", i+1, e.Phrase)
		if _, err := e.resolve(); err != nil {
			return bad("%s: %v", where, err)
		}
		for _, ph := range append([]string{e.Phrase}, e.Variants...) {
			if err := checkPhrase(ph); err != nil {
				return bad("%s: %v", where, err)
			}
			if err := claim(where, ph); err != nil {
				return err
			}
		}
	}
	for _, list := range p.modifierLists() {
		for _, ph := range list.phrases {
			where := "modifiers." + list.key
			if err := checkPhrase(ph); err != nil {
				return bad("%s: %v", where, err)
			}
			if err := claim(where, ph); err != nil {
				return err
			}
		}
	}
	if err := p.Cues.validate(); err != nil {
		return bad("%v", err)
	}
	for w, alts := range p.Texting {
		if Normalise(w) == "" || len(alts) == 0 {
			return bad("texting.%s: want a word and at least one spelling", w)
		}
		for _, a := range alts {
			if Normalise(a) == "" || Normalise(a) == Normalise(w) {
				return bad("texting.%s: spelling %q is empty or the word itself", w, a)
			}
		}
	}
	for _, w := range p.Modifiers.NegationFillers {
		if n := Normalise(w); n == "" || strings.Contains(n, " ") {
			return bad("modifiers.negation_fillers: %q: want one word", w)
		}
	}
	return nil
}

// resolved is an entry's meaning, checked.
type resolved struct {
	signal signal
	kind   subKind
	means  meansKind
	person person
	near   meansSet
	with   signalSet
}

// resolve checks an entry's fields and returns what they mean.
func (e *entry) resolve() (resolved, error) {
	var r resolved
	g, ok := signalByName(e.Signal)
	if !ok {
		return r, fmt.Errorf("signal %q: want one of %s", e.Signal, strings.Join(signalNames[:], ", "))
	}
	r.signal, r.kind = g, defaultKind[g]
	if e.Kind != "" {
		k := slices.IndexFunc(kindInfo[:], func(ki struct {
			name   string
			signal signal
		}) bool {
			return ki.name == e.Kind && ki.signal == g
		})
		if k <= 0 {
			return r, fmt.Errorf("kind %q is not a kind of %s", e.Kind, e.Signal)
		}
		r.kind = subKind(k)
	}
	if e.Means != "" {
		m := slices.Index(meansNames[:], e.Means)
		if m <= 0 {
			return r, fmt.Errorf("means %q: want one of %s", e.Means, strings.Join(meansNames[1:], ", "))
		}
		r.means = meansKind(m)
	}
	if g == sigMethod && r.kind == kindNamed && r.means == meansNone {
		return r, errors.New("a named method needs a means kind")
	}
	if e.Action && r.means == meansNone {
		return r, errors.New("action: only a means can be an action")
	}
	switch e.Person {
	case "":
	case "self":
		r.person = personSelf
	case "third":
		r.person = personThird
	default:
		return r, fmt.Errorf("person %q: want self or third", e.Person)
	}
	for _, n := range e.Near {
		switch m := slices.Index(meansNames[:], n); {
		case n == "any":
			r.near |= 1<<numMeans - 2
		case n == "action":
			r.near |= 1 << meansAction
		case m > 0:
			r.near |= 1 << m
		default:
			return r, fmt.Errorf("near %q: want any, action or a means kind", n)
		}
	}
	if e.Many && r.near == 0 {
		return r, errors.New("many needs near: a count counts a means")
	}
	for _, w := range e.With {
		s, ok := signalByName(w)
		if !ok {
			return r, fmt.Errorf("with %q: not a signal", w)
		}
		r.with = r.with.with(s)
	}
	return r, nil
}

// checkPhrase reports what is wrong with a phrase, if anything.
func checkPhrase(ph string) error {
	words := strings.Fields(ph)
	if len(words) == 0 {
		return errors.New("empty phrase")
	}
	for i, w := range words {
		if w == placeholderNumber || w == placeholderYear {
			continue
		}
		stem, prefix := strings.CutSuffix(w, "*")
		if strings.ContainsAny(stem, "*{}") {
			return fmt.Errorf("phrase %q: '*' only ends the last word and {n} is the only placeholder, with {y} for a year", ph)
		}
		if prefix && i != len(words)-1 {
			return fmt.Errorf("phrase %q: only the last word may end in '*'", ph)
		}
		n := Normalise(stem)
		if n == "" {
			return fmt.Errorf("phrase %q: word %q has no letters", ph, w)
		}
		if prefix && (strings.Contains(n, " ") || len(n) < 4) {
			return fmt.Errorf("phrase %q: a prefix before '*' needs one word of at least 4 letters", ph)
		}
	}
	return nil
}
