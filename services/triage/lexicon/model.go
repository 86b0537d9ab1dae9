package lexicon

// The learned second opinion (issue 12): a logistic regression over hashed
// features of the normalised text, trained on writers the rules were tuned
// on and chosen by how it does on writers it was not trained on (see
// doc.go, "A learned second opinion"). It only raises: a message the rules
// did not judge a crisis is a crisis, rule RuleModel, when the model's
// probability reaches the threshold stored with its weights.

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"
)

// ModelVersion names the shipped weights (data/model.bin) and the features
// they were trained on; every verdict of a classifier with the model
// records it. Bump it with every retrain or change to modelFeatures, and
// add its line to data/versions.sum.
const ModelVersion = "2026.12.7.2"

// RuleModel is the rule of a verdict the model raised to crisis.
const RuleModel = "model"

// modelMinFeatures: a message of fewer features is left to the rules. A
// few features make a poor bag, and over the root of their number the
// logit of so few weights swings: replies of a letter or three ("Y",
// "Y2C") were raised. Three short words ("gonna kms fr") have some 25.
const modelMinFeatures = 16

// modelMinWords: a message with fewer distinct words of two or more
// letters (not a number, a single letter or an emoji) is left to the rules,
// as is one in which such words are fewer than its numbers and single
// letters. The
// model learnt from messages people write, which are mostly words; a
// string of digits and capitals ("00A2A12A2A2A...", normalised "#s a #m a
// ...") gives it numbers' and single letters' features it only ever saw
// beside words, and repeating one word ("ab2ab2ab2...") counts the same
// few features again and again, and FuzzClassify found both raised. Three
// is what the shortest bag it reads holds anyway (modelMinFeatures: "gonna
// kms fr"), so the guard costs a real message nothing it would have had.
const modelMinWords = 3

// modelBits: features are hashed into 1<<modelBits weights of one byte
// (32 KB, within a core's L1 data cache).
const (
	modelBits    = 15
	modelBuckets = 1 << modelBits
)

// modelMagic starts data/model.bin: then the scale, the bias and the
// threshold as little-endian float32 (the weight w is stored as
// round(w*scale); bias and threshold are logits), then the weights.
var modelMagic = [4]byte{'H', 'L', 'M', '2'}

const modelHeader = 4 + 3*4

//go:embed data/model.bin
var shippedModel []byte

// model is a trained linear model over hashed features.
type model struct {
	w []int8
	// scale: a stored weight is the weight times scale.
	scale float32
	// bias is the logit of an empty message; thr the logit from which a
	// message is raised.
	bias, thr float32
}

// parseModel reads weights as encode writes them.
func parseModel(data []byte) (*model, error) {
	if len(data) != modelHeader+modelBuckets || [4]byte(data[:4]) != modelMagic {
		return nil, errors.New("model weights: wrong size or magic")
	}
	f := func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(data[4+4*i:])) }
	m := &model{w: make([]int8, modelBuckets), scale: f(0), bias: f(1), thr: f(2)}
	if !(m.scale > 0) || math.IsNaN(float64(m.bias)) || math.IsNaN(float64(m.thr)) {
		return nil, errors.New("model weights: bad header")
	}
	for i, b := range data[modelHeader:] {
		m.w[i] = int8(b)
	}
	return m, nil
}

