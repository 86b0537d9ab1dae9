package lexicon

// The learned backstop, an experiment of issue 12 that did not earn its
// place: it is not shipped (a Classifier's model is nil, and the backstop
// then returns the rules' verdict untouched). It is kept so that the
// experiment can be run again: testdata/tools/trainmodel trains it, and the
// tests in model_eval_test.go measure it (see the README, "Triage").
//
// The model is a per-signal logistic regression over hashed features of the
// normalised text: words, word pairs and letter groups inside words, so
// that an inflection, a misspelling or another word order of a known idea
// can still raise its signal; and the signals of the conversation's recent
// messages, alone and with each word ("already did" after ideation). It is trained on the development messages
// only (testdata/dev.jsonl and testdata/batches, never the validation or
// frozen corpora); a signal's positives are the crisis messages carrying
// it. Beside the rules it only adds: in a verdict short of crisis, in a
// message where the lexicon found none of the modifiers a bag of words
// cannot read (a story, the news, an idiom, a joke, everyday medicine, the
// past; someone else or a negation, except for harm from others), a
// signal whose probability reaches the threshold is raised (or confirmed)
// with the sub-kind of a crisis carrying it, and the rules over signals
// decide again. The verdict then lists a match per word that weighed most,
// category the signal, kind "model", term "model <version>: <signal> <p>".
//
// The features do not depend on the lexicon, so a change to a lexicon
// leaves trained weights valid and the model stays a second opinion the
// lexicon's words do not steer. Features from the lexicon's matches and
// cue classes were tried too: on the development batches judged by the
// lexicon as it stood before each was written, they added a third of what
// the text features add.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ModelVersion names the feature extraction and training; a match the
// model raised records it. Bump it with every change to either.
const ModelVersion = "2026.12.7-1"

// modelBits: the features are hashed into 1<<modelBits buckets, each with
// one weight per signal.
const (
	modelBits    = 15
	modelBuckets = 1 << modelBits
	// modelScale: a weight w is stored as round(w*modelScale) in an int8.
	modelScale = 32
	// modelWidth is the number of weights per bucket: one per signal.
	modelWidth = int(numSignals)
)

// Feature kinds, hashed first so that a word and a letter group of the
// same bytes are different features.
const (
	featWord   = 'w'
	featBigram = 'b'
	featGram3  = '3'
	featGram4  = '4'
	featRecent = 'r'
)

// model is a trained per-signal linear model.
type model struct {
	w    []int8 // bucket*modelWidth + signal
	bias [numSignals]int32
	// thr: a signal fires when its logit times modelScale (see logits)
	// is at least thr.
	thr [numSignals]float64
	// threshold is the probability thr stands for, for the explanation.
	threshold float64
	// blockers: term kinds that, found anywhere in a message, keep the
	// model silent; blockersBut: term kinds that keep it silent except
	// for harm_from_others.
	blockers, blockersBut uint32
}

// modelThreshold is the probability from which a signal is raised. It
// was chosen on development data only (TestModelCrossValidation,
// TestModelOnFreshBatches), never on the validation or frozen corpora.
const modelThreshold = 0.95

// modelMagic starts the weights trainmodel writes.
var modelMagic = []byte("HLM1")

// parseModel reads weights written by encode, with the threshold p.
func parseModel(data []byte, p float64) (*model, error) {
	head := len(modelMagic) + 4*modelWidth
	if len(data) != head+modelBuckets*modelWidth || !bytes.HasPrefix(data, modelMagic) {
		return nil, errors.New("model weights: wrong size or magic")
	}
	m := &model{w: make([]int8, modelBuckets*modelWidth), blockers: modelBlockers, blockersBut: modelBlockersButHarm}
	for s := range numSignals {
		m.bias[s] = int32(binary.LittleEndian.Uint32(data[len(modelMagic)+4*int(s):]))
	}
	for i, b := range data[head:] {
		m.w[i] = int8(b)
	}
	m.setThreshold(p)
	return m, nil
}

func (m *model) setThreshold(p float64) {
	m.threshold = p
	t := math.Log(p/(1-p)) * modelScale
	for s := range m.thr {
		m.thr[s] = t
	}
}

