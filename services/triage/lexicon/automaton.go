package lexicon

import "slices"

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
