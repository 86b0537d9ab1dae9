package lexicon

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// TrainingItem is one labelled message the model learns from: the message
// read with its context, whether it is a crisis, and who wrote it (items
// of one writer are held out together when the threshold is chosen).
type TrainingItem struct {
	Text    string
	Context []string
	Crisis  bool
	Writer  string
}

// Training settings: fixed, so that a run gives the same weights.
const (
	trainEpochs = 12
	trainRate   = 2.0
	trainL2     = 1e-5
	trainSeed   = 20261207
	// ModelBudget is the share of calm messages (labelled none or
	// elevated) the model may add as false crises on writers it was not
	// trained on: the threshold is the lowest whose added false crises,
	// out of fold, stay within it. 0.003, not 0.005 as at ModelVersion
	// 2026.12.7.1: chosen by TestModelLeaveOneWriterOut as the largest
	// budget at which the false crises the model added on a held-out
	// writer stayed within 0.005 of calm, pooled, and took no writer's
	// false-crisis rate past 0.03 where the rules' was within it (at
	// 0.005 g-en went from 0.025 to 0.045; see doc.go).
	ModelBudget = 0.003
)

// trainSet is a corpus prepared for training: each item's features, its
// label, the rules' verdict (crisis or not) and its writer.
type trainSet struct {
	feats  [][]uint32
	crisis []bool
	rules  []bool
	writer []string
	key    []string // the item's language-free identity: text and context
	// short: the message has fewer than modelMinFeatures features, no
	// word the lexicon knows, is not made of words (wordy) or the rules
	// held all they found (heldOnly), and the model never raises it
	// (raise).
	short []bool
	// ctx: the features of each context message the model may raise
	// (not short, and not a crisis of the rules): a crisis it raises
	// there is carried on to the message (crisis_ongoing), so a calm
	// message after it is a false crisis the model made.
	ctx [][][]uint32
}

// newTrainSet judges every item with the rules alone (cl has no model) as
// the service would, context first, and extracts its features.
func newTrainSet(cl *Classifier, items []TrainingItem) *trainSet {
	ts := &trainSet{}
	n := normaliser{vocab: cl.c.vocab}
	for _, it := range items {
		at := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
		var r Recent
		var ctx [][]uint32
		for _, m := range it.Context {
			vm := cl.ClassifyIn(m, r, at)
			r = r.Add(vm, at)
			at = at.Add(time.Minute)
			if f, ok := cl.modelReads(&n, m); ok && vm.Risk != RiskCrisis && !heldOnly(vm) {
				ctx = append(ctx, f)
			}
		}
		v := cl.ClassifyIn(it.Text, r, at)
		f, ok := cl.modelReads(&n, it.Text)
		ts.feats = append(ts.feats, f)
		ts.short = append(ts.short, !ok || heldOnly(v))
		ts.ctx = append(ts.ctx, ctx)
		ts.crisis = append(ts.crisis, it.Crisis)
		ts.rules = append(ts.rules, v.Risk == RiskCrisis)
		ts.writer = append(ts.writer, it.Writer)
		ts.key = append(ts.key, strings.ToLower(strings.TrimSpace(it.Text))+"\x00"+strings.Join(it.Context, "\x00"))
	}
	return ts
}

// modelReads returns the features of text and whether the model may
// raise it (raise's guards: enough features, a word the lexicon knows,
// made of words).
func (cl *Classifier) modelReads(n *normaliser, text string) ([]uint32, bool) {
	known := cl.knowsAWord(text)
	n.run(text)
	f := modelFeatures(n, nil, nil)
	return f, known && len(f) >= modelMinFeatures && wordy(n)
}

// knowsAWord reports whether the lexicon finds any term or cue in text, as
// ClassifyIn's matcher does.
func (cl *Classifier) knowsAWord(text string) bool {
	sc := cl.pool.Get().(*scratch)
	sc.hits, sc.kinds = sc.hits[:0], 0
	sc.n[0].run(text)
	cl.collect(sc, 0)
	if sc.n[0].spaced {
		sc.n[1].run(text)
		cl.collect(sc, 1)
	}
	known := len(sc.hits) > 0
	for _, t := range sc.touched {
		sc.count[t] = 0
	}
	sc.touched = sc.touched[:0]
	cl.pool.Put(sc)
	return known
}

// floatModel is a model before quantisation.
type floatModel struct {
	w    []float32
	bias float64
}

func (m *floatModel) logit(f []uint32) float64 {
	if len(f) == 0 {
		return m.bias
	}
	z := 0.0
	for _, b := range f {
		z += float64(m.w[b])
	}
	return m.bias + z/math.Sqrt(float64(len(f)))
}

