package lexicon

import (
	"math/rand/v2"
	"testing"
)

// TestRuleIndex: the index finds exactly the rules mayFire holds for, on
// every rule's own classes, their unless classes and random sets, with and
// without a conversation.
func TestRuleIndex(t *testing.T) {
	if ruleIndex == nil {
		t.Fatalf("%d cue rules: the index holds at most %d rules of at most %d slots", len(cueRules), ruleWords*64, indexSlots)
	}
	var sets []cueSet
	for _, r := range cueRules {
		var all cueSet
		for _, s := range r.slots {
			all = all.or(s)
		}
		sets = append(sets, all, all.or(r.unless), r.slots[0])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var u cueSet
		for range 1 + rng.IntN(8) {
			u = u.or(cs(cueClass(1 + rng.IntN(int(numCues)-1))))
		}
		sets = append(sets, u)
	}
	recents := []signalSet{0, suicidal, setOf([]string{SignalHarmFromOthers}), ^signalSet(0)}
	fired := 0
	for _, u := range sets {
		for _, recent := range recents {
			got := rulesMayFire(u, recent)
			for ri := range cueRules {
				if want := cueRules[ri].mayFire(u, recent); got.has(ri) != want {
					t.Fatalf("rule %s on %v, recent %b: index says %v, mayFire %v", cueRules[ri].name, u, recent, got.has(ri), want)
				}
			}
			if !got.empty() {
				fired++
			}
		}
	}
	if fired == 0 {
		t.Fatal("no set fired any rule")
	}
}
