package lexicon

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
)

// matcher finds the lexicon's patterns in normalised text a word at a
// time. Every pattern is whole words (" a b c ") or whole words and the
// start of the last one (" a b cpref"), and the normaliser separates words
// by exactly one space, so a pattern is a path of word ids in a trie: each
// word of the text is hashed once and looked up in a hash table, and a
// walk through the trie goes on with it by reading the edges stored beside
// the node it reached. The cost per message is a few look-ups per word,
// whatever the lexicon's size (the byte automaton it replaces had some
// 68,000 states).
//
// It reports exactly what an Aho-Corasick automaton over the same patterns
// reports, in the same order: by the byte where the pattern ends, then the
// longer pattern first, then by pattern id (see automaton_test.go, which
// compares the two).
type matcher struct {
	// words maps a whole word to its id, and holds beside it what a scan
	// needs next (the node a walk begun at it reaches, the depths it
	// continues walks at), so a word of the text costs one probe.
	words    wordTable
	prefixes wordTable // the start of a word ("overdos") → its id
	// prefixLens[b] has bit l set when some prefix is l bytes long and
	// begins with byte b: most words begin with no prefix's letter, and
	// are looked up as no prefix.
	prefixLens [256]uint64
	// trie is the nodes, each a record of a few words followed by its
	// edges (see the node layout below), laid out depth first so that a
	// node's first child follows it. A node is its offset in trie; the
	// root is 0. A walk reads a node's record when it reaches the node,
	// and the edges it may go on with are in the same cache lines: the
	// look-up at the next word costs no miss. (A hash table of every
	// edge, which this replaces, was some 800 KB, and its look-ups most
	// of the matcher's cache misses.)
	trie []uint32
	// root is where the root's edges are, rootKids their kids: the
	// root keeps its prefix edges only (a word's edge from the root is
	// its slot's root).
	root     int32
	rootKids uint64
	// depth is the most words a pattern has.
	depth int
}

// A node's record in matcher.trie, at offset n, holds what a walk reads
// when it reaches the node, then what it reads at the next word:
//
//	n      its first pattern: the matcher numbers the patterns by node,
//	       so a match reads no list of them
//	n+1    its number of patterns, c
//	n+2    its depth, the number of words on the path to it
//	n+3    its patterns' patInfo, patWords words each (see packPat): a
//	       match reads no table of them either
//
// and at e = n+3+patWords*c, its edges:
//
//	e      their form: 0 for none (a leaf, whose record ends here); k <=
//	       linearEdges for k edges, read in turn; hashedEdges|b for an
//	       open-addressing table of 1<<b slots
//	e+1,2  kids, the low and high halves: labelBit of each edge's label
//	e+3    the edges or slots, each two words: the label and the child
//	       (emptyLabel in an empty slot)
const (
	recCount     = 1
	recDepth     = 2
	recPats      = 3
	patWords     = 3
	edgeKids     = 1
	edgeSlotsAt  = 3
	linearEdges  = 4
	formSize     = 1<<6 - 1 // k or b
	hashedEdges  = 1 << 6
	emptyLabel   = ^uint32(0)
	edgeHashMult = 0x85EBCA6B
)

// packPat writes pi into the patWords words of p.
func packPat(p []uint32, pi patInfo) {
	var prefix uint32
	if pi.prefix {
		prefix = 1
	}
	p[0], p[1], p[2] = uint32(pi.term), uint32(pi.len), uint32(pi.kind)|uint32(pi.cue)<<8|prefix<<16
}

// patRun is the patInfo of a node's patterns as its record holds them,
// patWords words each.
type patRun []uint32

// first returns the patInfo of the first pattern in r, as packPat wrote
// it; term, bytes, prefix, kind and cue return one field of it each.
func (r patRun) first() patInfo {
	return patInfo{term: r.term(), len: int32(r.bytes()), kind: r.kind(), cue: r.cue(), prefix: r.prefix()}
}

