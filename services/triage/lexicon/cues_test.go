package lexicon

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCueSetHoldsEveryClass: a set has room for every class, the last
// included, and classes on either side of the 64th bit do not alias.
func TestCueSetHoldsEveryClass(t *testing.T) {
	for c := cueClass(1); c < numCues; c++ {
		s := cs(c)
		if !s.meets(cs(c)) || s.minus(cs(c)) != (cueSet{}) || s.empty() {
			t.Fatalf("class %d (%s) is not held alone", c, cueNames[c])
		}
		for d := cueClass(1); d < numCues; d++ {
			if d != c && s.meets(cs(d)) {
				t.Fatalf("class %d (%s) meets class %d (%s)", c, cueNames[c], d, cueNames[d])
			}
		}
	}
	if hi := cueClass(cueWords*64 - 1); !cs(hi).meets(cs(hi)) || cs(hi).meets(cs(hi-64)) {
		t.Fatal("the second word aliases the first")
	}
}

// TestGeneratedVocabulary: the words data/generated adds (WordNet's
// medicines, hunspell's conjugations) are cues like the hand-written
// ones, and an everyday purpose still holds them.
func TestGeneratedVocabulary(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		text string
		want Risk
	}{
		{"bought secobarbital, then i'm done", RiskCrisis}, // WordNet: a barbiturate under medicine
		{"mi novio me abofeteó otra vez", RiskCrisis},      // hunspell es_ES: abofetear's preterite
		{"mon mari m'a brutalisée hier soir", RiskCrisis},  // hunspell fr: brutaliser's participle
		{"bought a lot of secobarbital for my nan", RiskElevated},
		{"tomo 50mg de sertralina cada mañana", RiskNone}, // tomó folds to tomo, the present: not generated
	}
	for _, tt := range tests {
		if v := c.Classify(tt.text); v.Risk != tt.want {
			t.Errorf("%q: %s (%s %v), want %s", tt.text, v.Risk, v.Rule, v.Signals, tt.want)
		}
	}
}

// TestGeneratedVocabularyChecked: a generated file names its language and
// known classes only.
func TestGeneratedVocabularyChecked(t *testing.T) {
	base := fstest.MapFile{Data: []byte(minimalYAML)}
	tests := []struct{ name, gen, want string }{
		{"other language", "language: yy\ncues:\n  means: [pills]\n", `language "yy", want "xx"`},
		{"unknown class", "language: xx\ncues:\n  sadness: [blue]\n", "no such cue class"},
		{"unknown key", "language: xx\nmood: sad\n", "field mood not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"d/xx.yaml": &base, "d/generated/xx.yaml": &fstest.MapFile{Data: []byte(tt.gen)}}
			_, err := FromFS(fsys, "d")
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromFS: %v; want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
	ok := fstest.MapFS{"d/xx.yaml": &base, "d/generated/xx.yaml": &fstest.MapFile{Data: []byte("language: xx\ncues:\n  means: [pills]\n")}}
	if _, err := FromFS(ok, "d"); err != nil {
		t.Fatal(err)
	}
}