// encode writes m in the format of data/model.bin.
func (m *model) encode() []byte {
	out := slices.Clone(modelMagic[:])
	for _, x := range []float32{m.scale, m.bias, m.thr} {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	for _, w := range m.w {
		out = append(out, byte(w))
	}
	return out
}

// modelFeatures appends to out the bucket of every feature of n's text:
// each word, each pair of adjacent words, and each group of three and of
// four letters inside a word padded with a space at each end (" pils "
// gives " pi", "pil", "ils", "ls ", " pil", "pils", "ils "), so that an
// inflection, a misspelling or an obfuscation of a known word still shares
// most of its features. A feature found twice counts twice. A word of one
// letter has none, and pairs skip it: letters spelled out ("k i l l")
// are the rules' second pass, and as features they taught the model that
// single letters are a crisis ("Y2C2G" was raised). With words
// non-nil, it appends to *words the index of the word each feature belongs
// to (a pair: its second word). The model's logit reads the same features
// without listing them (logitOf, which TestModelFeaturesAgree holds to
// this).
func modelFeatures(n *normaliser, out []uint32, words *[]int32) []uint32 {
	buf := n.buf
	var prev uint64
	for wi, s := range n.words {
		if buf[s+1] == ' ' {
			continue // a word of one letter (see modelFeatures)
		}
		from := len(out)
		// One pass from the space before the word to the one after it:
		// x holds the last four bytes, h the word's hash.
		x, h := uint64(' '), uint64(fnvOffset)
		for j := int(s); j < len(buf); j++ {
			c := buf[j]
			x = x<<8 | uint64(c)
			if j-int(s) >= 1 {
				out = append(out, gram3Bucket(x))
				if j-int(s) >= 2 {
					out = append(out, gram4Bucket(x))
				}
			}
			if c == ' ' {
				break
			}
			h = (h ^ uint64(c)) * fnvPrime
		}
		out = append(out, modelBucket(h))
		if prev != 0 {
			out = append(out, pairBucket(prev, h))
		}
		prev = h
		if words != nil {
			for range len(out) - from {
				*words = append(*words, int32(wi))
			}
		}
	}
	return out
}

// logitOf returns the model's logit for n's text: the bias plus the sum of
// the weights of its features (modelFeatures) over the root of their
// number, so that a long message weighs no more than a short one. It reads
// the features as modelFeatures lists them, without listing them: it runs
// on every message the rules do not judge a crisis. It also returns the
// number of features.
func (m *model) logitOf(n *normaliser) (float32, int) {
	w := (*[modelBuckets]int8)(m.w)
	buf := n.buf
	var prev uint64
	var sum int32
	count := 0
	for _, s := range n.words {
		if buf[s+1] == ' ' {
			continue
		}
		// As modelFeatures, with the first letter (the word's first
		// letter group is the next byte's) read before the loop.
		c := buf[s]
		x, h := uint64(' ')<<8|uint64(c), (uint64(fnvOffset)^uint64(c))*fnvPrime
		j := int(s) + 1
		for ; j < len(buf); j++ {
			c := buf[j]
			x = x<<8 | uint64(c)
			sum += int32(w[gram3Bucket(x)])
			if j-int(s) >= 2 {
				sum += int32(w[gram4Bucket(x)])
			}
			if c == ' ' {
				break
			}
			h = (h ^ uint64(c)) * fnvPrime
		}
		// A word of L letters has L groups of three and L-1 of four, and
		// itself.
		count += 2 * (j - int(s))
		sum += int32(w[modelBucket(h)])
		if prev != 0 {
			sum += int32(w[pairBucket(prev, h)])
			count++
		}
		prev = h
	}
	return m.combine(sum, count), count
}

// logit returns the model's logit for listed features (see logitOf).
func (m *model) logit(f []uint32) float32 {
	var sum int32
	for _, b := range f {
		sum += int32(m.w[b&(modelBuckets-1)])
	}
	return m.combine(sum, len(f))
}

func (m *model) combine(sum int32, count int) float32 {
	if count == 0 {
		return m.bias
	}
	return m.bias + float32(float64(sum)/float64(m.scale)/math.Sqrt(float64(count)))
}

func pairBucket(prev, h uint64) uint32 { return modelBucket(prev*0x100000001B3 ^ h) }

// A letter group is its bytes packed into an integer (x: the last four
// bytes read), its length set above them, hashed by one multiplication.
func gram3Bucket(x uint64) uint32 { return modelBucket(x&0xFFFFFF | 3<<32) }
func gram4Bucket(x uint64) uint32 { return modelBucket(x&0xFFFFFFFF | 4<<32) }

func modelBucket(h uint64) uint32 {
	return uint32((h*0x9E3779B97F4A7C15)>>(64-modelBits)) & (modelBuckets - 1)
}

// raise returns v raised to crisis by the classifier's model when v is
// short of crisis and the model's logit for the message reaches its
// threshold; otherwise v. The raised verdict keeps the rules' signals and
// matches and adds the model's (see explain). It does not allocate unless
// it raises.
func (cl *Classifier) raise(sc *scratch, v Verdict) Verdict {
	m := cl.model
	if m == nil || v.Risk == RiskCrisis {
		return v
	}
	// A message in which the lexicon knows no word at all is no message
	// the model has learnt to read ("Y2C2C" was raised): it stays the
	// rules'.
	if len(sc.hits) == 0 {
		return v
	}
	n := &sc.n[0]
	if !wordy(n) {
		return v
	}
	if heldOnly(v) {
		return v
	}
	z, count := m.logitOf(n)
	if z < m.thr || count < modelMinFeatures {
		return v
	}
	out := v
	out.Risk, out.Rule = RiskCrisis, RuleModel
	own := m.explain(n, z, cl.language(sc))
	rules := v.Matches[:min(len(v.Matches), MaxMatches-len(own))]
	out.Matches = append(slices.Clone(rules), own...)
	slices.SortStableFunc(out.Matches, func(a, b Match) int { return a.Start - b.Start })
	return out
}

// heldOnly reports whether the rules read the message's risk words and
// set them aside: they found signals and held every one of them (negated,
// past, someone else's, in a story or the news) and raised none, or they
// read the words as an idiom (rule idiom_suppressed: "je veux en finir
// avec ces devoirs ce soir"). The model, a bag of features that reads no
// person, negation, time or figure of speech, does not overrule that
// reading ("no pienso en quitarme la vida, pienso en cambiar de carrera",
// "my dad ... said he's been thinking about ending it"). Chosen by
// TestModelLeaveOneWriterOut: at the same budget it added fewer false
// crises on a new writer and lost no recall (see doc.go).
func heldOnly(v Verdict) bool {
	return len(v.Held) > 0 && len(v.Signals) == 0 || v.Rule == RuleIdiomSuppressed
}

// wordy reports whether n's text is made of words (see modelMinWords): at
// least modelMinWords distinct words of two or more letters, and such words
// at least as many as its numbers and single letters (emoji count for
// neither: "💊💊💊 30 of my pills" is words). It does not allocate.
func wordy(n *normaliser) bool {
	buf := n.buf
	var seen [modelMinWords][]byte
	words, others, distinct := 0, 0, 0
	for _, s := range n.words {
		w := buf[s:]
		if e := bytes.IndexByte(w, ' '); e >= 0 {
			w = w[:e]
		}
		if len(w) == 0 || w[0] == '#' || len(w) == 1 {
			others++ // a number or a letter
			continue
		}
		if utf8.RuneCount(w) < 2 {
			continue // an emoji or a symbol: neither
		}
		words++
		known := false
		for _, x := range seen[:distinct] {
			known = known || bytes.Equal(x, w)
		}
		if !known && distinct < modelMinWords {
			seen[distinct] = w
			distinct++
		}
	}
	return distinct >= modelMinWords && words >= others
}

// modelExplained is the most words a raised verdict lists.
const modelExplained = 3

// explain lists the words of the client's text whose features weighed most
// towards the crisis (at most modelExplained, with a positive weight), one
// match each over the word: category and kind "model", weight 1, term
// "model <version> p=<probability>" (the lexicon's words, never the
// client's: the client's are the match's span).
func (m *model) explain(n *normaliser, z float32, lang string) []Match {
	var words []int32
	feats := modelFeatures(n, nil, &words)
	weights := make([]int32, len(n.words))
	for i, b := range feats {
		weights[words[i]] += int32(m.w[b&(modelBuckets-1)])
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(weights[b] - weights[a]) })
	p := 1 / (1 + math.Exp(-float64(z)))
	term := fmt.Sprintf("model %s p=%.2f", ModelVersion, p)
	if lang == "" {
		lang = "und"
	}
	var out []Match
	for _, wi := range order {
		if len(out) == modelExplained || weights[wi] <= 0 {
			break
		}
		sp := n.spans[wi]
		out = append(out, Match{Term: term, Category: RuleModel, Language: lang, Weight: 1, Kind: RuleModel,
			Start: int(sp.start), End: int(sp.end)})
	}
	if len(out) == 0 {
		out = append(out, Match{Term: term, Category: RuleModel, Language: lang, Weight: 1, Kind: RuleModel})
	}
	return out
}