func (r patRun) term() int32    { return int32(r[0]) }
func (r patRun) bytes() int     { return int(r[1]) }
func (r patRun) kind() termKind { return termKind(r[2]) }
func (r patRun) cue() cueClass  { return cueClass(r[2] >> 8) }
func (r patRun) prefix() bool   { return r[2]>>16 != 0 }

// rest returns r without its first pattern.
func (r patRun) rest() patRun { return r[patWords:] }

// labelBit is one of 64 bits for an edge label. A walk carries its node's
// kids, the bits of the labels it goes on with, so most words that do not
// continue it are turned away without reading its edges: a text word
// meets many walks, and most would not go on. A bit set says only that
// the edge may exist.
func labelBit(label uint32) uint64 { return 1 << (label * 0x9E3779B1 >> 26) }

// depthBit is the bit of a wordSlot's depths that stands for walks at a
// node of depth d; the deepest share the last bit, so the mask is a
// superset and only ever saves a look-up that would fail.
func depthBit(d int32) uint16 { return 1 << min(d, 15) }

// prefixEdge marks an edge labelled by a prefix id.
const prefixEdge = 1 << 31

// maxPrefixLen bounds a prefix's length in bytes (prefixLens are 64 bits).
const maxPrefixLen = 63

// trieEdge is an edge of the trie while it is built.
type trieEdge struct {
	label uint32
	child int32
}

// newMatcher compiles patterns, info[i] being what a match of
// patterns[i] reports, and numbers them anew, node by node, in their order
// within a node: a match of patterns[order[i]] is reported as i. Pattern
// ids order matches only within a node, so the matcher reports the same
// matches in the same order under either numbering.
func newMatcher(patterns []string, info []patInfo) (m *matcher, order []int32) {
	m = &matcher{words: newWordTable(false), prefixes: newWordTable(true)}
	// The trie first, its nodes numbered as they are made.
	own := [][]int32{nil}     // node → its patterns
	depths := []int32{0}      // node → its depth
	kids := [][]trieEdge{nil} // node → its edges, as made
	index := map[[2]uint32]int32{}
	for id, p := range patterns {
		prefix := !strings.HasSuffix(p, " ")
		ws := strings.Fields(p)
		m.depth = max(m.depth, len(ws))
		node := int32(0)
		for i, w := range ws {
			var label uint32
			if prefix && i == len(ws)-1 {
				label = uint32(m.prefixes.add(w)) | prefixEdge
				if len(w) <= maxPrefixLen {
					m.prefixLens[w[0]] |= 1 << len(w)
				}
			} else {
				label = uint32(m.words.add(w))
				if i > 0 {
					m.words.slot(int32(label)).depths |= depthBit(int32(i))
				}
			}
			key := [2]uint32{uint32(node), label}
			child, ok := index[key]
			if !ok {
				child = int32(len(own))
				own = append(own, nil)
				depths = append(depths, int32(i+1))
				kids = append(kids, nil)
				kids[node] = append(kids[node], trieEdge{label, child})
				index[key] = child
			}
			node = child
		}
		own[node] = append(own[node], int32(id))
	}
	// A word's edge from the root is read from its slot, not the root's
	// record: the root keeps its prefix edges only.
	var rootWords []trieEdge
	kids[0] = slices.DeleteFunc(kids[0], func(e trieEdge) bool {
		if e.label&prefixEdge == 0 {
			rootWords = append(rootWords, e)
			return true
		}
		return false
	})
	// Then the records, depth first, each node's children in the order
	// they were made.
	at := make([]int32, len(own))
	var dfs []int32
	for stack := []int32{0}; len(stack) > 0; {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		at[n] = int32(len(m.trie))
		dfs = append(dfs, n)
		m.trie = append(m.trie, make([]uint32, recordSize(len(own[n]), len(kids[n])))...)
		visit := kids[n]
		if n == 0 {
			visit = append(rootWords, kids[0]...)
		}
		for i := len(visit) - 1; i >= 0; i-- {
			stack = append(stack, visit[i].child)
		}
	}
	for _, n := range dfs {
		r := m.trie[at[n]:]
		r[0], r[recCount], r[recDepth] = uint32(len(order)), uint32(len(own[n])), uint32(depths[n])
		for i, id := range own[n] {
			packPat(r[recPats+patWords*i:], info[id])
		}
		order = append(order, own[n]...)
		putEdges(r[recPats+patWords*len(own[n]):], kids[n], at)
	}
	m.root = recPats // the root has no pattern
	m.rootKids = m.kidsAt(m.root)
	for w := range m.words.words {
		m.words.slot(int32(w)).root = -1
	}
	for _, e := range rootWords {
		m.words.slot(int32(e.label)).root = at[e.child]
	}
	return m, order
}