// train fits a model on the items use accepts, leaving out any whose text
// and context are also an item of held (a message two writers happened to
// write alike). Plain stochastic gradient descent on the logistic loss
// with L2, in an order shuffled by a fixed seed.
func (ts *trainSet) train(use func(i int) bool, held func(i int) bool) *floatModel {
	heldKeys := map[string]bool{}
	for i := range ts.key {
		if held(i) {
			heldKeys[ts.key[i]] = true
		}
	}
	var order []int
	for i := range ts.key {
		if use(i) && !heldKeys[ts.key[i]] {
			order = append(order, i)
		}
	}
	m := &floatModel{w: make([]float32, modelBuckets)}
	rng := rand.New(rand.NewPCG(trainSeed, 12))
	for ep := range trainEpochs {
		rate := trainRate / (1 + float64(ep)/4)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			f := ts.feats[i]
			if len(f) == 0 {
				continue
			}
			x := 1 / math.Sqrt(float64(len(f)))
			g := 1 / (1 + math.Exp(-m.logit(f)))
			if ts.crisis[i] {
				g--
			}
			m.bias -= rate * g * 0.1
			for _, b := range f {
				m.w[b] -= float32(rate * (g*x + trainL2*float64(m.w[b])))
			}
		}
	}
	return m
}

// outOfFold returns, for every item use accepts, its logit from a model
// trained on the other writers use accepts.
func (ts *trainSet) outOfFold(use func(i int) bool) (idx []int, z []float64) {
	var writers []string
	for i, w := range ts.writer {
		if use(i) && !slices.Contains(writers, w) {
			writers = append(writers, w)
		}
	}
	for _, w := range writers {
		in := func(i int) bool { return use(i) && ts.writer[i] == w }
		m := ts.train(func(i int) bool { return use(i) && ts.writer[i] != w }, in)
		for i := range ts.feats {
			if in(i) {
				idx = append(idx, i)
				z = append(z, ts.reach(m, i))
			}
		}
	}
	return idx, z
}

// reach returns the logit from which m raises item i or carries a
// crisis it raised on one of the item's context messages on to it: the
// highest of the message's logit and its context messages' (-Inf when
// the model may raise none of them). A context message's crisis is not
// always carried (crisis_ongoing holds a message that denies or says it
// is over), so this counts a carried false crisis rather than miss one.
func (ts *trainSet) reach(m *floatModel, i int) float64 {
	z := math.Inf(-1)
	if !ts.short[i] {
		z = m.logit(ts.feats[i])
	}
	for _, f := range ts.ctx[i] {
		z = max(z, m.logit(f))
	}
	return z
}

// threshold returns the lowest logit at which the model, raising the items
// of idx the rules did not judge a crisis, adds false crises to at most
// budget of the calm items among them. z is each item's reach: a calm
// item after a context message the model raised is one of its false
// crises too.
func (ts *trainSet) threshold(idx []int, z []float64, budget float64) float64 {
	calm := 0
	var falseZ []float64
	for k, i := range idx {
		if ts.crisis[i] {
			continue
		}
		calm++
		if !ts.rules[i] && !math.IsInf(z[k], -1) {
			falseZ = append(falseZ, z[k])
		}
	}
	// The allowed false crises are the highest-scoring calm items: the
	// threshold lies just above the first one past the allowance.
	slices.Sort(falseZ)
	slices.Reverse(falseZ)
	allowed := int(budget * float64(calm))
	if allowed >= len(falseZ) {
		return math.Inf(-1)
	}
	return math.Nextafter(falseZ[allowed], math.Inf(1))
}

// quantise returns m with weights of one byte and threshold thr.
func (m *floatModel) quantise(thr float64) *model {
	top := float32(0)
	for _, w := range m.w {
		top = max(top, float32(math.Abs(float64(w))))
	}
	scale := float32(127)
	if top > 0 {
		scale = 127 / top
	}
	q := &model{w: make([]int8, len(m.w)), scale: scale, bias: float32(m.bias), thr: float32(thr)}
	for i, w := range m.w {
		q.w[i] = int8(max(-127, min(127, math.Round(float64(w*scale)))))
	}
	return q
}

// TrainModel trains the model on items with l's rules beside it and
// returns its weights in the format of data/model.bin. The threshold is
// chosen out of fold: each writer's items are scored by a model trained on
// the others, and the threshold is the lowest at which the model adds
// false crises (on messages the rules did not judge a crisis, raised or
// carried on from a context message it raised) to at most ModelBudget of
// the calm ones. It is deterministic.
func TrainModel(l *Lexicon, items []TrainingItem) ([]byte, error) {
	if len(items) == 0 {
		return nil, errors.New("train model: no items")
	}
	ts := newTrainSet(NewClassifier(l.WithoutModel()), items)
	all := func(int) bool { return true }
	idx, z := ts.outOfFold(all)
	thr := ts.threshold(idx, z, ModelBudget)
	if math.IsInf(thr, -1) {
		return nil, errors.New("train model: no threshold keeps false crises within the budget")
	}
	return ts.train(all, func(int) bool { return false }).quantise(thr).encode(), nil
}
