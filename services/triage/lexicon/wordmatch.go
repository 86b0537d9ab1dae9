package lexicon

import (
	"encoding/binary"
	"math/bits"
	"strings"
)

// matcher finds the lexicon's patterns in normalised text a word at a
// time. Every pattern is whole words (" a b c ") or whole words and the
// start of the last one (" a b cpref"), and the normaliser separates words
// by exactly one space, so a pattern is a path of word ids in a trie: each
// word of the text is hashed once and looked up in a hash table, and the
// trie's edges are one more hash table keyed by (node, word). The cost per
// message is a few look-ups per word, whatever the lexicon's size, and the
// tables stay small enough for the cache (the byte automaton it replaces
// had some 68,000 states).
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
	edges      edgeTable // (node, word id or prefix id|prefixEdge) → node
	// nodes[n].out:nodes[n+1].out are node n's patterns: the matcher
	// numbers the patterns by node, so a match reads no list of them.
	nodes []matchNode
	// depth is the most words a pattern has.
	depth int
}

// matchNode is one node of the trie: its first pattern, the number of
// words on the path to it, and labelBit of each of its edges' labels.
type matchNode struct {
	out   int32
	depth int32
	kids  uint64
}

// labelBit is one of 64 bits for an edge label. A walk carries its node's
// kids, the bits of the labels it goes on with, so most words that do not
// continue it are turned away without a look-up in edges: a text word
// meets many walks, and most of those look-ups would fail, each a cache
// miss in a table of some 800 KB. A bit set says only that the edge may
// exist.
func labelBit(label uint32) uint64 { return 1 << (label * 0x9E3779B1 >> 26) }

// depthBit is the bit of a wordSlot's depths that stands for walks at a
// node of depth d; the deepest share the last bit, so the mask is a
// superset and only ever saves a look-up that would fail.
func depthBit(d int32) uint16 { return 1 << min(d, 15) }

// prefixEdge marks an edge labelled by a prefix id.
const prefixEdge = 1 << 31

// maxPrefixLen bounds a prefix's length in bytes (prefixLens are 64 bits).
const maxPrefixLen = 63

// newMatcher compiles patterns and numbers them anew, node by node, in
// their order within a node: a match of patterns[order[i]] is reported as
// i. Pattern ids order matches only within a node, so the matcher reports
// the same matches in the same order under either numbering.
func newMatcher(patterns []string) (m *matcher, order []int32) {
	m = &matcher{words: newWordTable(), prefixes: newWordTable(), edges: newEdgeTable()}
	own := [][]int32{nil} // node → its patterns
	depths := []int32{0}  // node → its depth
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
			child, ok := m.edges.get(node, label)
			if !ok {
				child = int32(len(own))
				own = append(own, nil)
				depths = append(depths, int32(i+1))
				m.edges.put(node, label, child)
			}
			node = child
		}
		own[node] = append(own[node], int32(id))
	}
	for w := range m.words.words {
		s := m.words.slot(int32(w))
		s.root = -1
		if c, ok := m.edges.get(0, uint32(w)); ok {
			s.root = c
		}
	}
	for n, o := range own {
		m.nodes = append(m.nodes, matchNode{out: int32(len(order)), depth: depths[n]})
		order = append(order, o...)
	}
	m.nodes = append(m.nodes, matchNode{out: int32(len(order))})
	for _, e := range m.edges.slots {
		if e.node != 0 {
			m.nodes[e.node-1].kids |= labelBit(e.label)
		}
	}
	return m, order
}

// matchScratch is a scan's working memory: the walks begun at earlier
// words, earliest first.
type matchScratch struct {
	active, next []walk
}

// walk is a walk through the trie begun at an earlier word: the node it
// reached, that node's depth and its kids.
type walk struct {
	node, depth int32
	kids        uint64
}