// encode writes m as trainmodel does: magic, the biases as
// little-endian int32, then the weights bucket by bucket.
func (m *model) encode() []byte {
	out := slices.Clone(modelMagic)
	for _, b := range m.bias {
		out = binary.LittleEndian.AppendUint32(out, uint32(b))
	}
	for _, w := range m.w {
		out = append(out, byte(w))
	}
	return out
}

func fnvAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func bucketOf(h uint64) uint32 { return uint32((h * 0x9E3779B97F4A7C15) >> (64 - modelBits)) }

// features calls fn with the bucket of every feature of n's normalised
// text and the span in the original text it came from: each word, each
// pair of adjacent words (spanning both), and each group of three and of
// four letters inside a word padded with a space at each end (" pils "
// gives " pi", "pil", "ils", "ls ", " pil", "pils", "ils "). A feature
// found twice counts twice.
func features(n *normaliser, recent signalSet, fn func(b uint32, os, oe int32)) {
	buf := n.buf
	prevS, prevE := int32(-1), int32(-1)
	for _, s := range n.words {
		e := s
		for int(e) < len(buf) && buf[e] != ' ' {
			e++
		}
		os, oe := n.off[s].start, n.off[e-1].end
		w := buf[s:e]
		fn(bucketOf(fnvAdd(fnvByte(fnvOffset, featWord), w)), os, oe)
		if prevS >= 0 {
			h := fnvAdd(fnvByte(fnvOffset, featBigram), buf[prevS:prevE])
			fn(bucketOf(fnvAdd(fnvByte(h, ' '), w)), n.off[prevS].start, oe)
		}
		prevS, prevE = s, e
		padded := buf[s-1 : e+1]
		for i := 0; i+3 <= len(padded); i++ {
			fn(bucketOf(fnvAdd(fnvByte(fnvOffset, featGram3), padded[i:i+3])), os, oe)
			if i+4 <= len(padded) {
				fn(bucketOf(fnvAdd(fnvByte(fnvOffset, featGram4), padded[i:i+4])), os, oe)
			}
		}
	}
	// The conversation: each signal of its recent messages, alone and
	// with each word ("already did" after ideation), spanning no word.
	for g := range signal(numSignals) {
		if !recent.has(g) {
			continue
		}
		h := fnvByte(fnvByte(fnvOffset, featRecent), byte(g))
		fn(bucketOf(h), -1, -1)
		for _, s := range n.words {
			e := s
			for int(e) < len(buf) && buf[e] != ' ' {
				e++
			}
			fn(bucketOf(fnvAdd(fnvByte(h, featWord), buf[s:e])), n.off[s].start, n.off[e-1].end)
		}
	}
}

// logits returns each signal's logit, times modelScale, for n's text: the
// bias plus the sum of the weights of its features over the root of their
// number, so that a long message weighs no more than a short one.
func (m *model) logits(n *normaliser, recent signalSet) [numSignals]float64 {
	var sum [numSignals]int32
	count := 0
	features(n, recent, func(b uint32, _, _ int32) {
		w := m.w[int(b)*modelWidth : int(b)*modelWidth+modelWidth : int(b)*modelWidth+modelWidth]
		for s := range sum {
			sum[s] += int32(w[s])
		}
		count++
	})
	var z [numSignals]float64
	x := 1.0
	if count > 0 {
		x = 1 / math.Sqrt(float64(count))
	}
	for s := range z {
		z[s] = float64(m.bias[s]) + float64(float64(sum[s])*x)
	}
	return z
}

// modelBlockers are the term kinds that, found anywhere in a message, keep
// the model silent: the lexicon knows the message is a story, the news, an
// idiom, a joke, everyday medicine, or over, which a bag of words cannot
// tell. modelBlockersButHarm keep it silent except for harm_from_others:
// someone else named ("he", "my dad") is what harm from others is about,
// while a negation or someone else's ideation is not the writer's crisis.
const (
	modelBlockers        = 1<<tkResolved | 1<<tkMedical | 1<<tkHypothetical | 1<<tkMedia | 1<<tkIdiom | 1<<tkJoke | 1<<tkPast
	modelBlockersButHarm = 1<<tkThird | 1<<tkNegation
)

