package lexicon

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Acceptance thresholds of issue 12, enforced on the frozen test corpus
// (and, as a guard against regressions, on the development corpus).
const (
	// minCrisisRecall is the share of crisis items judged crisis, overall.
	minCrisisRecall = 0.97
	// minGroupRecall is the same share within each labelled signal (an
	// item counts towards each of its signals) and each language.
	minGroupRecall = 0.90
	// maxFalseCrisis is the share of items labelled none or elevated that
	// are judged crisis.
	maxFalseCrisis = 0.03
)

const (
	devCorpus    = "testdata/dev.jsonl"
	frozenCorpus = "testdata/frozen/test.jsonl"
)

// labelled is one corpus line, as the labelling guide defines it
// (testdata/LABELLING.md).
type labelled struct {
	ID      string   `json:"id"`
	Lang    string   `json:"lang"`
	Text    string   `json:"text"`
	Label   Risk     `json:"label"`
	Signals []string `json:"signals"`
	Kind    string   `json:"kind"`
	Context []string `json:"context"`
}

var guideKinds = []string{"crisis", "elevated", "idiom", "appointment", "everyday_distress", "third_party",
	"media_news", "generic_help", "past_resolved", "hypothetical", "negated", "joke", "other"}

// readCorpus reads and checks a corpus file. It fails the test, naming the
// line, on anything the guide does not allow.
func readCorpus(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("corpus %s is missing: it is written from testdata/LABELLING.md alone and added by its author, not by the lexicon's", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l labelled
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		bad := func(what string) { t.Fatalf("%s:%d (%s): %s", path, line, l.ID, what) }
		switch {
		case l.ID == "" || ids[l.ID]:
			bad("missing or repeated id")
		case l.Lang != "en" && l.Lang != "es" && l.Lang != "fr":
			bad("lang " + l.Lang)
		case l.Label != RiskNone && l.Label != RiskElevated && l.Label != RiskCrisis:
			bad("label " + string(l.Label))
		case !slices.Contains(guideKinds, l.Kind):
			bad("kind " + l.Kind)
		case (l.Label == RiskNone) != (len(l.Signals) == 0):
			bad("signals: none for none, at least one otherwise")
		}
		for _, s := range l.Signals {
			if _, ok := signalByName(s); !ok {
				bad("signal " + s)
			}
		}
		ids[l.ID] = true
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// judge classifies an item as the service would: its context messages one
// minute apart, each read with the ones before, then the item's text.
func judge(c *Classifier, l labelled) Verdict {
	at := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	var r Recent
	for _, m := range l.Context {
		r = r.Add(c.ClassifyIn(m, r, at), at)
		at = at.Add(time.Minute)
	}
	return c.ClassifyIn(l.Text, r, at)
}

// tally counts crisis recall and false crises for one group of items.
type tally struct {
	crisis, crisisHit int // items labelled crisis; of those, judged crisis
	calm, falseCrisis int // items labelled none or elevated; of those, judged crisis
}

func (t *tally) add(label, got Risk) {
	if label == RiskCrisis {
		t.crisis++
		if got == RiskCrisis {
			t.crisisHit++
		}
		return
	}
	t.calm++
	if got == RiskCrisis {
		t.falseCrisis++
	}
}

func (t tally) recall() float64 { return ratio(t.crisisHit, t.crisis) }
func (t tally) fcr() float64    { return ratio(t.falseCrisis, t.calm) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// figures are a corpus's evaluation.
type figures struct {
	n         int
	overall   tally
	bySignal  map[string]*tally
	byLang    map[string]*tally
	confusion map[[2]Risk]int
	// Items breaking a rule of their own, by id: generic help not judged
	// none; a crisis labelled with a method judged none.
	genericNotNone, methodNone []string
	misses                     []string // "want got rule id text", development only
}

func evaluate(c *Classifier, set []labelled) figures {
	f := figures{n: len(set), bySignal: map[string]*tally{}, byLang: map[string]*tally{}, confusion: map[[2]Risk]int{}}
	group := func(m map[string]*tally, k string) *tally {
		if m[k] == nil {
			m[k] = &tally{}
		}
		return m[k]
	}
	for _, l := range set {
		v := judge(c, l)
		f.overall.add(l.Label, v.Risk)
		group(f.byLang, l.Lang).add(l.Label, v.Risk)
		for _, s := range l.Signals {
			group(f.bySignal, s).add(l.Label, v.Risk)
		}
		f.confusion[[2]Risk{l.Label, v.Risk}]++
		if l.Kind == "generic_help" && v.Risk != RiskNone {
			f.genericNotNone = append(f.genericNotNone, l.ID)
		}
		// Under the guide a method alone is no crisis: a crisis labelled
		// with one has it together with intent, acquisition, research or
		// another signal, and must never be judged none.
		if l.Label == RiskCrisis && slices.Contains(l.Signals, SignalMethod) && v.Risk == RiskNone {
			f.methodNone = append(f.methodNone, l.ID)
		}
		if v.Risk != l.Label {
			f.misses = append(f.misses, fmt.Sprintf("want %-8s got %-8s %-26s %s %q %v", l.Label, v.Risk, v.Rule, l.ID, l.Text, v.Signals))
		}
	}
	return f
}

// table renders the figures: recall and false-crisis rate overall, per
// signal and per language, and the confusion between the three levels.
func (f figures) table(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d items\n", name, f.n)
	fmt.Fprintf(&b, "  %-20s %8s %14s %8s %14s\n", "group", "recall", "(hit/crisis)", "false-cr", "(crisis/calm)")
	row := func(k string, t tally) {
		fmt.Fprintf(&b, "  %-20s %8.3f %14s %8.3f %14s\n", k, t.recall(), fmt.Sprintf("(%d/%d)", t.crisisHit, t.crisis),
			t.fcr(), fmt.Sprintf("(%d/%d)", t.falseCrisis, t.calm))
	}
	row("overall", f.overall)
	for _, s := range signalNames {
		if t := f.bySignal[s]; t != nil {
			row(s, *t)
		}
	}
	for _, lang := range []string{"en", "es", "fr"} {
		if t := f.byLang[lang]; t != nil {
			row("lang "+lang, *t)
		}
	}
	levels := []Risk{RiskNone, RiskElevated, RiskCrisis}
	fmt.Fprintf(&b, "  confusion (rows labelled, columns judged)\n  %-10s", "")
	for _, l := range levels {
		fmt.Fprintf(&b, " %9s", l)
	}
	for _, want := range levels {
		fmt.Fprintf(&b, "\n  %-10s", want)
		for _, got := range levels {
			fmt.Fprintf(&b, " %9d", f.confusion[[2]Risk{want, got}])
		}
	}
	b.WriteString("\n")
	return b.String()
}

// check reports every acceptance threshold the figures miss.
func (f figures) check(t *testing.T) {
	t.Helper()
	if r := f.overall.recall(); r < minCrisisRecall {
		t.Errorf("crisis recall %.3f overall, want at least %.2f", r, minCrisisRecall)
	}
	for _, groups := range []map[string]*tally{f.bySignal, f.byLang} {
		for k, g := range groups {
			if g.crisis > 0 && g.recall() < minGroupRecall {
				t.Errorf("crisis recall %.3f for %s, want at least %.2f", g.recall(), k, minGroupRecall)
			}
		}
	}
	if r := f.overall.fcr(); r > maxFalseCrisis {
		t.Errorf("false-crisis rate %.3f, want at most %.2f", r, maxFalseCrisis)
	}
	if len(f.methodNone) > 0 {
		t.Errorf("%d crisis items with a method judged none: %v", len(f.methodNone), f.methodNone)
	}
	if len(f.genericNotNone) > 0 {
		t.Errorf("%d generic help items not judged none: %v", len(f.genericNotNone), f.genericNotNone)
	}
}

// TestEvaluationDevelopment measures the shipped lexicon on the corpus it
// is tuned on. With -v it lists every item judged differently from its
// label.
func TestEvaluationDevelopment(t *testing.T) {
	f := evaluate(defaultClassifier(t), readCorpus(t, devCorpus))
	t.Log("\n" + f.table(devCorpus))
	if testing.Verbose() {
		for _, m := range f.misses {
			t.Log(m)
		}
	}
	f.check(t)
}

// frozenFloor is what the shipped lexicon scored on the frozen test corpus
// when it was last measured (the measurements are listed in
// testdata/frozen/README.md). The acceptance thresholds above are not yet
// met there; until they are, the frozen evaluation is a ratchet: it fails
// when the lexicon falls below these figures, and says how far it is from
// the thresholds. Raise the floor after each measured improvement; a figure
// is lowered only with its reason recorded in testdata/frozen/README.md,
// and the lexicon is never changed toward a frozen item.
var frozenFloor = floor{
	recall:      0.807,
	falseCrisis: 0.029,
	methodNone:  18,
	genericNone: 3,
	groups: map[string]float64{
		"wish_to_be_dead": 0.810, "active_ideation": 0.829, "method": 0.793, "intent": 0.738, "plan": 0.783,
		"preparatory_acts": 0.825, "recent_behaviour": 0.897, "harm_from_others": 0.786,
		"en": 0.839, "es": 0.783, "fr": 0.800,
	},
}

// floor is a set of figures a corpus must not fall below.
type floor struct {
	recall, falseCrisis     float64
	methodNone, genericNone int
	groups                  map[string]float64
}

// below reports every figure of f that falls below fl. Figures are rounded
// to the table's three places first, as they are recorded.
func (fl floor) below(t *testing.T, f figures) {
	t.Helper()
	r3 := func(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }
	if r := r3(f.overall.recall()); r < fl.recall {
		t.Errorf("crisis recall %.3f overall fell below the recorded %.3f", r, fl.recall)
	}
	for _, groups := range []map[string]*tally{f.bySignal, f.byLang} {
		for k, g := range groups {
			if want, ok := fl.groups[k]; ok && g.crisis > 0 && r3(g.recall()) < want {
				t.Errorf("crisis recall %.3f for %s fell below the recorded %.3f", r3(g.recall()), k, want)
			}
		}
	}
	if r := r3(f.overall.fcr()); r > fl.falseCrisis {
		t.Errorf("false-crisis rate %.3f rose above the recorded %.3f", r, fl.falseCrisis)
	}
	if n := len(f.methodNone); n > fl.methodNone {
		t.Errorf("%d crisis items with a method judged none, more than the recorded %d", n, fl.methodNone)
	}
	if n := len(f.genericNotNone); n > fl.genericNone {
		t.Errorf("%d generic help items not judged none, more than the recorded %d", n, fl.genericNone)
	}
}

// TestEvaluationFrozen measures the shipped lexicon on the frozen test
// corpus, written from the labelling guide by someone who has not read the
// lexicon. It prints the table only, never an item: a corpus looked at
// while tuning is no longer a test. It fails when a figure falls below the
// recorded floor; with HELPLINE_TRIAGE_ACCEPTANCE=1 it also fails below
// issue 12's acceptance thresholds, which the lexicon does not meet yet.
func TestEvaluationFrozen(t *testing.T) {
	f := evaluate(defaultClassifier(t), readCorpus(t, frozenCorpus))
	t.Log("\n" + f.table(frozenCorpus))
	frozenFloor.below(t, f)
	if os.Getenv("HELPLINE_TRIAGE_ACCEPTANCE") == "1" {
		f.check(t)
	}
}

// validationCorpora are corpora written from the labelling guide by another
// hand, arriving one at a time. Each was measured once, before any change
// made after seeing it (the figures are in the commit that tuned on it, or
// for e-*, f-*, g-* and h-* (en, es, fr) in the commit that wired them
// in, and in their README files);
// after that it is development data.
var validationCorpora = []string{"testdata/validation/a.jsonl", "testdata/validation/b.jsonl", "testdata/validation/d.jsonl", "testdata/validation/e-en.jsonl", "testdata/validation/e-es.jsonl", "testdata/validation/e-fr.jsonl", "testdata/validation/f-en.jsonl", "testdata/validation/f-es.jsonl", "testdata/validation/f-fr.jsonl", "testdata/validation/g-en.jsonl", "testdata/validation/g-es.jsonl", "testdata/validation/g-fr.jsonl", "testdata/validation/h-en.jsonl", "testdata/validation/h-es.jsonl", "testdata/validation/h-fr.jsonl"}

// TestEvaluationValidation prints the table of each validation corpus
// present. It checks no threshold: the corpora measure generalisation.
func TestEvaluationValidation(t *testing.T) {
	c := defaultClassifier(t)
	for _, path := range validationCorpora {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		f := evaluate(c, readCorpus(t, path))
		t.Log("\n" + f.table(path))
		if testing.Verbose() && os.Getenv("HELPLINE_TRIAGE_MISSES") == "1" {
			for _, m := range f.misses {
				t.Log(m)
			}
		}
	}
}

// TestEvaluationBatch measures a fresh batch of development messages named
// by HELPLINE_TRIAGE_BATCH (testdata/batches/<date>.jsonl), written before
// a change, so that the change is measured before and after on messages it
// was not written from. It prints
// the table and every item judged differently from its label, and checks
// nothing; without the variable it is skipped.
func TestEvaluationBatch(t *testing.T) {
	path := os.Getenv("HELPLINE_TRIAGE_BATCH")
	if path == "" {
		t.Skip("HELPLINE_TRIAGE_BATCH names no batch")
	}
	f := evaluate(defaultClassifier(t), readCorpus(t, path))
	t.Log("\n" + f.table(path))
	for _, m := range f.misses {
		t.Log(m)
	}
}
