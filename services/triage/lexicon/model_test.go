package lexicon

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// modelWriters are the development corpora the model is trained and
// measured on, one writer each (the trainer's list: testdata/tools/trainmodel).
var modelWriters = []string{"a", "b", "d", "e-en", "e-es", "e-fr", "f-en", "f-es", "f-fr", "g-en", "g-es", "g-fr"}

// modelFloor is what TestModelLeaveOneWriterOut measured, pooled over the
// held-out writers, when ModelVersion was trained: crisis recall of the
// rules with the model beside them, and the false crises the model added
// (as a share of the calm items). A retrain or a change to the features
// that generalises worse fails; better rules only raise the recall.
var modelFloor = struct{ recall, added float64 }{recall: 0.820, added: 0.003}

// modelWriterBound: the model may take no held-out writer's false-crisis
// rate past it where the rules alone kept within it (issue 12's bound).
const modelWriterBound = 0.03

// writerCorpora reads the development data as the trainer does: dev and
// the batches as three writers by line, then each validation writer.
func writerCorpora(t testing.TB) (items []TrainingItem, sets map[string][]labelled) {
	batches, err := filepath.Glob("testdata/batches/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(batches)
	k := 0
	for _, path := range append([]string{devCorpus}, batches...) {
		for _, l := range readCorpus(t, path) {
			items = append(items, TrainingItem{Text: l.Text, Context: l.Context, Crisis: l.Label == RiskCrisis, Writer: fmt.Sprintf("dev-%d", k%3)})
			k++
		}
	}
	sets = map[string][]labelled{}
	for _, w := range modelWriters {
		sets[w] = readCorpus(t, "testdata/validation/"+w+".jsonl")
		for _, l := range sets[w] {
			items = append(items, TrainingItem{Text: l.Text, Context: l.Context, Crisis: l.Label == RiskCrisis, Writer: w})
		}
	}
	return items, sets
}

// TestModelLeaveOneWriterOut is the model's honest measure: for each
// validation writer W, a model is trained on every other writer, its
// threshold chosen out of fold on those writers alone (ModelBudget), and
// the rules alone, the model alone and the rules with the model are
// measured on W's messages as the service reads them (judge). It prints
// the table and fails when the pooled figures fall below modelFloor, or
// when the model takes a writer's false-crisis rate past modelWriterBound
// where the rules kept within it.
func TestModelLeaveOneWriterOut(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 180 models")
	}
	l := withModel(t)
	rules := NewClassifier(l.WithoutModel())
	items, sets := writerCorpora(t)
	ts := newTrainSet(rules, items)
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s %6s %5s   %-13s %-13s %-13s %5s  %s\n", "writer", "crisis", "calm", "rules", "model", "rules+model", "added", "threshold p")
	var pr, pm, pc tally
	for _, w := range modelWriters {
		use := func(i int) bool { return ts.writer[i] != w }
		held := func(i int) bool { return ts.writer[i] == w }
		idx, z := ts.outOfFold(use)
		thr := ts.threshold(idx, z, ModelBudget)
		q := ts.train(use, held).quantise(thr)
		with := *l
		with.model = q
		cl := NewClassifier(&with)
		var r, m, c tally
		for _, it := range sets[w] {
			vr, vc := judge(rules, it), judge(cl, it)
			var n normaliser
			n.vocab = rules.c.vocab
			n.run(it.Text)
			alone := RiskNone
			if f := modelFeatures(&n, nil, nil); len(f) >= modelMinFeatures && rules.knowsAWord(it.Text) && q.logit(f) >= q.thr {
				alone = RiskCrisis
			}
			for _, x := range []struct {
				t    []*tally
				risk Risk
			}{{[]*tally{&r, &pr}, vr.Risk}, {[]*tally{&m, &pm}, alone}, {[]*tally{&c, &pc}, vc.Risk}} {
				for _, tl := range x.t {
					tl.add(it.Label, x.risk)
				}
			}
		}
		row := func(t tally) string { return fmt.Sprintf("%.3f %.3f", t.recall(), t.fcr()) }
		fmt.Fprintf(&b, "%-6s %6d %5d   %-13s %-13s %-13s %5d  %.3f\n", w, r.crisis, r.calm, row(r), row(m), row(c), c.falseCrisis-r.falseCrisis, 1/(1+math.Exp(-float64(q.thr))))
		if w == modelWriters[len(modelWriters)-1] {
			fmt.Fprintf(&b, "%-6s %6d %5d   %-13s %-13s %-13s %5d\n", "pooled", pr.crisis, pr.calm, row(pr), row(pm), row(pc), pc.falseCrisis-pr.falseCrisis)
		}
		if c.fcr() > modelWriterBound && r.fcr() <= modelWriterBound {
			t.Errorf("%s: the model took the false-crisis rate from %.3f to %.3f, past %.2f", w, r.fcr(), c.fcr(), modelWriterBound)
		}
	}
	t.Log("recall and false-crisis rate on each writer, trained on the others\n" + b.String())
	added := ratio(pc.falseCrisis-pr.falseCrisis, pc.calm)
	if r3 := math.Round(pc.recall()*1000) / 1000; r3 < modelFloor.recall {
		t.Errorf("pooled recall of the rules with the model %.3f, below the recorded %.3f", r3, modelFloor.recall)
	}
	if a3 := math.Round(added*1000) / 1000; a3 > modelFloor.added {
		t.Errorf("the model added false crises on %.3f of calm items, above the recorded %.3f", a3, modelFloor.added)
	}
}

