package lexicon

import "testing"

func defaultClassifier(t testing.TB) *Classifier {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return NewClassifier(l)
}