// emitFunc receives one match: the pattern, the byte of buf where it ends,
// and the indices of its first and last words.
type emitFunc func(pattern int32, at int, first, last int32)

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
	for s := 1; s < len(buf); {
		// One pass over the word's bytes for its running hash.
		e := s
		h := uint64(fnvOffset)
		for e < len(buf) && buf[e] != ' ' {
			h = (h ^ uint64(buf[e])) * fnvPrime
			e++
		}
		if e == s {
			s++
			continue
		}
		word++
		active = append(active, walk{kids: m.nodes[0].kids}) // a walk begins at this word
		// The prefixes, which end inside the word before its end, by
		// length (few words begin as one does).
		if lens := m.prefixLens[buf[s]] >> 1 & (1<<min(e-s, maxPrefixLen) - 1); lens != 0 {
			m.prefixesIn(buf, s, lens, active, word, emit)
		}
		k := headAt(buf, s, e)
		next := spare[:0]
		if ws := m.words.lookup(h, k, buf[s:e]); ws != nil {
			// Only walks at a depth the word continues any walk at can
			// go on with it: most look-ups are saved.
			if ws.depths != 0 {
				label := uint32(ws.id - 1)
				for _, w := range active[:len(active)-1] {
					if ws.depths&depthBit(w.depth) == 0 || w.kids&labelBit(label) == 0 {
						continue
					}
					c, ok := m.edges.get(w.node, label)
					if !ok {
						continue
					}
					m.emitAt(c, e, word, emit)
					next = append(next, walk{c, w.depth + 1, m.nodes[c].kids})
				}
			}
			if c := ws.root; c >= 0 {
				m.emitAt(c, e, word, emit)
				next = append(next, walk{c, 1, m.nodes[c].kids})
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
// active at the word.
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
					if w.kids&labelBit(label) == 0 {
						continue
					}
					if c, ok := m.edges.get(w.node, label); ok {
						m.emitAt(c, i, word, emit)
					}
				}
			}
		}
		lens >>= 1
	}
}

func (m *matcher) emitAt(node int32, at int, last int32, emit emitFunc) {
	n := m.nodes[node : node+2]
	first := last - n[0].depth + 1
	for p := n[0].out; p < n[1].out; p++ {
		emit(p, at, first, last)
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

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

// headAt is head(buf[s:e]), read as one word of eight bytes where buf
// has them.
func headAt(buf []byte, s, e int) uint64 {
	if s+8 > len(buf) {
		return head(buf[s:e])
	}
	k := binary.LittleEndian.Uint64(buf[s:])
	if n := e - s; n < 8 {
		k &= 1<<(8*n) - 1
	}
	return k
}

func newWordTable() wordTable { return wordTable{slots: make([]wordSlot, 16)} }

func (t *wordTable) add(w string) int32 {
	h := hashBytes([]byte(w))
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
	for i := hashBytes([]byte(t.words[s.id-1])) & mask; ; i = (i + 1) & mask {
		if t.slots[i].id == 0 {
			t.slots[i] = s
			return
		}
	}
}

// find returns w's id, or -1; h is hashBytes(w).
func (t *wordTable) find(h uint64, w []byte) int32 { return t.findHead(h, head(w), w) }

// findHead is find with head(w) already known.
func (t *wordTable) findHead(h, k uint64, w []byte) int32 {
	if s := t.lookup(h, k, w); s != nil {
		return s.id - 1
	}
	return -1
}

// lookup returns w's slot, or nil; h is hashBytes(w) and k head(w). The
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
	return t.lookup(hashBytes(w), head(w), w)
}

// edgeTable is an open-addressing map from (node, label) to a node. A
// slot holds its key and its value, so a look-up reads one place.
type edgeTable struct {
	slots []edgeSlot
	n     int
	shift uint
}

type edgeSlot struct {
	node  int32 // node+1, 0 empty
	label uint32
	child int32
}

func newEdgeTable() edgeTable {
	return edgeTable{slots: make([]edgeSlot, 16), shift: 64 - 4}
}

func (t *edgeTable) slot(node int32, label uint32) uint64 {
	return ((uint64(node)<<32 | uint64(label)) * 0x9E3779B97F4A7C15) >> t.shift
}

func (t *edgeTable) get(node int32, label uint32) (int32, bool) {
	mask := uint64(len(t.slots) - 1)
	for i := t.slot(node, label); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.node == node+1 && s.label == label {
			return s.child, true
		}
		if s.node == 0 {
			return 0, false
		}
	}
}

func (t *edgeTable) put(node int32, label uint32, v int32) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]edgeSlot, 2*len(old))
		t.shift = uint(64 - bits.TrailingZeros(uint(len(t.slots))))
		t.n = 0
		for _, s := range old {
			if s.node != 0 {
				t.putSlot(s)
			}
		}
	}
	t.putSlot(edgeSlot{node: node + 1, label: label, child: v})
}

func (t *edgeTable) putSlot(e edgeSlot) {
	mask := uint64(len(t.slots) - 1)
	for i := t.slot(e.node-1, e.label); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.node == 0 || s.node == e.node && s.label == e.label {
			if s.node == 0 {
				t.n++
			}
			*s = e
			return
		}
	}
}
