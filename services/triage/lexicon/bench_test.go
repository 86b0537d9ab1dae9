package lexicon

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchSets are the messages the benchmarks run on: the development
// corpus's messages as they are ("dev", about 40 bytes, most with a
// match), those of at most 40 bytes ("short"), and the messages joined in
// pairs ("80B").
func benchSets(b *testing.B) []struct {
	name string
	msgs []string
} {
	var dev, short []string
	for _, l := range readCorpus(b, devCorpus) {
		dev = append(dev, l.Text)
		if len(l.Text) <= 40 {
			short = append(short, l.Text)
		}
	}
	var pairs []string
	for i := 0; i+1 < len(dev); i += 2 {
		pairs = append(pairs, dev[i]+" "+dev[i+1])
	}
	return []struct {
		name string
		msgs []string
	}{{"dev", dev}, {"short", short}, {"80B", pairs}}
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
			cpu := cpuTime()
			for b.Loop() {
				for _, m := range set.msgs {
					c.Classify(m)
				}
			}
			reportCPU(b, len(set.msgs), cpuTime()-cpu)
			b.ReportMetric(float64(b.N*len(set.msgs))/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(meanLen(set.msgs), "bytes/msg")
		})
	}
}

// BenchmarkRegexBaseline is what the matcher replaces: one
// case-insensitive alternation of the same lexicon's phrases (entries,
// variants and modifier cues, as written), over the lower-cased raw text.
// It finds less (no folding, no masks, no rules) and is here for speed
// only.
func BenchmarkRegexBaseline(b *testing.B) {
	re := baselineRegexp(b)
	for _, set := range benchSets(b) {
		set.msgs = sample(set.msgs)
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				for _, m := range set.msgs {
					re.FindAllStringIndex(strings.ToLower(m), -1)
				}
			}
			reportCPU(b, len(set.msgs), cpuTime()-cpu)
			b.ReportMetric(float64(b.N*len(set.msgs))/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(meanLen(set.msgs), "bytes/msg")
		})
	}
}

// BenchmarkClassifyVsRegexBaseline times both on the short messages in the
// same run and reports the classifier's speed-up over the baseline
// ("x_regex") and its messages per second. It asserts nothing: speed is
// reported, not tested. Its classify figure is the classifier with cold
// caches, each round right after the regular expression's (doc.go, Speed).
func BenchmarkClassifyVsRegexBaseline(b *testing.B) {
	c := defaultClassifier(b)
	re := baselineRegexp(b)
	msgs := sample(benchSets(b)[1].msgs)
	// CPU time, not wall time: the machine may be shared.
	timeOf := func(f func(string)) time.Duration {
		start := cpuTime()
		for _, m := range msgs {
			f(m)
		}
		return cpuTime() - start
	}
	var tc, tr time.Duration
	for b.Loop() {
		tc += timeOf(func(m string) { c.Classify(m) })
		tr += timeOf(func(m string) { re.FindAllStringIndex(strings.ToLower(m), -1) })
	}
	b.ReportMetric(float64(tr)/float64(tc), "x_regex")
	b.ReportMetric(float64(b.N*len(msgs))/tc.Seconds(), "classify_msgs/cpu-s")
	b.ReportMetric(float64(b.N*len(msgs))/tr.Seconds(), "regex_msgs/cpu-s")
}

// reportCPU reports messages per second of CPU time: with -cpu 1, per
// core, however busy the machine is.
func reportCPU(b *testing.B, msgs int, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(b.N*msgs)/cpu.Seconds(), "msgs/cpu-s")
	}
}

// sample keeps one message in ten: the regex baseline is slow enough that
// the whole set would take minutes.
func sample(msgs []string) []string {
	var out []string
	for i := 0; i < len(msgs); i += 10 {
		out = append(out, msgs[i])
	}
	return out
}

func baselineRegexp(b *testing.B) *regexp.Regexp {
	l, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	return regexp.MustCompile(baselinePattern(l))
}

// baselinePattern is `(?i)\b(?:phrase|variant|...)\b` over every phrase the
// matcher is built from, longest first.
func baselinePattern(l *Lexicon) string {
	var phrases []string
	add := func(ph string) {
		ph = strings.TrimSuffix(strings.ToLower(ph), "*")
		if !slices.Contains(phrases, ph) {
			phrases = append(phrases, ph)
		}
	}
	for _, p := range l.parts {
		for _, e := range p.Entries {
			for _, ph := range append([]string{e.Phrase}, e.Variants...) {
				add(ph)
			}
		}
		for _, list := range p.modifierLists() {
			for _, ph := range list.phrases {
				add(ph)
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
