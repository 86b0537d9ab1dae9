package lexicon

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// benchMessages are the evaluation messages: realistic lengths and a
// realistic share of matches (about half have none).
func benchMessages(b *testing.B) []string {
	var msgs []string
	for _, path := range []string{"testdata/eval.jsonl", "testdata/eval_holdout.jsonl"} {
		for _, l := range readEval(b, path) {
			msgs = append(msgs, l.Text)
		}
	}
	return msgs
}

// BenchmarkClassify measures the whole classification: normalising,
// matching and the rules.
func BenchmarkClassify(b *testing.B) {
	l, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	c := NewClassifier(l)
	msgs := benchMessages(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			c.Classify(m)
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkRegexBaseline is what the classifier replaces: one
// case-insensitive alternation of the lexicon's phrases as written, over
// the lower-cased raw text. It finds less (no folding, no misspellings, no
// rules) and is here for speed only.
func BenchmarkRegexBaseline(b *testing.B) {
	l, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	re := regexp.MustCompile(baselinePattern(l))
	msgs := benchMessages(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			re.FindAllStringIndex(strings.ToLower(m), -1)
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}

// baselinePattern is `(?i)\b(?:phrase|variant|...)\b` over every risk term
// and variant, longest first.
func baselinePattern(l *Lexicon) string {
	var phrases []string
	for _, p := range l.parts {
		for _, e := range p.Entries {
			for _, ph := range append([]string{e.Phrase}, e.Variants...) {
				ph = strings.TrimSuffix(strings.ToLower(ph), "*")
				if !slices.Contains(phrases, ph) {
					phrases = append(phrases, ph)
				}
			}
		}
	}
	slices.SortFunc(phrases, func(a, b string) int { return len(b) - len(a) })
	quoted := make([]string, len(phrases))
	for i, ph := range phrases {
		quoted[i] = regexp.QuoteMeta(ph)
	}
	return `(?i)\b(?:` + strings.Join(quoted, "|") + `)\b`
}

func BenchmarkNormalise(b *testing.B) {
	msgs := benchMessages(b)
	var n normaliser
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			n.run(m)
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}