// modelKind is the sub-kind a signal the model raised counts as: what the
// model was trained to recognise is a crisis carrying the signal, so a
// method is a prepared one and a farewell a final one; the others are the
// signal's default.
var modelKind = func() (k [numSignals]subKind) {
	k = defaultKind
	k[sigMethod], k[sigPrep], k[sigHarm] = kindPrepared, kindFinal, kindThreat
	return k
}()

// backstop returns v with the signals the model raises added, decided
// again by the rules, when v is short of crisis; otherwise v unchanged.
// It does not allocate unless the model raises a signal.
func (cl *Classifier) backstop(sc *scratch, conv conversation, v Verdict) Verdict {
	m := cl.model
	if m == nil || v.Risk == RiskCrisis || uint32(sc.kinds)&m.blockers != 0 || len(v.Held) > 0 {
		return v
	}
	only := ^signalSet(0)
	if uint32(sc.kinds)&m.blockersBut != 0 {
		only = signalSet(0).with(sigHarm)
	}
	z := m.logits(&sc.n[0], conv.signals)
	// A signal the rules raised already may be confirmed: it then counts
	// with the model's sub-kind too (a named means the model reads as a
	// crisis's method is a prepared one).
	var fired signalSet
	for s := range z {
		if z[s] >= m.thr[s] && only.has(signal(s)) {
			fired = fired.with(signal(s))
		}
	}
	if fired == 0 {
		return v
	}
	f := &sc.f
	if v.Matches == nil && v.Rule == RuleNoMatch {
		// decide did not run, or raised nothing: the modifiers only.
		*f = facts{recent: conv.signals}
		for _, h := range sc.hits {
			switch h.kind {
			case tkTime:
				f.time = true
			case tkSoon:
				f.soon = true
			}
		}
	}
	for s := range signal(numSignals) {
		if fired.has(s) {
			f.raised = f.raised.with(s)
			f.kinds |= 1 << modelKind[s]
		}
	}
	risk, rule, ctx := decideRisk(f, conv.repeated)
	if risk == v.Risk {
		return v
	}
	out := v
	out.Risk, out.Rule, out.Context = risk, rule, ctx || v.Context
	out.Signals = f.raised.names()
	out.Score = float64(popcount(uint8(f.raised)))
	out.Matches = append(slices.Clone(v.Matches), m.explain(&sc.n[0], conv.signals, fired, z, cl.language(sc))...)
	return out
}

// explain lists, for each signal in fired, the client's words that weighed
// most for it (at most three, listed in text order), one match each: category
// the signal, kind "model", term "model <version>: <signal> <probability>"
// (never the client's words: they are the match's span).
func (m *model) explain(n *normaliser, recent, fired signalSet, z [numSignals]float64, lang string) []Match {
	type contrib struct {
		w      int32
		os, oe int32
	}
	var out []Match
	for s := range signal(numSignals) {
		if !fired.has(s) {
			continue
		}
		// The weight of each word of the client's text: its own
		// feature's and its letter groups'; a pair of words counts
		// towards its second word.
		var cs []contrib
		features(n, recent, func(b uint32, os, oe int32) {
			w := int32(m.w[int(b)*modelWidth+int(s)])
			if oe < 0 {
				return
			}
			for i := range cs {
				if cs[i].oe == oe {
					cs[i].w += w
					cs[i].os = min(cs[i].os, os)
					return
				}
			}
			cs = append(cs, contrib{w, os, oe})
		})
		slices.SortStableFunc(cs, func(a, b contrib) int { return int(b.w - a.w) })
		p := 1 / (1 + math.Exp(-z[s]/modelScale))
		term := fmt.Sprintf("model %s: %s %.2f", ModelVersion, signalNames[s], p)
		listed := 0
		for _, c := range cs {
			if listed == 3 || c.w <= 0 {
				break
			}
			out = append(out, Match{Term: term, Category: signalNames[s], Language: lang, Weight: 1, Kind: "model",
				Start: int(c.os), End: int(c.oe)})
			listed++
		}
		if listed == 0 {
			out = append(out, Match{Term: term, Category: signalNames[s], Language: lang, Weight: 1, Kind: "model"})
		}
	}
	slices.SortStableFunc(out, func(a, b Match) int { return a.Start - b.Start })
	return out
}