// recordSize is the number of words of a node's record with c patterns
// and k edges.
func recordSize(c, k int) int {
	r := recPats + patWords*c
	switch {
	case k == 0:
		return r + 1
	case k <= linearEdges:
		return r + edgeSlotsAt + 2*k
	default:
		return r + edgeSlotsAt + 2*edgeSlots(k)
	}
}

// edgeSlots is the size of the table for k edges: a power of two, at
// most half full.
func edgeSlots(k int) int { return 1 << bits.Len(uint(2*k-1)) }

// putEdges writes edges es at the start of r; at[n] is node n's offset.
func putEdges(r []uint32, es []trieEdge, at []int32) {
	if len(es) == 0 {
		r[0] = 0
		return
	}
	var kids uint64
	for _, e := range es {
		kids |= labelBit(e.label)
	}
	r[edgeKids], r[edgeKids+1] = uint32(kids), uint32(kids>>32)
	slots := r[edgeSlotsAt:]
	if len(es) <= linearEdges {
		r[0] = uint32(len(es))
		for i, e := range es {
			slots[2*i], slots[2*i+1] = e.label, uint32(at[e.child])
		}
		return
	}
	n := edgeSlots(len(es))
	r[0] = hashedEdges | uint32(bits.TrailingZeros(uint(n)))
	for i := 0; i < n; i++ {
		slots[2*i] = emptyLabel
	}
	for _, e := range es {
		i := edgeSlot(e.label, r[0])
		for slots[2*i] != emptyLabel {
			i = (i + 1) & uint32(n-1)
		}
		slots[2*i], slots[2*i+1] = e.label, uint32(at[e.child])
	}
}

// edgeSlot is the slot where a table of the given form begins to look
// for label.
func edgeSlot(label, form uint32) uint32 {
	b := form & formSize
	return label * edgeHashMult >> (32 - b) & (1<<b - 1)
}

// child returns the node the edge labelled label leads to from the node
// whose edges are at e. Most nodes with edges have one.
func (m *matcher) child(e int32, label uint32) (int32, bool) {
	t := m.trie
	if t[e] == 1 {
		if t[e+edgeSlotsAt] == label {
			return int32(t[e+edgeSlotsAt+1]), true
		}
		return 0, false
	}
	return m.childIn(e, label)
}

// childIn is child for a node with more than one edge.
func (m *matcher) childIn(e int32, label uint32) (int32, bool) {
	r := m.trie[e:]
	form := r[0]
	slots := r[edgeSlotsAt:]
	if form&hashedEdges == 0 {
		for i := range form {
			if slots[2*i] == label {
				return int32(slots[2*i+1]), true
			}
		}
		return 0, false
	}
	mask := uint32(1)<<(form&formSize) - 1
	for i := edgeSlot(label, form); ; i = (i + 1) & mask {
		switch slots[2*i] {
		case label:
			return int32(slots[2*i+1]), true
		case emptyLabel:
			return 0, false
		}
	}
}

// kidsAt returns the kids of the node whose edges are at e, 0 for a leaf.
func (m *matcher) kidsAt(e int32) uint64 {
	r := m.trie[e:]
	if r[0] == 0 {
		return 0
	}
	return uint64(r[edgeKids]) | uint64(r[edgeKids+1])<<32
}

