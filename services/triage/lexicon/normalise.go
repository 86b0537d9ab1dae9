package lexicon

import (
	"strings"
	"unicode/utf8"
)

// The normaliser turns text into the form the lexicon is matched in: words
// of folded letters separated by single spaces, with a space at each end, so
// that a phrase padded with spaces matches only whole words. The same
// normaliser compiles the lexicon, so any folding is applied identically to
// the terms and to the client's text.
//
// Its rules, in the order a character meets them:
//
//   - Compatibility decomposition (NFKD) and removal of combining marks:
//     "ｋｉｌｌ" and "𝐤𝐢𝐥𝐥" become "kill", "désespérée" becomes "desesperee".
//   - Lower case, and Cyrillic and Greek look-alikes read as Latin letters.
//   - Zero-width and format characters, variation selectors and emoji skin
//     tones vanish without splitting a word: "ki\u200bll" is "kill".
//   - Letters repeated in a row collapse to one, in the lexicon as in the
//     input: "kiiiilll" and "kill" both become "kil", "sooo" becomes "so".
//   - Leetspeak inside a word: 0→o 1→i 3→e 4→a 5→s 7→t, "$" before a letter
//     is "s", "@" next to a letter is "a", "!" between letters is "i". A word
//     may start with 0, 1 or 3 read as a letter only when three letters
//     follow ("0verdose"), so "3am" and "1st" stay numbers.
//   - A "*" inside a word is a masked letter: "k*ll", "su**ide". The
//     classifier resolves a masked word to the lexicon word it can only be
//     (see vocabulary); Normalise alone keeps the "*".
//   - "|" inside a word is "l"; "€" is "e".
//   - A number becomes one of three tokens by its value: "#s" (0–4), "#f"
//     (5–9), "#m" (10 and more), so "30 pills" is "#m pils". Digits directly
//     followed by letters are split from them: "500mg" is "#m mg".
//   - Every other character (punctuation, apostrophes, hyphens, symbols)
//     separates words; so "don't" is "don t", and the lexicon says the same.
//   - An emoji is a word of its own: "💊💊" is two words.
//   - In the second pass only (see join), a run of single letters is joined
//     into one word: "k i l l  m y s e l f" becomes "kilmyself", which the
//     lexicon also holds as the joined form of "kill myself"; and a dot,
//     dash or underscore between two letters joins them: "sui-cide" and
//     "s.u.i.c.i.d.e" become "suicide".
//   - Sentence ends (". ! ? ; :" and new lines) are not written, but each
//     word records the sentence it is in.
//
// For every word it writes, the normaliser records the byte offsets of the
// word in the original text, from its first source rune to the end of its
// last (repeats collapsed into it included), so matches, which are whole
// words, map back to the client's text exactly and always on rune
// boundaries.
type normaliser struct {
	buf []byte

	// words[i] is the index in buf of word i's first byte; sents[i] is
	// the sentence word i is in; spans[i] is word i's span in the
	// original. A span per word rather than per byte written: matches
	// begin and end at words, and most of a message is letters copied a
	// byte at a time.
	words []int32
	sents []uint16
	spans []span

	// join makes runs of single-letter words into one word (second pass).
	join bool
	// vocab resolves masked words ("k*ll"); nil keeps the masks.
	vocab *vocabulary

	sent   uint16 // the current sentence
	brk    bool   // a sentence ended since the last word
	masked bool   // the word being built has a masked letter

	tok      uint8 // kind of the word being built: tokNone, tokLetter or tokNumber
	tokAt    int   // index in buf of the word's first byte
	tokRunes int   // source letters in the word
	tokEnd   int32 // the end in the original of the word's last letter so far
	last     rune  // last letter written in the word, for collapsing repeats

	num              uint64
	numFrac          bool
	numStart, numEnd int

	prevSingle bool // the previous word was a single letter (or a joined run of them)
	prevLast   rune // the last letter of the previous word
	singles    int  // length of the current run of single-letter words
	spaced     bool // a run of three or more single-letter words, or letters glued by punctuation, was seen
}

// span is a byte range [start, end) of the original text.
type span struct {
	start, end int32
}

const (
	tokNone uint8 = iota
	tokLetter
	tokNumber
)

// Number tokens: the normaliser never writes digits, only these.
const (
	numSmall = "#s" // 0-4
	numFew   = "#f" // 5-9
	numMany  = "#m" // 10 or more
	numYear  = "#y" // four digits from 1900 to 2099: a year, also a count of many
)

// maxText bounds the text the normaliser reads, in bytes; beyond it the rest
// is ignored, so offsets fit in int32 and one message can't hold a worker
// for long. It is far above any SMS or chat message.
const maxText = 1 << 20

