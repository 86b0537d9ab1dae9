package lexicon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The measurements of the learned backstop (model.go). Each is run by
// hand, with an environment variable, and checks nothing: the figures they
// print are recorded in the README.

// modelThresholds are the probabilities the measurements compare.
var modelThresholds = []float64{0.5, 0.7, 0.8, 0.9, 0.95, 0.98}

// blockVariants are the designs of the modifiers that keep the model
// silent: any modifier, or the chosen one (someone else or a negation
// still lets harm from others through).
var blockVariants = []struct {
	name     string
	all, but uint32
}{
	{"any-modifier", modelBlockers | modelBlockersButHarm, 0},
	{"harm-through", modelBlockers, modelBlockersButHarm},
}

// folds splits set into k parts by position.
func folds(set []labelled, k, fold int) (train, test []labelled) {
	for i, it := range set {
		if i%k == fold {
			test = append(test, it)
		} else {
			train = append(train, it)
		}
	}
	return train, test
}

// alone reports whether m alone reads text as a crisis: any signal at its
// threshold.
func (m *model) alone(n *normaliser, text string, recent signalSet) Risk {
	n.run(text)
	z := m.logits(n, recent)
	for s := range z {
		if z[s] >= m.thr[s] {
			return RiskCrisis
		}
	}
	return RiskNone
}

func tallyRow(b *strings.Builder, name string, tl tally) {
	fmt.Fprintf(b, "\n  %-24s recall %.3f (%d/%d) false-crisis %.3f (%d/%d)", name, tl.recall(), tl.crisisHit, tl.crisis,
		tl.fcr(), tl.falseCrisis, tl.calm)
}

