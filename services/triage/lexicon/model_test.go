package lexicon

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// modelCorpora are the corpora the model is trained on, as trainmodel
// reads them: the development corpus and its batches, never the validation
// or frozen corpora.
func modelCorpora(t testing.TB) []string {
	t.Helper()
	batches, err := filepath.Glob("testdata/batches/*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(batches)
	return append([]string{devCorpus}, batches...)
}

// trainingItems are a corpus's items as the trainer reads them, each with
// the signals cl raises in its context.
func trainingItems(cl *Classifier, set []labelled) []TrainingItem {
	out := make([]TrainingItem, 0, len(set))
	for _, l := range set {
		out = append(out, TrainingItem{Text: l.Text, Crisis: l.Label == RiskCrisis, Signals: l.Signals,
			Recent: recentSignals(cl, l.Context).names()})
	}
	return out
}

// recentSignals are the signals cl raises in context, read as judge reads
// an item's context.
func recentSignals(cl *Classifier, context []string) signalSet {
	var s signalSet
	var r Recent
	at := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	for _, m := range context {
		v := cl.ClassifyIn(m, r, at)
		r = r.Add(v, at)
		s |= setOf(v.Signals)
		at = at.Add(time.Minute)
	}
	return s
}

var trained struct {
	once  sync.Once
	items []TrainingItem
	m     *model
}

// trainedModel is the model trained on the development corpora, once per
// test binary.
func trainedModel(t testing.TB) *model {
	t.Helper()
	trained.once.Do(func() {
		for _, p := range modelCorpora(t) {
			trained.items = append(trained.items, trainingItems(defaultClassifier(t), readCorpus(t, p))...)
		}
		trained.m = trainModel(trained.items)
	})
	return trained.m
}

// withModel is the shipped lexicon's classifier with m as its backstop.
func withModel(t testing.TB, m *model) *Classifier {
	t.Helper()
	cl := defaultClassifier(t)
	cl.model = m
	return cl
}

func TestModelTrainingIsDeterministic(t *testing.T) {
	m := trainedModel(t)
	again := TrainModel(trained.items)
	if !bytes.Equal(again, m.encode()) {
		t.Fatal("two trainings on the same items gave different weights")
	}
	back, err := parseModel(again, modelThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.encode(), again) || back.thr != m.thr {
		t.Error("weights read back differ from those written")
	}
	if _, err := parseModel(again[:len(again)-1], modelThreshold); err == nil {
		t.Error("truncated weights were accepted")
	}
}

// TestModelBackstopExplains: a message the rules judge short of crisis and
// the model reads as one is a crisis decided by a named rule, with the
// model's matches spanning the client's words; a story, a joke or the
// past keeps the model silent, and without a model nothing changes. The
// model is trained on a few messages written here, so that the test is
// about the backstop, not about what the corpora teach.
func TestModelBackstopExplains(t *testing.T) {
	const text = "thinking about how id do it every single night"
	var items []TrainingItem
	for range 20 {
		items = append(items, TrainingItem{Text: text, Crisis: true, Signals: []string{SignalActiveIdeation}})
		for _, calm := range []string{"can i change my appointment to thursday", "money is tight this month",
			"every single night the neighbours play music", "how do i fill in this form"} {
			items = append(items, TrainingItem{Text: calm})
		}
	}
	plain := defaultClassifier(t)
	cl := withModel(t, trainModel(items))
	before, after := plain.Classify(text), cl.Classify(text)
	if before.Risk == RiskCrisis {
		t.Fatalf("the rules alone judge %q crisis: choose another message the model must catch", text)
	}
	if after.Risk != RiskCrisis || after.Rule == RuleNoMatch {
		t.Fatalf("with the model: %s by %q, want crisis by a rule", after.Risk, after.Rule)
	}
	if calm := "can i change my appointment to thursday"; cl.Classify(calm).Risk != RiskNone {
		t.Errorf("%q: %s with the model, want none", calm, cl.Classify(calm).Risk)
	}
	var model []Match
	for _, m := range after.Matches {
		if m.Kind == "model" {
			model = append(model, m)
		}
	}
	if len(model) == 0 {
		t.Fatalf("no match of kind model in %+v", after.Matches)
	}
	for _, m := range model {
		if !strings.HasPrefix(m.Term, "model "+ModelVersion+": "+m.Category+" ") || m.Weight != 1 ||
			m.Start < 0 || m.End <= m.Start || m.End > len(text) || strings.Contains(m.Term, text[m.Start:m.End]) {
			t.Errorf("model match %+v: want the signal and probability in the term, the client's words only in the span", m)
		}
		if !slices.Contains(after.Signals, m.Category) {
			t.Errorf("model match of %s, but the verdict's signals are %v", m.Category, after.Signals)
		}
	}
	for _, framed := range []string{
		"in my novel the hero is " + text,
		"lol " + text,
		"years ago i was " + text + " but i'm fine now",
	} {
		if got, want := cl.Classify(framed), plain.Classify(framed); got.Risk != want.Risk || got.Rule != want.Rule {
			t.Errorf("%q: %s by %s with the model, %s by %s without", framed, got.Risk, got.Rule, want.Risk, want.Rule)
		}
	}
}
