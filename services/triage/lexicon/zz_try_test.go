package lexicon

import (
	"fmt"
	"testing"
)

func TestZZTry(t *testing.T) {
	for _, s := range []string{
		"Hello World", "sooo tired", "kill", "KILL MYSELF", "k i l l  m y s e l f", "k1ll mys3lf", "$uicide", "@lone",
		"k!ll", "kill!!!", "0verdose", "30 pills", "500mg", "3am", "1st", "5pills", "2.5 mg", "1,000 pills",
		"désespérée", "ｋｉｌｌ", "𝐤𝐢𝐥𝐥", "ki\u200bll", "кill", "💊💊💊", "👍🏽", "don't", "j'ai envie", "co-codamol",
		"ﬁne", "Straße", "İstanbul", "naïve café", "\xff\xfeabc", "x10", "covid19", "me@home", "I'm a mess",
	} {
		var n normaliser
		n.join = true
		n.run(s)
		fmt.Printf("%-28q → %-30q join→ %q spaced=%v\n", s, Normalise(s), string(n.buf), n.spaced)
	}
}