// asciiKind classifies ASCII bytes for the fast path.
var asciiKind = func() (t [utf8.RuneSelf]uint8) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] = aLower
		case c >= 'A' && c <= 'Z':
			t[c] = aUpper
		case c >= '0' && c <= '9':
			t[c] = aDigit
		case c == '$':
			t[c] = aDollar
		case c == '@':
			t[c] = aAt
		case c == '!':
			t[c] = aBang
		case c == '.' || c == ',':
			t[c] = aPoint
		case c == '*':
			t[c] = aStar
		case c == '-' || c == '_':
			t[c] = aGlue
		case c == '|':
			t[c] = aBar
		case c == '?' || c == ';' || c == ':' || c == '\n':
			t[c] = aStop
		default:
			t[c] = aSep
		}
	}
	return t
}()

const (
	aSep uint8 = iota
	aLower
	aUpper
	aDigit
	aDollar
	aAt
	aBang
	aPoint
	aStar
	aGlue
	aBar
	aStop
)

// leet maps digits read as letters inside a word.
var leet = [10]byte{0: 'o', 1: 'i', 3: 'e', 4: 'a', 5: 's', 7: 't'}

// leetStart lists the digits that may start a word as a letter.
var leetStart = [10]bool{0: true, 1: true, 3: true}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// lettersAhead counts ASCII letters at s[i:], up to three.
func lettersAhead(s string, i int) int {
	n := 0
	for ; n < 3 && i+n < len(s) && isASCIILetter(s[i+n]); n++ {
	}
	return n
}

func (n *normaliser) reset() {
	n.buf = append(n.buf[:0], ' ')
	n.tok, n.tokAt, n.tokRunes, n.last = tokNone, 0, 0, -1
	n.prevSingle, n.prevLast, n.singles, n.spaced = false, -1, 0, false
	n.words, n.sents, n.spans = n.words[:0], n.sents[:0], n.spans[:0]
	n.sent, n.brk, n.masked = 0, false, false
}

// run normalises s into n.buf.
func (n *normaliser) run(s string) {
	if len(s) > maxText {
		s = s[:maxText]
	}
	n.reset()
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, w := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && w == 1 {
				n.endToken()
			} else {
				n.other(r, i, i+w)
			}
			i += w
			continue
		}
		// A possessive "'s" ends the word it belongs to: "mum's pills" is
		// read "mum pills", so the count and the means stay close.
		if c == '\'' && n.tok == tokLetter && i+1 < len(s) && s[i+1]|0x20 == 's' && (i+2 == len(s) || !isASCIILetter(s[i+2])) {
			n.endToken()
			i += 2
			continue
		}
		// Fast paths for the common cases: a letter, a plain separator.
		switch k := asciiKind[c]; {
		case (k == aLower || k == aUpper) && n.tok != tokNumber:
			// A word's run of ASCII letters in one loop, the buffers in
			// locals: most of a message is such runs. A new word begins
			// here as letter begins one.
			if n.tok == tokNone {
				n.beginWord(i)
				n.tok, n.tokRunes, n.last, n.masked = tokLetter, 0, -1, false
			}
			buf, last, runes := n.buf, n.last, n.tokRunes
			for ; i < len(s) && (s[i]|0x20)-'a' < 26; i++ {
				l := s[i] | 0x20
				runes++
				if rune(l) != last {
					last = rune(l)
					buf = append(buf, l)
				}
			}
			n.buf, n.last, n.tokRunes, n.tokEnd = buf, last, runes, int32(i)
			continue
		case k == aSep:
			n.endToken()
		default:
			n.ascii(s, i, c)
		}
		i++
	}
	n.endToken()
	if n.buf[len(n.buf)-1] != ' ' {
		n.buf = append(n.buf, ' ')
	}
}

