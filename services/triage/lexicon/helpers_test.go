package lexicon

import (
	"os"
	"testing"
)

// defaultClassifier is what ships: the shipped lexicon's classifier with
// the learned model beside the rules, as the service runs it (issue 12);
// with HELPLINE_TRIAGE_MODEL=off, the rules alone, as the service with it
// switched off, so that every evaluation can be read with and without the
// model. A test of the rules themselves uses rulesClassifier.
func defaultClassifier(t testing.TB) *Classifier {
	t.Helper()
	if os.Getenv("HELPLINE_TRIAGE_MODEL") == "off" {
		return rulesClassifier(t)
	}
	return NewClassifier(withModel(t))
}

// rulesClassifier is the shipped lexicon's classifier without the model:
// the rules alone, for the tests that check what the rules decide.
func rulesClassifier(t testing.TB) *Classifier {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatal(err)
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