// TestModelCrossValidation measures the model on development data only:
// the corpora it is trained on, in five folds, each judged by the rules
// with a model trained on the other four. It prints crisis recall and
// false-crisis rate of the rules alone, of rules and model, and of the
// model alone, per threshold. The rules were tuned on all of these items,
// so the rules' own figures here are optimistic; the model alone says how
// well it generalises within the development data. Run with
// HELPLINE_TRIAGE_MODEL_CV=1.
func TestModelCrossValidation(t *testing.T) {
	if os.Getenv("HELPLINE_TRIAGE_MODEL_CV") != "1" {
		t.Skip("HELPLINE_TRIAGE_MODEL_CV=1 runs the cross-validation")
	}
	var set []labelled
	for _, p := range modelCorpora(t) {
		set = append(set, readCorpus(t, p)...)
	}
	const k = 5
	cl := defaultClassifier(t)
	var base tally
	with := make([]tally, len(modelThresholds))
	alone := make([]tally, len(modelThresholds))
	var n normaliser
	for fold := range k {
		train, test := folds(set, k, fold)
		cl.model = nil
		for _, it := range test {
			base.add(it.Label, judge(cl, it).Risk)
		}
		m := trainModel(trainingItems(cl, train))
		cl.model = m
		for j, p := range modelThresholds {
			m.setThreshold(p)
			for _, it := range test {
				with[j].add(it.Label, judge(cl, it).Risk)
				alone[j].add(it.Label, m.alone(&n, it.Text, recentSignals(cl, it.Context)))
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d items, %d folds", len(set), k)
	tallyRow(&b, "rules", base)
	for j, p := range modelThresholds {
		tallyRow(&b, fmt.Sprintf("rules+model p>=%.2f", p), with[j])
	}
	for j, p := range modelThresholds {
		tallyRow(&b, fmt.Sprintf("model alone p>=%.2f", p), alone[j])
	}
	t.Log(b.String())
}

// TestModelOnFreshBatches measures the model where the rules had not been
// tuned yet: each development batch (testdata/batches) was written before
// the lexicon change made from it, so it is judged here by the lexicon as
// it stood before that change (today's rule code over the older lexicon
// data), alone and with a model trained on every other development corpus.
// HELPLINE_TRIAGE_MODEL_HISTORY names a directory holding, under each
// batch's file name, the older lexicon's data directory, made from the
// repository's root with
//
//	for b in 590bc28:2026-12-07.jsonl 7b33891:2026-12-07b.jsonl 8128e30:2026-12-07c.jsonl \
//	  7f07aca:2026-12-07-esfr-a.jsonl 7f07aca:2026-12-07-esfr-b.jsonl 88f38ca:2026-12-07-esfr-c.jsonl \
//	  407f005:2026-12-07-esfr-d.jsonl 591f399:2026-12-07-esfr-e.jsonl 795091e:2026-12-07d.jsonl; do
//	  mkdir -p $DIR/${b#*:} && git archive ${b%%:*}^ services/triage/lexicon/data | tar -x -C $DIR/${b#*:} --strip-components=3
//	done
//
// A batch without its older lexicon there is left out, and said so.
func TestModelOnFreshBatches(t *testing.T) {
	dir := os.Getenv("HELPLINE_TRIAGE_MODEL_HISTORY")
	if dir == "" {
		t.Skip("HELPLINE_TRIAGE_MODEL_HISTORY names no directory of older lexicons")
	}
	paths := modelCorpora(t)
	for _, bv := range blockVariants {
		var base tally
		with := make([]tally, len(modelThresholds))
		for _, batch := range paths[1:] {
			at := filepath.Join(dir, filepath.Base(batch))
			if _, err := os.Stat(at); err != nil {
				t.Logf("%s left out: %v", batch, err)
				continue
			}
			old, err := FromFS(os.DirFS(at), "data")
			if err != nil {
				t.Fatal(err)
			}
			var train []labelled
			for _, p := range paths {
				if p != batch {
					train = append(train, readCorpus(t, p)...)
				}
			}
			cl := NewClassifier(old)
			test := readCorpus(t, batch)
			for _, it := range test {
				base.add(it.Label, judge(cl, it).Risk)
			}
			m := trainModel(trainingItems(cl, train))
			m.blockers, m.blockersBut = bv.all, bv.but
			cl.model = m
			for j, p := range modelThresholds {
				m.setThreshold(p)
				for _, it := range test {
					with[j].add(it.Label, judge(cl, it).Risk)
				}
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "blockers %s", bv.name)
		tallyRow(&b, "rules before each batch", base)
		for j, p := range modelThresholds {
			tallyRow(&b, fmt.Sprintf("rules+model p>=%.2f", p), with[j])
		}
		t.Log(b.String())
	}
}

// TestModelValidation prints the validation corpora's figures with the
// rules alone and with the model trained on the development corpora at
// modelThreshold: the measurement taken once per design, after the
// threshold was chosen on development data. Run with
// HELPLINE_TRIAGE_MODEL_VALIDATION=1.
func TestModelValidation(t *testing.T) {
	if os.Getenv("HELPLINE_TRIAGE_MODEL_VALIDATION") != "1" {
		t.Skip("HELPLINE_TRIAGE_MODEL_VALIDATION=1 measures the validation corpora")
	}
	plain, cl := defaultClassifier(t), withModel(t, trainedModel(t))
	for _, path := range validationCorpora {
		set := readCorpus(t, path)
		var b strings.Builder
		b.WriteString(path)
		tallyRow(&b, "rules", evaluate(plain, set).overall)
		tallyRow(&b, fmt.Sprintf("rules+model p>=%.2f", modelThreshold), evaluate(cl, set).overall)
		t.Log(b.String())
	}
}

// BenchmarkClassifyWithModel is BenchmarkClassifyVsRegexBaseline's
// classifier with the model as its backstop, on the short messages.
func BenchmarkClassifyWithModel(b *testing.B) {
	cl := withModel(b, trainedModel(b))
	msgs := benchSets(b)[1].msgs
	cpu := cpuTime()
	for b.Loop() {
		for _, m := range msgs {
			cl.Classify(m)
		}
	}
	reportCPU(b, len(msgs), cpuTime()-cpu)
}