// TestModelShipped checks the embedded weights: they parse, encode back to
// the same bytes, and a classifier of the shipped lexicon with the model
// records the model's version on every verdict, while one without it
// (Default's, as shipped) records none.
func TestModelShipped(t *testing.T) {
	m, err := parseModel(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.encode(), shippedModel) {
		t.Error("data/model.bin does not encode back to itself")
	}
	l := withModel(t)
	plain, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", "hello", "I want to kill myself"} {
		if v := NewClassifier(l).Classify(text); v.ModelVersion != ModelVersion {
			t.Errorf("%q: model version %q, want %q", text, v.ModelVersion, ModelVersion)
		}
		for _, without := range []*Lexicon{l.WithoutModel(), plain} {
			if v := NewClassifier(without).Classify(text); v.ModelVersion != "" {
				t.Errorf("%q without the model: model version %q", text, v.ModelVersion)
			}
		}
	}
	if _, err := parseModel(shippedModel[:len(shippedModel)-1]); err == nil {
		t.Error("a short weight file parsed")
	}
}

// TestModelExplains: a verdict the model raised names rule model, keeps
// the rules' signals, and lists matches of category and kind "model"
// over whole words of the message, with the model's version and
// probability as the term.
func TestModelExplains(t *testing.T) {
	l := withModel(t)
	cl, rules := NewClassifier(l), NewClassifier(l.WithoutModel())
	raised := 0
	var set []labelled
	for _, w := range modelWriters {
		set = append(set, readCorpus(t, "testdata/validation/"+w+".jsonl")...)
	}
	for _, it := range set {
		if len(it.Context) > 0 {
			continue // a raised context message is carried on by the rules
		}
		v, vr := judge(cl, it), judge(rules, it)
		if v.Rule != RuleModel {
			if v.Risk != vr.Risk || v.Rule != vr.Rule {
				t.Fatalf("%s: the model changed %s/%s to %s/%s without naming itself", it.ID, vr.Risk, vr.Rule, v.Risk, v.Rule)
			}
			continue
		}
		raised++
		if v.Risk != RiskCrisis || vr.Risk == RiskCrisis || !slices.Equal(v.Signals, vr.Signals) {
			t.Errorf("%s: raised %s from %s, signals %v from %v", it.ID, v.Risk, vr.Risk, v.Signals, vr.Signals)
		}
		n := 0
		for _, m := range v.Matches {
			if m.Kind != RuleModel {
				continue
			}
			n++
			if m.Category != RuleModel || m.Weight != 1 || !strings.HasPrefix(m.Term, "model "+ModelVersion+" p=") {
				t.Errorf("%s: model match %+v", it.ID, m)
			}
			if m.Start >= m.End || m.End > len(it.Text) || strings.TrimSpace(it.Text[m.Start:m.End]) == "" {
				t.Errorf("%s: model match over %d-%d of %q", it.ID, m.Start, m.End, it.Text)
			}
		}
		if n == 0 || n > modelExplained {
			t.Errorf("%s: %d model matches", it.ID, n)
		}
	}
	if raised == 0 {
		t.Error("the model raised no message of the validation corpora")
	}
	t.Logf("the model raised %d messages of the validation corpora", raised)
}

// TestModelNeverLowers: the model only raises; every crisis of the rules
// stays one, with its rule.
func TestModelNeverLowers(t *testing.T) {
	l := withModel(t)
	cl, rules := NewClassifier(l), NewClassifier(l.WithoutModel())
	for _, w := range modelWriters {
		for _, it := range readCorpus(t, "testdata/validation/"+w+".jsonl") {
			if vr := judge(rules, it); vr.Risk == RiskCrisis {
				if v := judge(cl, it); v.Risk != RiskCrisis || v.Rule != vr.Rule {
					t.Errorf("%s: the rules' %s/%s became %s/%s", it.ID, vr.Risk, vr.Rule, v.Risk, v.Rule)
				}
			}
		}
	}
}

