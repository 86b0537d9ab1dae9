package lexicon

import "testing"

func TestUnmask(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct{ in, want string }{
		{"k*ll myself", "kil myself"},
		{"su*c*de", "suicide"},
		{"ki*l", "kil"},
		{"*", ""},         // no letters: a separator
		{"x*", "x"},       // a trailing star is punctuation
		{"q*zzy", "q*zy"}, // no lexicon word: kept
		{"a*", "a"},
	}
	for _, tt := range tests {
		var n normaliser
		n.vocab = c.c.vocab
		n.run(tt.in)
		if got := string(n.buf[1 : len(n.buf)-1+boolInt(len(n.buf) == 1)]); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
