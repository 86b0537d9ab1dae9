package lexicon

// vocabulary is the lexicon's words, for reading masked words: "k*ll" is
// the only lexicon word it can be, "kill". Only ASCII words of three or
// more letters are kept.
type vocabulary struct {
	// byLen[l][c] are the words of length l whose first letter is
	// 'a'+c, in lexicon order: a masked word's first letter is never a
	// mask, so only those words can match it.
	byLen [][26][]string
}

// minMaskedKnown is the least number of letters a masked word must show,
// and it must show at least as many as it hides.
const minMaskedKnown = 2

// maxMasks bounds the masks of one word the vocabulary tries to read.
const maxMasks = 4

func newVocabulary(words []string) *vocabulary {
	v := &vocabulary{}
	seen := map[string]bool{}
	for _, w := range words {
		if len(w) < 3 || seen[w] || !isASCIIWord(w) {
			continue
		}
		seen[w] = true
		for len(v.byLen) <= len(w) {
			v.byLen = append(v.byLen, [26][]string{})
		}
		v.byLen[len(w)][w[0]-'a'] = append(v.byLen[len(w)][w[0]-'a'], w)
	}
	return v
}

// unmask replaces the masked word the normaliser just finished with the
// first lexicon word it matches, a mask standing for one letter (or none,
// where the letters around it collapsed: "ki*l" is "kil"). Words that
// match nothing keep their masks.
func (v *vocabulary) unmask(n *normaliser) {
	pat := n.buf[n.tokAt:]
	known, masks := 0, 0
	for _, b := range pat {
		switch {
		case b == '*':
			masks++
		case b >= 'a' && b <= 'z':
			known++
		default:
			return // not an ASCII word
		}
	}
	// A word longer than any in the vocabulary, masks and all, matches
	// none; the rest are short enough for keep to live on the stack.
	if known < minMaskedKnown || known < masks || masks > maxMasks || len(pat)-masks >= len(v.byLen) || pat[0] == '*' {
		return
	}
	var keepBuf [64]bool
	keep := keepBuf[:0]
	if len(pat) <= len(keepBuf) {
		keep = keepBuf[:len(pat)]
	} else {
		keep = make([]bool, len(pat))
	}
	for l := min(len(pat), len(v.byLen)-1); l >= len(pat)-masks && l >= 3; l-- {
		for _, w := range v.byLen[l][pat[0]-'a'] {
			if !globMatch(pat, w, keep) {
				continue
			}
			// The word's span stays: its first letter is kept (a
			// masked word begins with a letter) and it ends where it
			// ended.
			n.buf = append(n.buf[:n.tokAt], w...)
			n.last = rune(w[len(w)-1])
			return
		}
	}
}

// globMatch reports whether pat matches w, a '*' in pat standing for one
// letter or none; keep[i] says whether pat[i] produced a letter of w.
func globMatch(pat []byte, w string, keep []bool) bool {
	if len(pat) == 0 {
		return len(w) == 0
	}
	if pat[0] == '*' {
		if len(w) > 0 && globMatch(pat[1:], w[1:], keep[1:]) {
			keep[0] = true
			return true
		}
		if globMatch(pat[1:], w, keep[1:]) {
			keep[0] = false
			return true
		}
		return false
	}
	if len(w) == 0 || pat[0] != w[0] {
		return false
	}
	keep[0] = true
	return globMatch(pat[1:], w[1:], keep[1:])
}