// TestModelFeaturesAgree: the logit read without listing the features
// (logitOf, on every message) is the logit of the listed features
// (modelFeatures, which training and explain read), on every message of the
// development corpora and some made up.
func TestModelFeaturesAgree(t *testing.T) {
	m, err := parseModel(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"", " ", "a", "ab", "k i l l  m y s e l f", "su**ide", "💊💊💊", "je veux mourir!!", "¿quién?"}
	items, _ := writerCorpora(t)
	for _, it := range items {
		texts = append(texts, it.Text)
	}
	var n normaliser
	for _, text := range texts {
		n.run(text)
		var words []int32
		f := modelFeatures(&n, nil, &words)
		if a, count := m.logitOf(&n); a != m.logit(f) || count != len(f) || len(words) != len(f) {
			t.Fatalf("%q: logitOf %v of %d features, logit of the %d features %v (%d words)", text, a, count, len(f), m.logit(f), len(words))
		}
	}
}

// FuzzModel checks the model's logit never panics, is the logit of its
// listed features, and that a classifier with the model is deterministic
// and only raises: its verdict is the rules' or a crisis by rule model.
func FuzzModel(f *testing.F) {
	l := withModel(f)
	cl, rules := NewClassifier(l), NewClassifier(l.WithoutModel())
	m := cl.model
	for _, s := range []string{"", "a", "k i l l  m y s e l f", "su**ide k*ll", "💊💊💊 30 of my pills", "the train comes past at 11:40"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n normaliser
		n.vocab = cl.c.vocab
		n.run(s)
		f := modelFeatures(&n, nil, nil)
		if a, count := m.logitOf(&n); a != m.logit(f) || count != len(f) {
			t.Fatalf("%q: logitOf %v of %d features, logit of its %d features %v", s, a, count, len(f), m.logit(f))
		}
		v, again, vr := cl.Classify(s), cl.Classify(s), rules.Classify(s)
		if !reflect.DeepEqual(v, again) {
			t.Fatalf("not deterministic for %q", s)
		}
		if v.Rule == RuleModel {
			if v.Risk != RiskCrisis || vr.Risk == RiskCrisis {
				t.Fatalf("%q: the model raised %s to %s", s, vr.Risk, v.Risk)
			}
			return
		}
		vr.ModelVersion = ModelVersion
		if !reflect.DeepEqual(v, vr) {
			t.Fatalf("%q: the model changed the rules' verdict without naming itself:\n%+v\n%+v", s, vr, v)
		}
	})
}

// TestModelWordy: the model reads only messages made of words (wordy, see
// modelMinWords); FuzzClassify found strings of digits and capitals
// raised.
func TestModelWordy(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"00A2A12A2A2A2A12A2A2A2A12A2A":                        false, // numbers and single letters
		"Y2C2G Y2C2G Y2C2G":                                   false,
		"ab2ab2ab2ab2ab2ab2ab2":                               false, // one word repeated
		"ab cd ab cd ab cd":                                   false, // two
		"💊💊💊💊 i am":                                           false, // one word
		"ab 2 cd 3 ef 4 g 5 h":                                false, // more numbers and letters than words
		"gonna kms fr":                                        true,
		"💊💊💊 30 of my pills":                                  true,
		"ive got the razor blades out and i want to use them": true,
		"the train comes past at 11:40 and doesn't stop here": true,
	} {
		var n normaliser
		n.run(s)
		if got := wordy(&n); got != want {
			t.Errorf("wordy(%q) = %v, want %v (normalised %q)", s, got, want, n.buf)
		}
	}
}

// TestModelCarried: a crisis the model raised has no signals; a message
// that carries it on (crisis_ongoing) names the model among the earlier,
// whether the classifier reading it has the model or not, and one after a
// crisis of the rules does not.
func TestModelCarried(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	l := withModel(t)
	for _, cl := range []*Classifier{NewClassifier(l), NewClassifier(l.WithoutModel())} {
		r := Recent{}.Add(Verdict{Risk: RiskCrisis, Rule: RuleModel, ModelVersion: ModelVersion}, t0)
		if !r.Entries[0].Model {
			t.Fatalf("entry %+v does not record the model", r.Entries[0])
		}
		v := cl.ClassifyIn("please", r, t0.Add(time.Minute))
		if v.Rule != RuleCrisisOngoing || !reflect.DeepEqual(v.Earlier, []string{RuleModel}) || !v.Context {
			t.Fatalf("after the model's crisis: %+v", v)
		}
		r = Recent{}.Add(Verdict{Risk: RiskCrisis, Rule: RuleActiveIdeation, Signals: []string{"plan"}}, t0)
		if v := cl.ClassifyIn("please", r, t0.Add(time.Minute)); v.Rule != RuleCrisisOngoing || slices.Contains(v.Earlier, RuleModel) {
			t.Fatalf("after the rules' crisis: %+v", v)
		}
	}
}
