package lexicon

import "testing"

func TestZZCount(t *testing.T) {
	l, _ := Default()
	exp, fz, fzLast := 0, 0, 0
	for _, p := range l.parts {
		for _, e := range p.Entries {
			for _, ph := range append([]string{e.Phrase}, e.Variants...) {
				exp += len(phraseForms(ph))
				if e.Fuzzy {
					fz += len(fuzzyForms(ph))
				}
			}
		}
	}
	_ = fzLast
	c := NewClassifier(l)
	t.Logf("explicit %d fuzzy %d total %d states %d", exp, fz, len(c.c.patTerm), c.c.ac.states())
}
