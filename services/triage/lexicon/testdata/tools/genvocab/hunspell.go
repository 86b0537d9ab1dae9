package main

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// hunspell reads a hunspell dictionary's stems and suffix rules, enough
// to list a verb's conjugations (no prefixes, no second suffix).
type hunspell struct {
	long   bool                // FLAG long: flags are two characters
	stems  map[string][]string // stem → its flags
	folded map[string]string   // folded stem → stem
	sfx    map[string][]suffix
	only   string // when set, the flags whose rules count (Spanish: the conjugations, not the enclitics)
}

// suffix is one SFX rule: strip, then add, where the word ends as cond
// says; morph is the rule's morphological fields (French: "po:ppas").
type suffix struct {
	strip, add string
	cond       *regexp.Regexp
	morph      string
}

func openHunspell(path string) (*hunspell, error) {
	h := &hunspell{stems: map[string][]string{}, folded: map[string]string{}, sfx: map[string][]suffix{}}
	err := readLines(path+".aff", func(line string) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "FLAG":
			h.long = f[1] == "long"
		case len(f) >= 5 && f[0] == "SFX":
			strip := f[2]
			if strip == "0" {
				strip = ""
			}
			add, _, _ := strings.Cut(f[3], "/")
			if add == "0" {
				add = ""
			}
			cond, err := regexp.Compile(f[4] + "$")
			if err != nil {
				return
			}
			h.sfx[f[1]] = append(h.sfx[f[1]], suffix{strip, add, cond, strings.Join(f[5:], " ")})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("hunspell: %w", err)
	}
	first := true
	err = readLines(path+".dic", func(line string) {
		if first { // the word count
			first = false
			return
		}
		word, rest, _ := strings.Cut(strings.Fields(line + " ")[0], "/")
		h.stems[word] = append(h.stems[word], h.flags(rest)...)
		if _, ok := h.folded[fold(word)]; !ok {
			h.folded[fold(word)] = word
		}
	})
	if err != nil {
		return nil, fmt.Errorf("hunspell: %w", err)
	}
	return h, nil
}

func (h *hunspell) flags(s string) []string {
	var out []string
	if h.long {
		for i := 0; i+1 < len(s); i += 2 {
			out = append(out, s[i:i+2])
		}
		return out
	}
	for len(s) > 0 {
		_, n := utf8.DecodeRuneInString(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// forms returns the lemma and every word its suffix rules make of it;
// with a tag, only those whose rule carries it ("ppas"), and when alone
// (no words around it in the template) only the ones that, folded as the
// normaliser folds them, are no other form of the verb ("tomó" folds to
// "tomo", the present: a past that reads as the present is left out).
func (h *hunspell) forms(lemma, tag string, alone bool) []string {
	var kept []string
	other := map[string]bool{}
	if tag == "" {
		kept = append(kept, lemma)
	} else {
		other[fold(lemma)] = true
	}
	for _, fl := range h.stems[lemma] {
		if h.only != "" && !strings.Contains(h.only, fl) {
			continue
		}
		for _, r := range h.sfx[fl] {
			if !r.cond.MatchString(lemma) || !strings.HasSuffix(lemma, r.strip) {
				continue
			}
			f := strings.TrimSuffix(lemma, r.strip) + r.add
			if tag == "" || strings.Contains(r.morph, "po:"+tag) || tag == "past" && isPast(f) {
				kept = append(kept, f)
			} else {
				other[fold(f)] = true
			}
		}
	}
	out := kept[:0]
	for _, f := range kept {
		if !alone || !other[fold(f)] {
			out = append(out, f)
		}
	}
	return out
}

// spellings returns the words of this language, as its dictionary spells
// them, that are the English words with a Spanish or French ending
// ("codeine": codeína, codéine).
func (h *hunspell) spellings(code string, english []string) []string {
	var out []string
	for _, w := range english {
		if strings.Contains(w, " ") || len(w) < 5 {
			continue
		}
		cands := []string{w}
		base := strings.TrimSuffix(w, "e")
		switch code {
		case "es":
			cands = append(cands, w+"o", w+"a", base+"o", base+"a", strings.TrimSuffix(w, "ine")+"ina")
		case "fr":
			cands = append(cands, w+"e", strings.TrimSuffix(w, "en")+"ène", strings.TrimSuffix(w, "ol")+"ol")
		}
		for _, c := range cands {
			if s, ok := h.folded[fold(c)]; ok {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// spanishPast are the endings of Spanish preterites and past participles,
// for dictionaries whose rules carry no tags: tag "past" keeps them.
var spanishPast = []string{"é", "ó", "í", "ió", "aste", "iste", "aron", "ieron", "ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"}

func isPast(f string) bool {
	if strings.HasSuffix(f, "ré") { // the future: tomaré
		return false
	}
	for _, e := range spanishPast {
		if strings.HasSuffix(f, e) {
			return true
		}
	}
	return false
}
