// Command genvocab writes the lexicon's generated cue vocabularies
// (data/generated/<lang>.yaml) from lexical resources rather than from the
// lexicon authors' own examples: English nouns from WordNet 3.0's hyponym
// trees (every medicine, poison, weapon, rope or tall structure WordNet
// knows), English verbs with their -s, -ed and -ing forms (irregular ones
// from WordNet's verb.exc), Spanish and French verbs with every
// conjugation their hunspell dictionaries give, and the Spanish and French
// spellings of English medicine and poison names that those dictionaries
// know. What it reads is listed in sources.yaml beside it, with the words
// a review dropped. Run it from the lexicon's directory:
//
//	apt-get install wordnet-base hunspell-es hunspell-fr-classical
//	go generate ./services/triage/lexicon
//
// It is not built with the module's packages (testdata is skipped), and
// its output is committed: CI needs neither WordNet nor hunspell.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// language is one language's sources.
type language struct {
	// Hyponyms: class → WordNet noun senses ("medicine.2": the second
	// sense of medicine); every noun under them joins the class when its
	// most frequent sense is under them too (so "club", first a society,
	// is no weapon).
	Hyponyms map[string][]string `yaml:"hyponyms"`
	// Verbs: class → phrases with one {lemma}, the lemma replaced by each
	// of its forms ("{punch} me": punches me, punched me...). {lemma:tag}
	// keeps some: "past" (English -ed or irregular past, Spanish preterite
	// and participle), "ing", or in French a tag of hunspell's rules
	// ("m'a {frapper:ppas}": the past participles).
	Verbs map[string][]string `yaml:"verbs"`
	// Nouns: class → this language's own words for what a class names
	// where WordNet has no such language ("escopeta", "poignard"), each
	// with the forms its dictionary gives (plurals), written as verbs are
	// ("{navaja}").
	Nouns map[string][]string `yaml:"nouns"`
	// FromEnglish: classes whose English single words are also taken in
	// this language's spelling where its dictionary knows the word.
	FromEnglish []string `yaml:"from_english"`
	// Drop: words a review found to raise false alarms or to mean
	// something else, never generated.
	Drop []string `yaml:"drop"`
}

type sources struct {
	WordNet  string            `yaml:"wordnet"`
	Hunspell map[string]string `yaml:"hunspell"` // language → dictionary path without .dic/.aff
	// Flags: language → the hunspell flags whose suffix rules make a
	// verb's forms; empty takes them all.
	Flags map[string]string   `yaml:"flags"`
	Langs map[string]language `yaml:"languages"`
}

func main() {
	src := flag.String("sources", "testdata/tools/genvocab/sources.yaml", "what to read")
	out := flag.String("out", "data/generated", "where to write <lang>.yaml")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genvocab:", err)
		os.Exit(1)
	}
}

func run(srcPath, outDir string) error {
	data, err := os.ReadFile(srcPath)
	if err != nil {
		return err
	}
	var s sources
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("%s: %w", srcPath, err)
	}
	wn, err := openWordNet(s.WordNet)
	if err != nil {
		return err
	}
	english := map[string][]string{}
	langs := make([]string, 0, len(s.Langs))
	for l := range s.Langs {
		langs = append(langs, l)
	}
	// English first: the other languages borrow its nouns.
	sort.Slice(langs, func(i, j int) bool { return langs[i] == "en" || langs[j] != "en" && langs[i] < langs[j] })
	for _, code := range langs {
		l := s.Langs[code]
		classes := map[string][]string{}
		for class, senses := range l.Hyponyms {
			for _, sense := range senses {
				words, err := wn.hyponyms(sense)
				if err != nil {
					return fmt.Errorf("%s hyponyms.%s: %w", code, class, err)
				}
				classes[class] = append(classes[class], words...)
			}
		}
		var dict *hunspell
		if path, ok := s.Hunspell[code]; ok {
			if dict, err = openHunspell(path); err != nil {
				return err
			}
			dict.only = s.Flags[code]
		}
		for class, templates := range mergeClasses(l.Verbs, l.Nouns) {
			for _, tpl := range templates {
				forms, err := inflect(code, tpl, wn, dict)
				if err != nil {
					return fmt.Errorf("%s %s: %w", code, class, err)
				}
				classes[class] = append(classes[class], forms...)
			}
		}
		for _, class := range l.FromEnglish {
			if dict == nil {
				return fmt.Errorf("%s from_english needs a hunspell dictionary", code)
			}
			classes[class] = append(classes[class], dict.spellings(code, english[class])...)
		}
		for class, words := range classes {
			classes[class] = clean(words, l.Drop)
		}
		if code == "en" {
			english = classes
		}
		if err := write(filepath.Join(outDir, code+".yaml"), code, classes); err != nil {
			return err
		}
	}
	return nil
}

// mergeClasses returns the templates of both maps by class.
func mergeClasses(a, b map[string][]string) map[string][]string {
	out := make(map[string][]string, len(a)+len(b))
	for _, m := range []map[string][]string{a, b} {
		for class, templates := range m {
			out[class] = append(out[class], templates...)
		}
	}
	return out
}

// clean lowercases, sorts and dedupes the words and leaves out the dropped
// ones and any a phrase check would refuse.
func clean(words, drop []string) []string {
	out := words[:0]
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if w == "" || slices.Contains(drop, w) || !strings.ContainsFunc(w, unicode.IsLetter) {
			continue
		}
		out = append(out, w)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func write(path, code string, classes map[string][]string) error {
	var b strings.Builder
	b.WriteString("# Code generated by testdata/tools/genvocab from WordNet 3.0 and hunspell; DO NOT EDIT.\n")
	b.WriteString("# Edit testdata/tools/genvocab/sources.yaml and run go generate.\n")
	fmt.Fprintf(&b, "language: %s\ncues:\n", code)
	names := make([]string, 0, len(classes))
	for c := range classes {
		names = append(names, c)
	}
	slices.Sort(names)
	for _, c := range names {
		fmt.Fprintf(&b, "  %s:\n", c)
		for _, w := range classes[c] {
			fmt.Fprintf(&b, "    - %s\n", strconv.Quote(w))
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// inflect expands a template's {lemma} into the lemma's forms.
func inflect(code, tpl string, wn *wordnet, dict *hunspell) ([]string, error) {
	i, j := strings.IndexByte(tpl, '{'), strings.IndexByte(tpl, '}')
	if i < 0 || j < i {
		return nil, fmt.Errorf("%q: want one {lemma}", tpl)
	}
	lemma, tag, _ := strings.Cut(tpl[i+1:j], ":")
	var forms []string
	switch {
	case code == "en":
		forms = wn.verbForms(lemma, tag)
	case dict != nil:
		forms = dict.forms(lemma, tag, i == 0 && j == len(tpl)-1)
		if _, ok := dict.stems[lemma]; !ok {
			return nil, fmt.Errorf("%q: the dictionary has no forms of %q", tpl, lemma)
		}
	default:
		return nil, fmt.Errorf("%q: no way to inflect %s", tpl, code)
	}
	out := make([]string, 0, len(forms))
	for _, f := range forms {
		out = append(out, tpl[:i]+f+tpl[j+1:])
	}
	return out, nil
}

// fold is the lexicon's own normalisation: what a generated word must
// equal to be the same word.
func fold(s string) string { return strings.TrimSpace(lexicon.Normalise(s)) }

func readLines(path string, fn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}
