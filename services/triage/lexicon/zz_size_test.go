package lexicon

import "testing"

func TestZZSize(t *testing.T) {
	l, _ := Default()
	c := NewClassifier(l)
	t.Logf("terms %d patterns %d states %d classes %d table %d KB", len(c.c.terms), len(c.c.patTerm), c.c.ac.states(), c.c.ac.nClasses, len(c.c.ac.delta)*4/1024)
	n := 0
	for _, p := range []string{"testdata/eval.jsonl", "testdata/eval_holdout.jsonl"} {
		for _, l := range readEval(t, p) {
			n += len(l.Text)
		}
	}
	t.Logf("avg bytes %.1f", float64(n)/530)
}