func (n *normaliser) ascii(s string, i int, c byte) {
	next := byte(0)
	if i+1 < len(s) {
		next = s[i+1]
	}
	switch asciiKind[c] {
	case aLower:
		n.letter(rune(c), i, i+1)
	case aUpper:
		n.letter(rune(c+('a'-'A')), i, i+1)
	case aDigit:
		d := c - '0'
		if l := leet[d]; l != 0 && (n.tok == tokLetter || (n.tok == tokNone && leetStart[d] && lettersAhead(s, i+1) == 3)) {
			n.letter(rune(l), i, i+1)
			return
		}
		n.digit(d, i, i+1)
	case aDollar:
		if isASCIILetter(next) {
			n.letter('s', i, i+1)
			return
		}
		n.endToken()
	case aAt:
		if n.tok == tokLetter || isASCIILetter(next) {
			n.letter('a', i, i+1)
			return
		}
		n.endToken()
	case aBang:
		if n.tok == tokLetter && isASCIILetter(next) {
			n.letter('i', i, i+1)
			return
		}
		n.endToken()
		n.brk = true
	case aPoint:
		// A point or comma between digits continues the number; after a
		// point the digits are a fraction and don't add to the value.
		if n.tok == tokNumber && next >= '0' && next <= '9' {
			if c == '.' {
				n.numFrac = true
			}
			return
		}
		if n.glue(next) {
			return
		}
		n.endToken()
		if c == '.' {
			n.brk = true
		}
	case aGlue:
		if !n.glue(next) {
			n.endToken()
		}
	case aStar:
		// A run of stars inside a word, with a letter after it.
		j := i + 1
		for j < len(s) && s[j] == '*' {
			j++
		}
		if n.tok == tokLetter && j < len(s) && isASCIILetter(s[j]) {
			n.mask(i)
			return
		}
		n.endToken()
	case aBar:
		if n.tok == tokLetter {
			n.letter('l', i, i+1)
			return
		}
		n.endToken()
	case aStop:
		n.endToken()
		n.brk = true
	default:
		n.endToken()
	}
}

func (n *normaliser) other(r rune, s, e int) {
	f := foldRune(r)
	switch f.kind {
	case kindDrop:
	case kindLetter:
		for _, l := range f.r[:f.n] {
			n.letter(l, s, e)
		}
	case kindDigit:
		n.digit(f.digit, s, e)
	case kindSymbol:
		n.symbol(r, s, e)
	default:
		n.endToken()
	}
}

// beginWord writes the separator before a new word, which begins at byte
// s of the original; whoever ends the word sets its span's end.
func (n *normaliser) beginWord(s int) {
	if n.buf[len(n.buf)-1] != ' ' {
		n.buf = append(n.buf, ' ')
	}
	n.tokAt = len(n.buf)
	if n.brk {
		n.sent++
		n.brk = false
	}
	n.words = append(n.words, int32(n.tokAt))
	n.sents = append(n.sents, n.sent)
	n.spans = append(n.spans, span{int32(s), int32(s)})
}

// glue reports whether a dot, dash or underscore before next is skipped as
// part of the word being built: in the second pass, between two letters
// ("sui-cide"). In the first it notes that a second pass is needed.
func (n *normaliser) glue(next byte) bool {
	if n.tok != tokLetter || !isASCIILetter(next) {
		return false
	}
	if !n.join {
		n.spaced = true
		return false
	}
	return true
}

// mask writes a masked letter: "*" inside a word. Masks never collapse.
func (n *normaliser) mask(i int) {
	n.tokRunes++
	n.masked = true
	n.last = -2
	n.tokEnd = int32(i + 1)
	n.buf = append(n.buf, '*')
}

func (n *normaliser) letter(r rune, s, e int) {
	if n.tok == tokNumber {
		n.endToken()
	}
	if n.tok == tokNone {
		n.beginWord(s)
		n.tok, n.tokRunes, n.last, n.masked = tokLetter, 0, -1, false
	}
	n.tokRunes++
	// A repeated letter collapses into the one before; the match still
	// covers the whole run in the original.
	n.tokEnd = int32(e)
	if r == n.last {
		return
	}
	n.last = r
	if r < utf8.RuneSelf {
		n.buf = append(n.buf, byte(r))
		return
	}
	n.buf = utf8.AppendRune(n.buf, r)
}

func (n *normaliser) digit(d uint8, s, e int) {
	if n.tok == tokLetter {
		n.endToken()
	}
	if n.tok == tokNone {
		n.tok, n.num, n.numFrac, n.numStart = tokNumber, 0, false, s
	}
	if !n.numFrac && n.num < 1e9 {
		n.num = n.num*10 + uint64(d)
	}
	n.numEnd = e
}

func (n *normaliser) symbol(r rune, s, e int) {
	n.endToken()
	n.beginWord(s)
	n.buf = utf8.AppendRune(n.buf, r)
	n.spans[len(n.spans)-1].end = int32(e)
	n.prevSingle, n.prevLast, n.singles = false, -1, 0
}