// matchScratch is a scan's working memory: the walks begun at earlier
// words, earliest first.
type matchScratch struct {
	active, next []walk
}

// walk is a walk through the trie begun at an earlier word: where the
// edges of the node it reached are, that node's depth and its kids. A walk
// that reaches a leaf ends there.
type walk struct {
	edges, depth int32
	kids         uint64
}

// emitFunc receives the matches of one node's patterns, numbered from out
// (never none): their patInfo, the byte of buf where they end, and the
// indices of their first and last words.
type emitFunc func(out int32, pats patRun, at int, first, last int32)

// scan calls emit for every pattern ending at byte i of buf, a normalised
// text (" w1 w2 ... "), in the automaton's order. Walks begun at earlier
// words are kept earliest first, so at any one byte the longer pattern
// comes first.
func (m *matcher) scan(buf []byte, ms *matchScratch, emit emitFunc) {
	// Two buffers in turn, kept in locals: no write to the scratch per
	// word.
	// Neither is ever nil, so no word allocates: a walk is at most depth
	// words long, so depth+1 walks are alive at once.
	if cap(ms.active) == 0 {
		ms.active, ms.next = make([]walk, 0, m.depth+1), make([]walk, 0, m.depth+1)
	}
	active, spare := ms.active[:0], ms.next[:0]
	word := int32(-1)
	whole := buf[:cap(buf)] // for readWord
	for s := 1; s < len(buf); {
		// The word's end, hash and head, eight bytes at a time: a word
		// of up to seven bytes is read here, in one, a longer one by
		// readWord.
		var e int
		var h, k uint64
		if s+8 <= len(whole) {
			x := binary.LittleEndian.Uint64(whole[s:])
			if left := len(buf) - s; left < 8 {
				keep := uint64(1)<<(8*left&63) - 1
				x = x&keep | spaces8&^keep
			}
			sp := x ^ spaces8
			if z := (sp - ones8) &^ sp & highs8; z != 0 {
				b := bits.TrailingZeros64(z) >> 3
				k = x & (uint64(1)<<(8*b&63) - 1)
				e, h = s+b, mix(wordSeed, k)
			} else {
				e, h, k = readWord(whole, s, len(buf))
			}
		} else {
			e, h, k = readWord(whole, s, len(buf))
		}
		if e == s {
			s++
			continue
		}
		word++
		// A walk begins at this word: at the root, whose edges are the
		// prefixes' (prefixesIn reads it after the others), or at the
		// word's own root (ws.root below).
		// The prefixes, which end inside the word before its end, by
		// length (few words begin as one does).
		if lens := m.prefixLens[buf[s]] >> 1 & (1<<min(e-s, maxPrefixLen) - 1); lens != 0 {
			m.prefixesIn(buf, s, lens, active, word, emit)
		}
		next := spare[:0]
		// The word's first slot, here; the rest of the look-up, past a
		// slot of another word, in lookup (the table is at most half
		// full: most words are found or missed at the first).
		ws := &m.words.slots[h&uint64(len(m.words.slots)-1)]
		if ws.head != k || ws.hash != uint16(h) || ws.n != int32(e-s) || e-s > 8 {
			if ws.id == 0 {
				ws = nil
			} else {
				ws = m.words.lookup(h, k, buf[s:e])
			}
		}
		if ws != nil {
			// Only walks at a depth the word continues any walk at can
			// go on with it: most look-ups are saved.
			if ws.depths != 0 {
				label := uint32(ws.id - 1)
				for _, w := range active {
					if ws.depths&depthBit(w.depth) == 0 || w.kids&labelBit(label) == 0 {
						continue
					}
					c, ok := m.child(w.edges, label)
					if !ok {
						continue
					}
					// A walk that reaches a leaf ends there.
					if ce := m.emitAt(c, e, word, emit); m.trie[ce] != 0 {
						next = append(next, walk{ce, w.depth + 1, m.kidsAt(ce)})
					}
				}
			}
			if c := ws.root; c >= 0 {
				if ce := m.emitAt(c, e, word, emit); m.trie[ce] != 0 {
					next = append(next, walk{ce, 1, m.kidsAt(ce)})
				}
			}
		}
		// A walk can't be longer than the longest pattern.
		if len(next) > m.depth {
			next = next[len(next)-m.depth:]
		}
		spare, active = active, next
		s = e + 1
	}
	ms.active, ms.next = active[:0], spare[:0]
}

