package lexicon

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// runeKind says what the normaliser does with one input rune.
type runeKind uint8

const (
	kindSep    runeKind = iota // ends the current token
	kindDrop                   // vanishes: zero-width, combining marks, emoji modifiers
	kindLetter                 // part of a word, after folding
	kindDigit                  // part of a number
	kindSymbol                 // a token of its own: emoji and other pictographs
)

// folded is the normaliser's view of one rune: its kind and, for letters,
// up to three folded letters (NFKD can split one rune into several, as the
// ligature "ﬁ" becomes "f", "i").
type folded struct {
	kind  runeKind
	n     uint8
	digit uint8
	r     [3]rune
}

// foldTableEnd bounds the precomputed table; rarer runes are folded on the
// fly, which costs a normalisation-table look-up but allocates nothing.
const foldTableEnd = 0x2500

// foldTable is computed once at start and never changed: the fold of every
// rune below foldTableEnd.
var foldTable = buildFoldTable()

func buildFoldTable() []folded {
	t := make([]folded, foldTableEnd)
	for r := rune(0); r < foldTableEnd; r++ {
		t[r] = computeFold(r)
	}
	return t
}

// foldRune returns the fold of r.
func foldRune(r rune) folded {
	if r >= 0 && r < foldTableEnd {
		return foldTable[r]
	}
	return computeFold(r)
}

// confusables maps Cyrillic and Greek letters that look like Latin ones to
// the Latin letter, so "кill" (Cyrillic к) is read as "kill". Only
// look-alikes are mapped; the rest of those scripts stay as they are.
var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'і': 'i', 'ј': 'j', 'к': 'k', 'м': 'm', 'н': 'h',
	'о': 'o', 'р': 'p', 'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'ԁ': 'd',
	'€': 'e',
	'α': 'a', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u',
}

// ligatures maps the ligatures of French and other Latin spellings to the
// letters they join.
var ligatures = map[rune][2]rune{'œ': {'o', 'e'}, 'æ': {'a', 'e'}}

// computeFold decides a rune's kind: compatibility decomposition (NFKD, so
// fullwidth and mathematical letters become plain ones), accents and other
// combining marks removed, lower case, look-alikes mapped to Latin.
func computeFold(r rune) folded {
	switch {
	case r < 0 || r > unicode.MaxRune || r == utf8.RuneError:
		return folded{kind: kindSep}
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r),
		r >= 0x1F3FB && r <= 0x1F3FF, // emoji skin tones
		r >= 0xFE00 && r <= 0xFE0F:   // variation selectors
		return folded{kind: kindDrop}
	}
	// Ligatures NFKD leaves whole are their two letters: "sœur" is
	// "soeur", as most clients type it.
	if l, ok := ligatures[unicode.ToLower(r)]; ok {
		return folded{kind: kindLetter, n: 2, r: [3]rune{l[0], l[1]}}
	}
	if c, ok := confusables[unicode.ToLower(r)]; ok {
		return folded{kind: kindLetter, n: 1, r: [3]rune{c}}
	}
	var enc [utf8.UTFMax]byte
	d := enc[:utf8.EncodeRune(enc[:], r)]
	if dec := norm.NFKD.Properties(d).Decomposition(); dec != nil {
		d = dec
	}
	var f folded
	for len(d) > 0 {
		c, w := utf8.DecodeRune(d)
		d = d[w:]
		switch {
		case unicode.Is(unicode.Mn, c), unicode.Is(unicode.Me, c):
		case unicode.IsLetter(c):
			if f.kind == kindDigit || f.n == uint8(len(f.r)) {
				return f
			}
			f.kind = kindLetter
			l := unicode.ToLower(c)
			// A look-alike can also come out of a decomposition: "ӗ" is
			// Cyrillic "е" with a breve, read "e".
			if m, ok := confusables[l]; ok {
				l = m
			}
			// So can a ligature: "ǽ" is "æ" with an acute, read "ae".
			if lg, ok := ligatures[l]; ok {
				if int(f.n)+2 > len(f.r) {
					return f
				}
				f.r[f.n], f.r[f.n+1] = lg[0], lg[1]
				f.n += 2
				continue
			}
			f.r[f.n] = l
			f.n++
		case c >= '0' && c <= '9' && f.kind == 0 && f.n == 0:
			f.kind, f.digit = kindDigit, uint8(c-'0')
		default:
			if f.kind == kindSep && f.n == 0 && isSymbol(r) {
				return folded{kind: kindSymbol}
			}
			return f
		}
	}
	if f.kind == kindSep && isSymbol(r) {
		return folded{kind: kindSymbol}
	}
	return f
}

// isSymbol reports whether r stands as a token of its own: emoji and other
// pictographs (Unicode "Symbol, other").
func isSymbol(r rune) bool {
	return unicode.Is(unicode.So, r)
}
