package lexicon

import (
	"math"
	"math/rand/v2"
)

// TrainingItem is one labelled message the model learns from: the
// message, whether it is a crisis, and the signals it carries (the
// labelling guide's names).
type TrainingItem struct {
	Text    string
	Crisis  bool
	Signals []string
	// Recent are the signals the rules raised in the conversation's
	// earlier messages (the item's context), if any.
	Recent []string
}

// Training settings: fixed, so that a run gives the same weights.
const (
	trainEpochs = 30
	trainRate   = 3
	trainL2     = 1e-4
	trainSeed   = 20261207
)

// TrainModel trains the per-signal model on items and returns its weights
// in the committed format (data/model.bin). A signal's positives are the
// crisis items carrying it; every other item is a negative for it, so the
// model learns "a crisis with this signal", not the signal's words alone.
// It is deterministic: plain stochastic gradient descent on the logistic
// loss with L2, in an order shuffled by a fixed seed.
func TrainModel(items []TrainingItem) []byte { return trainModel(items).encode() }

// trainConfig are the training settings; defaultTraining is what
// TrainModel uses.
type trainConfig struct {
	epochs   int
	rate, l2 float64
	norm     bool // scale a message's features by one over the root of their number
}

var defaultTraining = trainConfig{epochs: trainEpochs, rate: trainRate, l2: trainL2, norm: true}

func trainModel(items []TrainingItem) *model { return trainModelWith(items, defaultTraining) }

func trainModelWith(items []TrainingItem, cfg trainConfig) *model {
	feats := make([][]uint32, len(items))
	ys := make([]signalSet, len(items))
	var n normaliser
	for i, it := range items {
		n.run(it.Text)
		features(&n, setOf(it.Recent), func(b uint32, _, _ int32) { feats[i] = append(feats[i], b) })
		if it.Crisis {
			ys[i] = setOf(it.Signals)
		}
	}
	w := make([]float64, modelBuckets*modelWidth)
	var bias [numSignals]float64
	rng := rand.New(rand.NewPCG(trainSeed, trainSeed))
	for epoch := range cfg.epochs {
		rate := cfg.rate / (1 + float64(epoch)/10)
		for _, i := range rng.Perm(len(items)) {
			x := 1.0
			if cfg.norm {
				x = 1 / math.Sqrt(float64(len(feats[i])))
			}
			for s := range signal(numSignals) {
				z := 0.0
				for _, b := range feats[i] {
					z += w[int(b)*modelWidth+int(s)]
				}
				z = bias[s] + float64(z*x)
				g := 1 / (1 + math.Exp(-z))
				if ys[i].has(s) {
					g -= 1
				}
				bias[s] -= float64(rate * g)
				for _, b := range feats[i] {
					k := int(b)*modelWidth + int(s)
					w[k] -= float64(rate * float64(float64(g*x)+float64(cfg.l2*w[k])))
				}
			}
		}
	}
	m := &model{w: make([]int8, len(w)), blockers: modelBlockers, blockersBut: modelBlockersButHarm}
	for k, x := range w {
		m.w[k] = int8(max(-127, min(127, math.Round(x*modelScale))))
	}
	for s, x := range bias {
		m.bias[s] = int32(math.Round(x * modelScale))
	}
	m.setThreshold(modelThreshold)
	return m
}