// prefixesIn emits the prefixes that the word at buf[s:] begins with, of
// the lengths whose bits lens has (bit 0: one byte), through the walks
// active at the word and then the one begun at it, at the root.
func (m *matcher) prefixesIn(buf []byte, s int, lens uint64, active []walk, word int32, emit emitFunc) {
	h := uint64(fnvOffset)
	var k uint64
	for i := s; lens != 0; i++ {
		c := buf[i]
		h = (h ^ uint64(c)) * fnvPrime
		if i-s < 8 {
			k |= uint64(c) << (8 * (i - s))
		}
		if lens&1 != 0 {
			if pid := m.prefixes.findHead(h, k, buf[s:i+1]); pid >= 0 {
				label := uint32(pid) | prefixEdge
				for _, w := range active {
					m.prefixStep(w, label, i, word, emit)
				}
				m.prefixStep(walk{edges: m.root, kids: m.rootKids}, label, i, word, emit)
			}
		}
		lens >>= 1
	}
}

// prefixStep goes on with walk w along the edge labelled by a prefix,
// if it has one, and emits the patterns of the node it reaches, which end
// at byte at of word last.
func (m *matcher) prefixStep(w walk, label uint32, at int, last int32, emit emitFunc) {
	if w.kids&labelBit(label) == 0 {
		return
	}
	if c, ok := m.child(w.edges, label); ok {
		m.emitAt(c, at, last, emit)
	}
}

