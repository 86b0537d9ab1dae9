package lexicon

import (
	"os"
	"testing"
)

// defaultClassifier is the shipped lexicon's classifier; with
// HELPLINE_TRIAGE_MODEL=1, with the learned model beside the rules, so
// that every evaluation can be read with and without it.
func defaultClassifier(t testing.TB) *Classifier {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("HELPLINE_TRIAGE_MODEL") == "1" {
		if l, err = l.WithModel(); err != nil {
			t.Fatal(err)
		}
	}
	return NewClassifier(l)
}

// withModel is the shipped lexicon with the learned model.
func withModel(t testing.TB) *Lexicon {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if l, err = l.WithModel(); err != nil {
		t.Fatal(err)
	}
	return l
}
