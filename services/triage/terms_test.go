package triage

import (
	"slices"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// TestTermsMergeOverlappingMatches: the client's words that scored are
// listed once, overlapping matches merged into the span covering them,
// distinct ones kept apart and in the order written.
func TestTermsMergeOverlappingMatches(t *testing.T) {
	t.Parallel()
	span := func(text, words string) lexicon.Match {
		i := strings.Index(text, words)
		return lexicon.Match{Start: i, End: i + len(words), Weight: 1, Category: "harm_from_others"}
	}
	const door = "my ex is banging on the door with a knife"
	const bath = "he is outside the bathroom, he is going to kill me"
	tests := []struct {
		name, text string
		words      []string
		want       []string
	}{
		{"contained in a longer match", door, []string{"banging on", "banging on the door", "the door", "a knife"}, []string{"banging on the door", "a knife"}},
		{"overlapping without containing", door, []string{"banging on the", "the door with"}, []string{"banging on the door with"}},
		{"touching stays apart", door, []string{"banging on", " the door"}, []string{"banging on", "the door"}},
		{"distinct, in the order written", bath, []string{"kill me", "is outside", "outside", "he is going to kill me", "going to"},
			[]string{"is outside", "he is going to kill me"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []lexicon.Match
			for _, w := range tt.words {
				ms = append(ms, span(tt.text, w))
			}
			if _, terms := summarise(tt.text, ms); !slices.Equal(terms, tt.want) {
				t.Fatalf("terms %q, want %q", terms, tt.want)
			}
		})
	}
}
