package lexicon

import "math/bits"

// The cue rules a message's cue classes may fire, found with a few set
// operations rather than by testing every rule: for each class and slot,
// the rules whose slot holds the class. The answer is exactly the rules
// for which mayFire holds, in the same order (see TestRuleIndex).

// ruleWords is how many 64-bit words a ruleSet spans: room for 128 rules;
// indexSlots is the most slots an indexed rule has. With more rules or
// slots, ruleIndex is nil and every rule is tested in turn.
const (
	ruleWords  = 2
	indexSlots = 4
)

// rulesMayFire writes out the words and slots: it is written for these
// two sizes, and this fails to compile with others.
var _ = [1]struct{}{}[ruleWords-2+indexSlots-4]

// ruleSet is a set of cue rules, by index in cueRules.
type ruleSet [ruleWords]uint64

func (s ruleSet) has(r int) bool { return s[r>>6]&(1<<(r&63)) != 0 }

func (s *ruleSet) add(r int) { s[r>>6] |= 1 << (r & 63) }

func (s ruleSet) empty() bool { return s == ruleSet{} }

// rules yields the rules in s in order.
func (s ruleSet) rules() func(yield func(int) bool) {
	return func(yield func(int) bool) {
		for w, left := range s {
			for ; left != 0; left &= left - 1 {
				if !yield(w*64 + bits.TrailingZeros64(left)) {
					return
				}
			}
		}
	}
}

// cueIndex indexes cueRules by the classes of their slots.
type cueIndex struct {
	// class[c]: what class c does, in one place (a message's classes
	// are read one after the other).
	class [numCues]classRules
	// absent[k]: the rules with no slot k, whose slot k is always met.
	absent [indexSlots]ruleSet
	// with: the rules that need the conversation's signals.
	with ruleSet
}

// classRules are the rules one cue class takes part in.
type classRules struct {
	// slot[k]: the rules whose slot k holds the class.
	slot [indexSlots]ruleSet
	// unless: the rules the class holds.
	unless ruleSet
}

// ruleIndex is built once from cueRules and never changed.
var ruleIndex = newCueIndex(cueRules)

func newCueIndex(rules []cueRule) *cueIndex {
	if len(rules) > ruleWords*64 {
		return nil
	}
	x := &cueIndex{}
	for ri, r := range rules {
		if len(r.slots) > indexSlots {
			return nil
		}
		for k, s := range r.slots {
			for c := range classesOf(s) {
				x.class[c].slot[k].add(ri)
			}
		}
		for k := len(r.slots); k < indexSlots; k++ {
			x.absent[k].add(ri)
		}
		for c := range classesOf(r.unless) {
			x.class[c].unless.add(ri)
		}
		if r.with != 0 {
			x.with.add(ri)
		}
	}
	return x
}

// classesOf calls yield for each class in s, in order.
func classesOf(s cueSet) func(yield func(cueClass) bool) {
	return func(yield func(cueClass) bool) {
		for w, bitsLeft := range s {
			for ; bitsLeft != 0; bitsLeft &= bitsLeft - 1 {
				if !yield(cueClass(w*64 + bits.TrailingZeros64(bitsLeft))) {
					return
				}
			}
		}
	}
}

// rulesMayFire returns the rules r of cueRules for which r.mayFire(u,
// recent) holds.
func rulesMayFire(u cueSet, recent signalSet) ruleSet {
	x := ruleIndex
	if x == nil {
		var out ruleSet
		for ri := range cueRules {
			if cueRules[ri].mayFire(u, recent) {
				out.add(ri)
			}
		}
		return out
	}
	// The slots and words written out: the loops over them cost more
	// than the ORs (ruleWords and indexSlots are fixed below).
	var m0, m1, m2, m3, held ruleSet
	for w, left := range u {
		for ; left != 0; left &= left - 1 {
			cr := &x.class[w*64+bits.TrailingZeros64(left)]
			m0[0], m0[1] = m0[0]|cr.slot[0][0], m0[1]|cr.slot[0][1]
			m1[0], m1[1] = m1[0]|cr.slot[1][0], m1[1]|cr.slot[1][1]
			m2[0], m2[1] = m2[0]|cr.slot[2][0], m2[1]|cr.slot[2][1]
			m3[0], m3[1] = m3[0]|cr.slot[3][0], m3[1]|cr.slot[3][1]
			held[0], held[1] = held[0]|cr.unless[0], held[1]|cr.unless[1]
		}
	}
	a := &x.absent
	var out ruleSet
	for i := range ruleWords {
		out[i] = ^held[i] & (m0[i] | a[0][i]) & (m1[i] | a[1][i]) & (m2[i] | a[2][i]) & (m3[i] | a[3][i])
	}
	// A rule that needs the conversation fires only with its signals:
	// none without any.
	if recent == 0 {
		for i := range ruleWords {
			out[i] &^= x.with[i]
		}
		return out
	}
	for w, left := range x.with {
		for ; left != 0; left &= left - 1 {
			ri := w*64 + bits.TrailingZeros64(left)
			if recent&cueRules[ri].with == 0 {
				out[w] &^= 1 << (ri & 63)
			}
		}
	}
	return out
}
