package lexicon

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalise(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"case and spaces", "  Hello   WORLD ", "helo world"},
		{"repeated letters collapse", "sooo tiiired", "so tired"},
		{"kill and kil are one", "kill kil kiiilll", "kil kil kil"},
		{"punctuation separates", "kill.my.self!!!", "kil my self"},
		{"apostrophes separate", "don't can’t j'ai", "don t can t j ai"},
		{"hyphens separate", "co-codamol self-harm", "co codamol self harm"},
		{"accents stripped", "désespérée naïve café", "desespere naive cafe"},
		{"accents in decomposed form", "de\u0301sespe\u0301re\u0301e", "desespere"},
		{"spanish", "¿Ya no aguanto MÁS?", "ya no aguanto mas"},
		{"fullwidth", "ｋｉｌｌ ｍｙｓｅｌｆ", "kil myself"},
		{"mathematical bold", "𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟", "kil myself"},
		{"ligature", "ﬁne", "fine"},
		{"zero width inside a word", "ki\u200bll my\u00adself", "kil myself"},
		{"cyrillic look-alikes", "кіll mуsеlf", "kil myself"},
		{"leet digits", "k1ll mys3lf su1c1d4l", "kil myself suicidal"},
		{"leet symbols", "$uicide @lone k!ll", "suicide alone kil"},
		{"leet digit starting a word", "0verdose", "overdose"},
		{"trailing bang is punctuation", "kill!!!", "kil"},
		{"dollar amount", "$50", "#m"},
		{"own after a possessive vanishes", "ending my OWN life, mi propia vida, ma propre vie", "ending my life mi vida ma vie"},
		{"own elsewhere stays", "my. own life, on my own, own it, my own flat", "my own life on my own own it my own flat"},
		{"own before a noun with repeats", "my own self my own own life", "my self my own own life"},
		{"numbers by size", "2 7 30 1000", "#s #f #m #m"},
		{"number and unit split", "500mg 30pills", "#m mg #m pils"},
		{"decimal point", "2.5 mg", "#s mg"},
		{"thousands", "1,000 pills", "#m pils"},
		{"short suffix stays a number", "3am 1st", "#s am #s st"},
		{"emoji are words", "💊💊 pills🔪", "💊 💊 pils 🔪"},
		{"emoji modifiers vanish", "👍🏽 ❤️", "👍 ❤"},
		{"spaced letters stay apart in the first pass", "k i l l", "k i l l"},
		{"invalid utf-8 separates", "ab\xffcd", "ab cd"},
		{"empty", "", ""},
		{"only punctuation", "?!...", ""},
		{"other scripts kept, look-alikes read as latin", "Привет мир", "пpиbet mиp"},
		{"masked letters kept without a vocabulary", "k*ll su**ide", "k*l su**ide"},
		{"a star outside a word separates", "*hug* kill*", "hug kil"},
		{"bar and euro as letters", "ki|| d€ad", "kil dead"},
		{"possessive s", "my mum's pills", "my mum pils"},
		{"dash and dot split in the first pass", "sui-cide s.u.i", "sui cide s u i"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalise(tt.in); got != tt.want {
				t.Errorf("Normalise(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormaliseJoinsSpacedLetters(t *testing.T) {
	tests := []struct {
		in, want string
		spaced   bool
	}{
		{"k i l l  m y s e l f", "kilmyself", true},
		{"j e   v e u x   m e   t u e r", "je veux me tuer", true},
		{"i want to k i l l myself", "i want to kil myself", true},
		{"K-I-L-L", "kil", true},
		{"i m a mess", "ima mes", true},
		{"a b", "ab", false},
		{"sui-cide", "suicide", true},
		{"s.u.i.c.i.d.e", "suicide", true},
		{"no single letters here", "no single leters here", false},
	}
	for _, tt := range tests {
		var first, second normaliser
		first.run(tt.in)
		second.join = true
		second.run(tt.in)
		if got := strings.TrimSpace(string(second.buf)); got != tt.want || first.spaced != tt.spaced {
			t.Errorf("%q: joined %q (spaced %v), want %q (spaced %v)", tt.in, got, first.spaced, tt.want, tt.spaced)
		}
	}
}

// TestNormaliseOffsets checks that each normalised word maps back to the
// original runes it came from.
func TestNormaliseOffsets(t *testing.T) {
	tests := []struct {
		in   string
		word int    // which normalised word
		want string // the original text it spans
	}{
		{"I'm going to KIIILL myself", 4, "KIIILL"},
		{"désespérée", 0, "désespérée"},
		{"took 1,000 pills", 1, "1,000"},
		{"ｋｉｌｌ", 0, "ｋｉｌｌ"},
		{"ki\u200bll me", 0, "ki\u200bll"},
		{"💊💊", 1, "💊"},
	}
	for _, tt := range tests {
		var n normaliser
		n.run(tt.in)
		if got := tt.in[n.spans[tt.word].start:n.spans[tt.word].end]; got != tt.want {
			t.Errorf("%q word %d spans %q, want %q", tt.in, tt.word, got, tt.want)
		}
	}
}

// FuzzNormalise checks the normaliser never panics, is deterministic, and
// keeps its offsets inside the input, in order and on rune boundaries.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"I want to kill myself", "k i l l  m y s e l f", "désespérée", "💊💊💊", "1,000.5mg", "$@!", "\xff\xfe", "ｋｉｌｌ", "ki\u200bll"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Idempotent: the normal form of a normal form is itself, except
		// for number tokens, which are not numbers any more.
		if once := Normalise(s); !strings.Contains(once, "#") && utf8.ValidString(s) {
			if twice := Normalise(once); twice != once {
				t.Fatalf("not idempotent: %q -> %q -> %q", s, once, twice)
			}
		}
		for _, join := range []bool{false, true} {
			var n normaliser
			n.join = join
			n.run(s)
			again := Normalise(s)
			if !join && again != strings.TrimSpace(string(n.buf)) {
				t.Fatalf("not deterministic: %q vs %q", again, n.buf)
			}
			if len(n.words) != len(n.sents) || len(n.words) != len(n.spans) || len(n.words) != len(strings.Fields(string(n.buf))) {
				t.Fatalf("%d words recorded for %q", len(n.words), n.buf)
			}
			if n.buf[0] != ' ' || n.buf[len(n.buf)-1] != ' ' || strings.Contains(string(n.buf), "  ") {
				t.Fatalf("bad spacing: %q", n.buf)
			}
			if !utf8.Valid(n.buf) {
				t.Fatalf("invalid UTF-8 out: %q", n.buf)
			}
			prev := int32(0)
			for i, sp := range n.spans {
				st, en := sp.start, sp.end
				if st < 0 || st >= en || int(en) > len(s) || st < prev {
					t.Fatalf("word %d: offsets [%d,%d) for input of %d bytes", i, st, en, len(s))
				}
				prev = en
				if utf8.ValidString(s) && (!onBoundary(s, int(st)) || !onBoundary(s, int(en))) {
					t.Fatalf("word %d: offsets [%d,%d) not on rune boundaries of %q", i, st, en, s)
				}
			}
		}
	})
}

func onBoundary(s string, i int) bool { return i == len(s) || utf8.RuneStart(s[i]) }