// emitAt emits node's patterns, if it has any, which end at byte at of
// word last, and returns where the node's edges are.
func (m *matcher) emitAt(node int32, at int, last int32, emit emitFunc) int32 {
	t := m.trie
	p := node + recPats
	end := p + patWords*int32(t[node+recCount])
	if end > p {
		emit(int32(t[node]), patRun(t[p:end]), at, last-int32(t[node+recDepth])+1, last)
	}
	return end
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Whole words are hashed eight bytes at a time (wordHash, readWord).
const (
	wordSeed = 0x243F6A8885A308D3
	wordMult = 0x9E3779B97F4A7C15
	spaces8  = 0x2020202020202020
	ones8    = 0x0101010101010101
	highs8   = 0x8080808080808080
)

// mix folds eight bytes x of a word into its hash h.
func mix(h, x uint64) uint64 {
	hi, lo := bits.Mul64(h^x, wordMult)
	return hi ^ lo
}

// wordHash is the hash of a whole word: its bytes eight at a time, the
// last up to seven (maybe none) zero padded, as readWord reads them.
func wordHash(w []byte) uint64 {
	h := uint64(wordSeed)
	for ; len(w) >= 8; w = w[8:] {
		h = mix(h, binary.LittleEndian.Uint64(w))
	}
	return mix(h, head(w))
}

// readWord reads the word that begins at byte s of the text buf[:n],
// buf being the text's buffer to its capacity, eight bytes at a time
// (the bytes at n and beyond read as spaces): it returns the word's end
// (the next space, or n), its wordHash and its head. A message's words
// are most of them shorter than eight bytes: one read each.
func readWord(buf []byte, s, n int) (e int, h, k uint64) {
	h = wordSeed
	for e = s; ; e += 8 {
		var x uint64
		if e+8 <= len(buf) {
			x = binary.LittleEndian.Uint64(buf[e:])
		} else {
			x = head(buf[e:n])
		}
		if left := n - e; left < 8 {
			keep := uint64(1)<<(8*left) - 1
			x = x&keep | spaces8&^keep
		}
		// The bytes that are spaces, as their high bits: exact for the
		// lowest, the one read.
		sp := x ^ spaces8
		if z := (sp - ones8) &^ sp & highs8; z != 0 {
			b := bits.TrailingZeros64(z) >> 3
			x &= uint64(1)<<(8*b) - 1
			if e == s {
				k = x
			}
			return e + b, mix(h, x), k
		}
		if e == s {
			k = x
		}
		h = mix(h, x)
	}
}

// hashBytes is FNV-1a: its value on a prefix is the running hash, so a
// word's prefixes are hashed on the way to the whole word.
func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// wordTable is an open-addressing hash set of words, each with an id.
// A slot holds the word's hash beside its id, so a look-up reads the
// word itself only when the hashes agree.
type wordTable struct {
	slots []wordSlot
	words []string
	// running: words are keyed by hashBytes, whose value on a prefix is
	// the running hash (the prefixes, looked up at each length of a
	// word); else by wordHash (whole words).
	running bool
}

type wordSlot struct {
	head uint64 // the word's first eight bytes
	id   int32  // id+1, 0 empty
	n    int32  // the word's length
	// For the matcher's whole words: root is the node a walk begun at the
	// word reaches, or -1; depths has depthBit(d) set when the word
	// continues a walk at a node of depth d.
	root   int32
	hash   uint16 // the low bits of the word's hash
	depths uint16
	// Padding to 32 bytes, so that no slot straddles two cache lines.
	_ [8]byte
}

// head packs the first eight bytes of w, so that most look-ups compare
// two integers instead of two strings.
func head(w []byte) uint64 {
	var k uint64
	for i := 0; i < len(w) && i < 8; i++ {
		k |= uint64(w[i]) << (8 * i)
	}
	return k
}

func newWordTable(running bool) wordTable {
	return wordTable{slots: make([]wordSlot, 16), running: running}
}

// hash is the hash t keys w by.
func (t *wordTable) hash(w []byte) uint64 {
	if t.running {
		return hashBytes(w)
	}
	return wordHash(w)
}

func (t *wordTable) add(w string) int32 {
	h := t.hash([]byte(w))
	if id := t.find(h, []byte(w)); id >= 0 {
		return id
	}
	if 2*(len(t.words)+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]wordSlot, 2*len(old))
		for _, s := range old {
			if s.id != 0 {
				t.insert(s)
			}
		}
	}
	t.words = append(t.words, w)
	t.insert(wordSlot{hash: uint16(h), head: head([]byte(w)), id: int32(len(t.words)), n: int32(len(w)), root: -1})
	return int32(len(t.words) - 1)
}

func (t *wordTable) insert(s wordSlot) {
	mask := uint64(len(t.slots) - 1)
	for i := t.hash([]byte(t.words[s.id-1])) & mask; ; i = (i + 1) & mask {
		if t.slots[i].id == 0 {
			t.slots[i] = s
			return
		}
	}
}

// find returns w's id, or -1; h is t.hash(w).
func (t *wordTable) find(h uint64, w []byte) int32 { return t.findHead(h, head(w), w) }

// findHead is find with head(w) already known.
func (t *wordTable) findHead(h, k uint64, w []byte) int32 {
	if s := t.lookup(h, k, w); s != nil {
		return s.id - 1
	}
	return -1
}

// lookup returns w's slot, or nil; h is t.hash(w) and k head(w). The
// word is compared whole: its length, its first eight bytes, the rest.
func (t *wordTable) lookup(h, k uint64, w []byte) *wordSlot {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == 0 {
			return nil
		}
		if s.hash == uint16(h) && s.n == int32(len(w)) && s.head == k && (len(w) <= 8 || t.words[s.id-1][8:] == string(w[8:])) {
			return s
		}
	}
}

// slot returns word id's slot.
func (t *wordTable) slot(id int32) *wordSlot {
	w := []byte(t.words[id])
	return t.lookup(t.hash(w), head(w), w)
}
