package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// wordnet reads WordNet 3.0's database files (wndb(5)).
type wordnet struct {
	dir   string
	index map[string][]int64 // noun lemma → synset offsets, most frequent sense first
	other map[string]bool    // lemmas that are also verbs, adjectives or adverbs
	data  *os.File           // data.noun
	exc   map[string][]string
}

func openWordNet(dir string) (*wordnet, error) {
	w := &wordnet{dir: dir, index: map[string][]int64{}, other: map[string]bool{}, exc: map[string][]string{}}
	for _, pos := range []string{"verb", "adj", "adv"} {
		err := readLines(filepath.Join(dir, "index."+pos), func(line string) {
			if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(line, " ") {
				w.other[f[0]] = true
			}
		})
		if err != nil {
			return nil, fmt.Errorf("wordnet: %w", err)
		}
	}
	err := readLines(filepath.Join(dir, "index.noun"), func(line string) {
		if strings.HasPrefix(line, " ") {
			return // licence header
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return
		}
		n, _ := strconv.Atoi(f[2]) // synset_cnt
		p, _ := strconv.Atoi(f[3]) // p_cnt
		offs := f[4+p+2:]          // after the pointers, sense_cnt and tagsense_cnt
		for _, o := range offs[:min(n, len(offs))] {
			v, _ := strconv.ParseInt(o, 10, 64)
			w.index[f[0]] = append(w.index[f[0]], v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("wordnet: %w", err)
	}
	// Irregular verbs: "took take" is one inflected form and its base.
	err = readLines(filepath.Join(dir, "verb.exc"), func(line string) {
		if f := strings.Fields(line); len(f) >= 2 {
			w.exc[f[1]] = append(w.exc[f[1]], f[0])
		}
	})
	if err != nil {
		return nil, fmt.Errorf("wordnet: %w", err)
	}
	if w.data, err = os.Open(filepath.Join(dir, "data.noun")); err != nil {
		return nil, fmt.Errorf("wordnet: %w", err)
	}
	return w, nil
}

// synset is one noun synset: its lemmas and its hyponyms' offsets.
type synset struct {
	words    []string
	hyponyms []int64
}

func (w *wordnet) read(off int64) (synset, error) {
	if _, err := w.data.Seek(off, io.SeekStart); err != nil {
		return synset{}, err
	}
	line, err := bufio.NewReader(w.data).ReadString('\n')
	if err != nil {
		return synset{}, err
	}
	f := strings.Fields(line)
	n, err := strconv.ParseInt(f[3], 16, 32)
	if err != nil {
		return synset{}, fmt.Errorf("data.noun at %d: %w", off, err)
	}
	var s synset
	for i := 0; i < int(n); i++ {
		s.words = append(s.words, strings.ToLower(strings.ReplaceAll(f[4+2*i], "_", " ")))
	}
	at := 4 + 2*int(n)
	p, _ := strconv.Atoi(f[at])
	for i := 0; i < p; i++ {
		sym, target, pos := f[at+1+4*i], f[at+2+4*i], f[at+3+4*i]
		if (sym == "~" || sym == "~i") && pos == "n" {
			o, _ := strconv.ParseInt(target, 10, 64)
			s.hyponyms = append(s.hyponyms, o)
		}
	}
	return s, nil
}

// hyponyms returns the lemmas of the sense ("medicine.2") and of every
// synset under it whose most frequent sense is under it too, of one or
// two words, and which are nouns only ("cure", "refill", "automatic" are
// also other words).
func (w *wordnet) hyponyms(sense string) ([]string, error) {
	lemma, num, ok := strings.Cut(sense, ".")
	k, err := strconv.Atoi(num)
	offs := w.index[strings.ReplaceAll(lemma, " ", "_")]
	if !ok || err != nil || k < 1 || k > len(offs) {
		return nil, fmt.Errorf("no noun sense %q", sense)
	}
	under := map[int64]bool{}
	var words []string
	queue := []int64{offs[k-1]}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if under[o] {
			continue
		}
		under[o] = true
		s, err := w.read(o)
		if err != nil {
			return nil, err
		}
		words = append(words, s.words...)
		queue = append(queue, s.hyponyms...)
	}
	var out []string
	for _, word := range words {
		key := strings.ReplaceAll(word, " ", "_")
		first := w.index[key]
		if len(first) == 0 || !under[first[0]] || w.other[key] || len(strings.Fields(word)) > 2 || strings.ContainsAny(word, "0123456789().") {
			continue
		}
		out = append(out, word)
	}
	return out, nil
}

// verbForms returns an English verb's base, -s, -ed and -ing forms: the
// irregular ones WordNet lists, else the regular spelling rules. With tag
// "past" only the -ed (or irregular) forms, with "ing" only the -ing one.
func (w *wordnet) verbForms(v, tag string) []string {
	all := w.allVerbForms(v)
	switch tag {
	case "past":
		if irr := w.exc[v]; len(irr) > 0 {
			return irr
		}
		return all[len(all)-2 : len(all)-1]
	case "ing":
		return all[len(all)-1:]
	}
	return all
}

func (w *wordnet) allVerbForms(v string) []string {
	forms := []string{v}
	if irr := w.exc[v]; len(irr) > 0 {
		forms = append(forms, irr...)
	}
	last := v[len(v)-1]
	cons := func(b byte) bool { return !strings.ContainsRune("aeiou", rune(b)) }
	switch {
	case strings.HasSuffix(v, "s") || strings.HasSuffix(v, "sh") || strings.HasSuffix(v, "ch") || strings.HasSuffix(v, "x") || strings.HasSuffix(v, "z"):
		forms = append(forms, v+"es")
	case last == 'y' && len(v) > 2 && cons(v[len(v)-2]):
		forms = append(forms, v[:len(v)-1]+"ies")
	default:
		forms = append(forms, v+"s")
	}
	stem := v
	switch {
	case last == 'e' && !strings.HasSuffix(v, "ee"):
		stem = v[:len(v)-1]
	case len(v) >= 3 && len(v) <= 4 && cons(last) && !strings.ContainsRune("wxy", rune(last)) && !cons(v[len(v)-2]) && cons(v[len(v)-3]):
		stem = v + string(last) // stab → stabbed, stabbing
	}
	switch {
	case len(w.exc[v]) > 0:
		forms = append(forms, w.exc[v][0]) // listed already: keeps the -ed slot
	case last == 'y' && len(v) > 2 && cons(v[len(v)-2]):
		forms = append(forms, v[:len(v)-1]+"ied")
	default:
		forms = append(forms, stem+"ed")
	}
	forms = append(forms, stem+"ing")
	return forms
}
