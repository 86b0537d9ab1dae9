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

// Categories of risk terms. Urgency terms ("tonight", "right now") only add
// to a score that other terms have started.
const (
	CategorySuicide         = "suicide"
	CategorySelfHarm        = "self_harm"
	CategoryOverdoseMeans   = "overdose_means"
	CategoryAbuseViolence   = "abuse_violence"
	CategorySubstanceMisuse = "substance_misuse"
	CategoryHopelessness    = "hopelessness"
	CategoryPlanning        = "planning"
	CategoryUrgency         = "urgency"
)

// Categories of the evidence matches that explain a rule; they carry weight 0.
const (
	CategoryIdiom    = "idiom"
	CategoryNegation = "negation"
	CategoryHistory  = "history"
)

var riskCategories = []string{
	CategorySuicide, CategorySelfHarm, CategoryOverdoseMeans, CategoryAbuseViolence,
	CategorySubstanceMisuse, CategoryHopelessness, CategoryPlanning, CategoryUrgency,
}

// Lexicon is a parsed, validated set of per-language term lists. It is
// immutable once built.
type Lexicon struct {
	parts []part // one per language, sorted by language
}

// part is one language's lexicon: one YAML file.
type part struct {
	Language string `yaml:"language"`
	Version  string `yaml:"version"`
	// Entries are the risk terms.
	Entries []entry `yaml:"entries"`
	// Quantities are words for counts: Many (ten or more: "twenty", "a
	// whole packet of") and Few (five to nine). Numerals are built in.
	Quantities struct {
		Many []string `yaml:"many"`
		Few  []string `yaml:"few"`
	} `yaml:"quantities"`
	// DoseFillers may stand between a quantity and what it counts ("30 OF
	// MY paracetamol").
	DoseFillers []string `yaml:"dose_fillers"`
	// Idioms are everyday phrases whose words would otherwise be risk
	// terms ("kill myself laughing"); a risk term they overlap is ignored.
	Idioms []string `yaml:"idioms"`
	// Negations are cues that negate the risk term right after them ("not
	// going to", "never"); NegationFillers may stand between the two.
	Negations       []string `yaml:"negations"`
	NegationFillers []string `yaml:"negation_fillers"`
	// NegationVoids cancel a negation that follows them ("can't promise I
	// won't").
	NegationVoids []string `yaml:"negation_voids"`
	// History are cues that put a risk term in the past ("when I was 15",
	// "years ago").
	History []string `yaml:"history"`
}

// entry is one risk term.
type entry struct {
	// Phrase is the canonical term, reported in matches instead of the
	// client's own words. A trailing "*" matches any word it begins
	// ("overdos*"); "{n}" stands for any number.
	Phrase   string   `yaml:"phrase"`
	Weight   float64  `yaml:"weight"`
	Category string   `yaml:"category"`
	Variants []string `yaml:"variants"`
	// Fuzzy also matches common one-letter misspellings of its long words.
	Fuzzy bool `yaml:"fuzzy"`
	// Countable terms are things a quantity can count: pills, named
	// medicines ("30 paracetamol").
	Countable bool `yaml:"countable"`
}

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

//go:embed data/*.yaml
var shipped embed.FS

// Default returns the shipped lexicons of every language, merged.
func Default() (*Lexicon, error) {
	names, err := fs.Glob(shipped, "data/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list shipped lexicons: %w", err)
	}
	ls := make([]*Lexicon, 0, len(names))
	for _, name := range names {
		data, err := shipped.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		l, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(name), err)
		}
		ls = append(ls, l)
	}
	return Merge(ls...)
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
// "en-2026.11.1+es-2026.11.1+fr-2026.11.1". A verdict is reproducible from
// its text and this version.
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
			if prev, ok := seen[form]; ok {
				return bad("%s: %q is the same phrase as %s once normalised", where, phrase, prev)
			}
			seen[form] = fmt.Sprintf("%s (%q)", where, phrase)
		}
		return nil
	}
	for i, e := range p.Entries {
		where := fmt.Sprintf("entry %d (%q)", i+1, e.Phrase)
		if !slices.Contains(riskCategories, e.Category) {
			return bad("%s: category %q: want one of %s", where, e.Category, strings.Join(riskCategories, ", "))
		}
		if !(e.Weight > 0 && e.Weight <= 10) {
			return bad("%s: weight %v: want a number above 0 and at most 10", where, e.Weight)
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
	lists := []struct {
		name   string
		phrase []string
	}{
		{"quantities.many", p.Quantities.Many}, {"quantities.few", p.Quantities.Few},
		{"idioms", p.Idioms}, {"negations", p.Negations}, {"negation_voids", p.NegationVoids},
		{"history", p.History},
	}
	for _, list := range lists {
		for i, ph := range list.phrase {
			where := fmt.Sprintf("%s[%d]", list.name, i)
			if err := checkPhrase(ph); err != nil {
				return bad("%s: %v", where, err)
			}
			if err := claim(where, ph); err != nil {
				return err
			}
		}
	}
	for _, words := range [][]string{p.DoseFillers, p.NegationFillers} {
		for _, w := range words {
			if n := Normalise(w); n == "" || strings.Contains(n, " ") {
				return bad("filler %q: want one word", w)
			}
		}
	}
	return nil
}

// checkPhrase reports what is wrong with a phrase, if anything.
func checkPhrase(ph string) error {
	words := strings.Fields(ph)
	if len(words) == 0 {
		return errors.New("empty phrase")
	}
	for i, w := range words {
		if w == placeholderNumber {
			continue
		}
		stem, prefix := strings.CutSuffix(w, "*")
		if strings.ContainsAny(stem, "*{}") {
			return fmt.Errorf("phrase %q: '*' only ends the last word and {n} is the only placeholder", ph)
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
