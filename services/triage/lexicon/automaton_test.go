package lexicon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The byte automaton below is what the word matcher (wordmatch.go)
// replaced; it stays here as the reference the matcher must agree with.

// automaton is an Aho-Corasick matcher compiled to a dense DFA over byte
// classes: one table look-up per byte of normalised text, whatever the
// number of patterns. Bytes that occur in no pattern share one class that
// always leads back towards the root.
type automaton struct {
	class    [256]uint8
	nClasses int32
	// delta[s+c] is the next state from state s (stored premultiplied by
	// nClasses) on byte class c.
	delta []int32
	// States are numbered so that those with outputs come last: a state
	// s >= outFrom (premultiplied) ends at least one pattern.
	outFrom int32
	// outs[outAt[k]:outAt[k+1]] are the patterns ending at the k-th output
	// state (k = s/nClasses - outFrom/nClasses).
	outAt []int32
	outs  []int32
}

// newAutomaton compiles patterns; a match of pattern i is reported as i.
func newAutomaton(patterns []string) *automaton {
	a := &automaton{}
	var used [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	a.nClasses = 1 // class 0: bytes in no pattern
	for b := range used {
		if used[b] {
			a.class[b] = uint8(a.nClasses)
			a.nClasses++
		}
	}
	nc := int(a.nClasses)

	// The trie, with children in a flat table grown per state.
	next := make([]int32, nc) // next[s*nc+c]: child or -1
	for i := range next {
		next[i] = -1
	}
	own := [][]int32{nil}
	for id, p := range patterns {
		s := 0
		for i := 0; i < len(p); i++ {
			c := int(a.class[p[i]])
			if next[s*nc+c] < 0 {
				next[s*nc+c] = int32(len(own))
				own = append(own, nil)
				next = append(next, slices.Repeat([]int32{-1}, nc)...)
			}
			s = int(next[s*nc+c])
		}
		own[s] = append(own[s], int32(id))
	}
	n := len(own)

	// Breadth-first: failure links, completed transitions and the output
	// sets (a state's own patterns and its failure state's).
	fail := make([]int32, n)
	outsOf := make([][]int32, n)
	outsOf[0] = own[0]
	queue := make([]int32, 0, n)
	for c := 0; c < nc; c++ {
		if t := next[c]; t > 0 {
			queue = append(queue, t)
		} else {
			next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		outsOf[s] = append(slices.Clone(own[s]), outsOf[fail[s]]...)
		for c := 0; c < nc; c++ {
			t := next[int(s)*nc+c]
			if t < 0 {
				next[int(s)*nc+c] = next[int(fail[s])*nc+c]
				continue
			}
			fail[t] = next[int(fail[s])*nc+c]
			queue = append(queue, t)
		}
	}

	// Renumber: states without outputs first, root first of all.
	order := make([]int32, 0, n)
	for s := 0; s < n; s++ {
		if len(outsOf[s]) == 0 {
			order = append(order, int32(s))
		}
	}
	firstOut := len(order)
	for s := 0; s < n; s++ {
		if len(outsOf[s]) > 0 {
			order = append(order, int32(s))
		}
	}
	renum := make([]int32, n)
	for newID, old := range order {
		renum[old] = int32(newID)
	}
	a.delta = make([]int32, n*nc)
	a.outAt = make([]int32, 0, n-firstOut+1)
	for newID, old := range order {
		for c := 0; c < nc; c++ {
			a.delta[newID*nc+c] = renum[next[int(old)*nc+c]] * int32(nc)
		}
		if newID >= firstOut {
			a.outAt = append(a.outAt, int32(len(a.outs)))
			a.outs = append(a.outs, outsOf[old]...)
		}
	}
	a.outAt = append(a.outAt, int32(len(a.outs)))
	a.outFrom = int32(firstOut * nc)
	if firstOut == 0 { // the root itself has output (an empty pattern): never built here
		a.outFrom = 0
	}
	return a
}

// scan calls emit(pattern, i) for every pattern ending at byte i of text.
func (a *automaton) scan(text []byte, emit func(pattern int32, at int)) {
	s := int32(0)
	delta, class := a.delta, &a.class
	for i := 0; i < len(text); i++ {
		s = delta[s+int32(class[text[i]])]
		if s >= a.outFrom {
			k := (s - a.outFrom) / a.nClasses
			for _, p := range a.outs[a.outAt[k]:a.outAt[k+1]] {
				emit(p, i)
			}
		}
	}
}

// states returns the number of DFA states, for tests and benchmarks.
func (a *automaton) states() int { return len(a.delta) / int(a.nClasses) }

// patternEmit receives one match: the pattern, the byte where it ends and
// the indices of its first and last words.
type patternEmit func(p int32, at int, first, last int32)

// emissions returns what a matcher reports on the normalised text of s,
// in both passes, as "pattern@byte" in order.
// The words are those the normaliser records (wordAt).
func emissions(c *compiled, s string, scan func(buf []byte, emit patternEmit)) []string {
	var out []string
	for _, join := range []bool{false, true} {
		n := normaliser{join: join, vocab: c.vocab}
		n.run(s)
		scan(n.buf, func(p int32, at int, ws, we int32) {
			out = append(out, fmt.Sprintf("%v:%d@%d words %d-%d", join, p, at, ws, we))
		})
	}
	return out
}

// agree fails t where the word matcher and the automaton report different
// matches, or the same in another order, on s.
func agree(t *testing.T, c *compiled, ac *automaton, s string) {
	t.Helper()
	var ms matchScratch
	got := emissions(c, s, func(buf []byte, emit patternEmit) {
		c.m.scan(buf, &ms, func(out int32, pats patRun, at int, ws, we int32) {
			for p := out; len(pats) != 0; p, pats = p+1, pats.rest() {
				// The patInfo handed over with a match is its pattern's.
				pi := pats.first()
				if f := c.patterns[p]; int(pi.len) != len(f) || pi.prefix == strings.HasSuffix(f, " ") ||
					pi.kind != c.terms[pi.term].kind || pi.cue != c.terms[pi.term].cue {
					t.Fatalf("%q: pattern %d %q reported with %+v", s, p, f, pi)
				}
				emit(p, at, ws, we)
			}
		})
	})
	want := emissions(c, s, func(buf []byte, emit patternEmit) {
		n := normaliser{words: wordsOf(buf)}
		ac.scan(buf, func(p int32, at int) {
			first := at - len(c.patterns[p]) + 2
			emit(p, at, n.wordAt(int32(first)), n.wordAt(int32(at-1)))
		})
	})
	if !slices.Equal(got, want) {
		t.Fatalf("%q: the word matcher reports\n%v\nthe automaton\n%v", s, got, want)
	}
}

// TestMatcherAgreesWithAutomaton: on every development and validation
// message, and on obfuscated and degenerate texts, the word matcher
// reports the automaton's matches in the automaton's order, so verdicts
// don't move with the matcher.
func TestMatcherAgreesWithAutomaton(t *testing.T) {
	c := defaultClassifier(t).c
	ac := newAutomaton(c.patterns)
	texts := []string{"", " ", "overdos", "overdosed overdosing", "k i l l  m y s e l f", "su**ide k*ll s.u.i-c 30 of my pills",
		"i i i i i i i i i i i i i i i i i i i i", "💊💊💊", "je veux mourir ce soir", "me quiero morir esta noche"}
	for _, path := range append([]string{devCorpus}, validationCorpora...) {
		for _, l := range readCorpus(t, path) {
			texts = append(texts, l.Text)
			texts = append(texts, l.Context...)
		}
	}
	for _, s := range texts {
		agree(t, c, ac, s)
	}
}

func FuzzMatcher(f *testing.F) {
	c := defaultClassifier(f).c
	ac := newAutomaton(c.patterns)
	for _, l := range readCorpus(f, devCorpus)[:80] {
		f.Add(l.Text)
	}
	f.Add("overdosed, k i l l  m y s e l f 💊💊💊 30 of my pills")
	f.Fuzz(func(t *testing.T, s string) { agree(t, c, ac, s) })
}

// wordsOf returns the index of each word's first byte in buf.
func wordsOf(buf []byte) []int32 {
	var out []int32
	for i := 1; i < len(buf); i++ {
		if buf[i] != ' ' && buf[i-1] == ' ' {
			out = append(out, int32(i))
		}
	}
	return out
}
