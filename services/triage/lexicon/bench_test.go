package lexicon

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// benchSets are the messages both benchmarks run on: the evaluation
// messages as they are (short, about 30 bytes, three in four with a match),
// and the same messages joined in pairs (about 60 bytes).
func benchSets(b *testing.B) []struct {
	name string
	msgs []string
} {
	var eval []string
	for _, path := range []string{"testdata/eval.jsonl", "testdata/eval_holdout.jsonl"} {
		for _, l := range readEval(b, path) {
			eval = append(eval, l.Text)
		}
	}
	var pairs []string
	for i := 0; i+1 < len(eval); i += 2 {
		pairs = append(pairs, eval[i]+" "+eval[i+1])
	}
	return []struct {
		name string
		msgs []string
	}{{"eval", eval}, {"60B", pairs}}
}

func meanLen(msgs []string) float64 {
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	return float64(n) / float64(len(msgs))
}

// BenchmarkClassify measures the whole classification: normalising,
// matching and the rules, one goroutine (one core).
func BenchmarkClassify(b *testing.B) {
	c := defaultClassifier(b)
	for _, set := range benchSets(b) {
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for _, m := range set.msgs {
					c.Classify(m)
				}
			}
			b.ReportMetric(float64(b.N*len(set.msgs))/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(meanLen(set.msgs), "bytes/msg")
		})
	}
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
	for _, set := range benchSets(b) {
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for _, m := range set.msgs {
					re.FindAllStringIndex(strings.ToLower(m), -1)
				}
			}
			b.ReportMetric(float64(b.N*len(set.msgs))/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(meanLen(set.msgs), "bytes/msg")
		})
	}
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