// endToken finishes the word being built, if any.
func (n *normaliser) endToken() {
	switch n.tok {
	case tokNone:
		return
	case tokNumber:
		n.beginWord(n.numStart)
		tok := numSmall
		switch {
		case !n.numFrac && n.num >= 1900 && n.num <= 2099 && n.numEnd-n.numStart == 4:
			tok = numYear
		case n.num >= 10:
			tok = numMany
		case n.num >= 5:
			tok = numFew
		}
		n.buf = append(n.buf, tok[0], tok[1])
		n.spans[len(n.spans)-1].end = int32(n.numEnd)
		n.tok, n.prevSingle, n.prevLast, n.singles = tokNone, false, -1, 0
		return
	}
	n.spans[len(n.spans)-1].end = n.tokEnd
	if n.masked {
		n.masked = false
		if n.vocab != nil {
			n.vocab.unmask(n)
		}
	}
	// Most words follow no intensifier: the first letter of the word
	// before says so here, without a call.
	if k := len(n.words); k >= 3 && ownFirst[n.buf[n.words[k-2]]] {
		n.dropOwn()
	}
	single := n.tokRunes == 1
	if single {
		n.singles++
		if n.singles >= 3 {
			n.spaced = true
		}
	} else {
		n.singles = 0
	}
	// Letters spelled out join into a word; a wide gap (three spaces or
	// more) ends the word: "j e   v e u x   m e   t u e r" is "je veux
	// me tuer" (two spaces still join: "k i l l  m y s e l f").
	if n.join && single && n.prevSingle && !n.wideGap() {
		n.joinLast()
	}
	n.prevSingle, n.prevLast, n.tok = single, n.last, tokNone
}

// wideGap reports whether three or more bytes of the original stand
// between the word just ended and the one before it.
func (n *normaliser) wideGap() bool {
	k := len(n.spans)
	if k < 2 {
		return false
	}
	return n.spans[k-1].start-n.spans[k-2].end >= 3
}

// ownWords only intensify the possessive before them when a word of
// ownNouns follows: "my own life", "mi propia vida", "ma propre vie" are
// read "my life", "mi vida", "ma vie", in the lexicon as in the text ("on
// my own" stays).
var (
	ownWords    = []string{"own", "propia", "propio", "propias", "propios", "propre", "propres"}
	possessives = []string{"my", "mi", "mis", "ma", "mon", "mes"}
	ownNouns    = []string{"life", "self", "hand", "hands", "vida", "mano", "manos", "vie", "main", "mains", "jours"}
)

// ownFirst[b] is set when a word of ownWords begins with byte b.
var ownFirst = func() (t [256]bool) {
	for _, w := range ownWords {
		t[w[0]] = true
	}
	return t
}()

// dropOwn removes the intensifier before the word just finished when the
// three words are a possessive, an intensifier and one of ownNouns in one
// sentence.
func (n *normaliser) dropOwn() {
	k := len(n.words)
	// Most words follow no intensifier: its first letter says so (and
	// endToken looks at it before calling).
	if n.tok != tokLetter || k < 3 || !ownFirst[n.buf[n.words[k-2]]] || n.sents[k-1] != n.sents[k-3] || !wordIn(n.buf[n.tokAt:], ownNouns) {
		return
	}
	own, poss := n.words[k-2], n.words[k-3]
	if int(own) >= n.tokAt || !wordIn(n.buf[own:n.tokAt-1], ownWords) || !wordIn(n.buf[poss:own-1], possessives) {
		return
	}
	// Remove "own " (the word and the separator after it).
	cut := int32(n.tokAt) - own
	copy(n.buf[own:], n.buf[n.tokAt:])
	n.buf = n.buf[:len(n.buf)-int(cut)]
	n.tokAt = int(own)
	n.words[k-2], n.sents[k-2], n.spans[k-2] = own, n.sents[k-1], n.spans[k-1]
	n.words, n.sents, n.spans = n.words[:k-1], n.sents[:k-1], n.spans[:k-1]
}

func wordIn(w []byte, list []string) bool {
	for _, s := range list {
		if string(w) == s {
			return true
		}
	}
	return false
}

// joinLast removes the separator before the single-letter word just
// finished, appending it to the previous word, and collapses the letter if
// it repeats the previous word's last one.
func (n *normaliser) joinLast() {
	at := n.tokAt
	if at < 2 || n.buf[at-1] != ' ' {
		return
	}
	// The word joins the one before: it is no longer a word of its own,
	// and the one before ends where it ends.
	k := len(n.words) - 1
	n.spans[k-1].end = n.spans[k].end
	n.words, n.sents, n.spans = n.words[:k], n.sents[:k], n.spans[:k]
	if n.last == n.prevLast {
		n.buf = n.buf[:at-1]
		n.last = n.prevLast
		return
	}
	copy(n.buf[at-1:], n.buf[at:])
	n.buf = n.buf[:len(n.buf)-1]
	n.tokAt = at - 1
}

// Normalise returns text as the classifier sees it: folded words separated
// by single spaces (see the normaliser's rules above), without the padding
// spaces. It is for tools and tests; Classify does the same without
// allocating.
func Normalise(text string) string {
	var n normaliser
	n.run(text)
	return strings.TrimSpace(string(n.buf))
}
