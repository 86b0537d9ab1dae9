package lexicon

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func defaultClassifier(t testing.TB) *Classifier {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return NewClassifier(l)
}

func terms(v Verdict) []string {
	var out []string
	for _, m := range v.Matches {
		out = append(out, m.Term)
	}
	return out
}

func TestClassify(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		name, text string
		risk       Risk
		rule       string
		terms      []string // terms that must be among the matches
	}{
		// Idioms and everyday talk: none.
		{"idiom traffic", "this traffic is killing me", RiskNone, RuleNoMatch, nil},
		{"idiom phone", "my phone is dying", RiskNone, RuleNoMatch, nil},
		{"idiom exam", "I killed it at my exam", RiskNone, RuleNoMatch, nil},
		{"idiom film", "I'm dying to see that film", RiskNone, RuleNoMatch, nil},
		{"idiom tired", "dead tired", RiskNone, RuleNoMatch, nil},
		{"idiom time", "killing time", RiskNone, RuleNoMatch, nil},
		{"idiom hides the term it covers", "I nearly killed myself laughing", RiskNone, RuleIdiomSuppressed, []string{"nearly killed myself laughing"}},
		{"idiom hides nothing else", "killed myself laughing, but honestly I want to die", RiskCrisis, RuleCrisis, []string{"want to die"}},
		{"idiom embarrassment", "I could have died of embarrassment", RiskNone, RuleNoMatch, nil},
		{"idiom end it with someone", "I'm going to end it with him tonight", RiskNone, RuleIdiomSuppressed, []string{"end it with"}},
		{"odd is not od", "that's odd", RiskNone, RuleNoMatch, nil},
		{"skills contain kill", "I need new skills", RiskNone, RuleNoMatch, nil},
		{"dye not die", "I want to dye my hair", RiskNone, RuleIdiomSuppressed, []string{"dye my hair"}},
		{"es idiom", "me muero de risa", RiskNone, RuleNoMatch, nil},
		{"fr idiom", "je suis mort de rire", RiskNone, RuleNoMatch, nil},

		// Medication as normal: at most elevated.
		{"normal dose", "I took 2 paracetamol for my headache", RiskElevated, RuleElevated, []string{"paracetamol"}},
		{"strength is not a count", "I took a 500mg paracetamol", RiskElevated, RuleElevated, []string{"paracetamol"}},
		{"prescription count", "the doctor gave me 28 tablets", RiskNone, RuleBelowElevated, []string{"gave me {n}"}},
		{"pills alone", "forgot my pills", RiskNone, RuleBelowElevated, []string{"pills"}},

		// Means and doses.
		{"dose", "I took 30 paracetamol", RiskCrisis, RuleCrisis, []string{"{many} paracetamol"}},
		{"dose with fillers", "took 16 of my co-codamol", RiskCrisis, RuleCrisis, []string{"{many} co-codamol"}},
		{"dose in words", "swallowed twenty sleeping pills", RiskCrisis, RuleCrisis, []string{"{many} sleeping pills"}},
		{"whole packet", "took a whole packet of ibuprofen", RiskCrisis, RuleCrisis, []string{"{many} ibuprofen"}},
		{"few pills", "took 6 pills", RiskElevated, RuleElevated, []string{"{few} pills"}},
		{"few pills and despair", "took 6 pills and i feel numb", RiskCrisis, RuleMeansIntent, []string{"{few} pills", "empty inside"}},
		{"means and intent", "I have a rope and I can't go on", RiskCrisis, RuleMeansIntent, []string{"rope", "can't go on"}},
		{"pill emoji and intent", "💊 i want it to end", RiskCrisis, RuleCrisis, []string{"💊", "want it all to end"}},
		{"many pill emoji", "💊💊💊💊", RiskCrisis, RuleCrisis, []string{"💊💊💊"}},
		{"knot emoji and urgency", "🪢 tonight", RiskCrisis, RuleCrisis, []string{"🪢", "tonight"}},
		{"bridge", "standing on the bridge", RiskCrisis, RuleCrisis, []string{"edge of the bridge"}},
		{"es dose", "me tomé 20 pastillas", RiskCrisis, RuleCrisis, []string{"{many} pastillas"}},
		{"fr dose", "j'ai avalé toute la boîte de doliprane", RiskCrisis, RuleCrisis, []string{"{many} doliprane"}},

		// Intent, slang, misspellings, evasions.
		{"direct", "I want to kill myself", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"kms", "gonna kms", RiskCrisis, RuleCrisis, []string{"kms"}},
		{"unalive", "thinking of unaliving myself", RiskCrisis, RuleCrisis, []string{"unalive myself"}},
		{"ctb", "ctb tonight", RiskCrisis, RuleCrisis, []string{"ctb"}},
		{"sewerslide", "sewer slide", RiskCrisis, RuleCrisis, []string{"sewerslide"}},
		{"kys is not self-referential", "kys", RiskElevated, RuleElevated, []string{"kys"}},
		{"bullying with kill myself", "they keep telling me to kill myself", RiskElevated, RuleElevated, []string{"told me to kill myself"}},
		{"misspelt explicitly", "i think about sucide", RiskCrisis, RuleCrisis, []string{"thinking about suicide"}},
		{"misspelt by one letter", "i feel suicdal", RiskCrisis, RuleCrisis, []string{"suicidal"}},
		{"misspelt swap", "i want to kill mysefl", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"repeated letters", "i want to dieeeee", RiskCrisis, RuleCrisis, []string{"want to die"}},
		{"spaced", "k i l l  m y s e l f", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"leet", "i want to k1ll mys3lf", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"fullwidth", "ｋｉｌｌ ｍｙｓｅｌｆ", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"hashtag", "#killmyself", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"zero width", "kill my\u200bself", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"lol is not an idiom", "kill myself lol", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"es intent", "quiero suicidarme", RiskCrisis, RuleCrisis, []string{"suicidarme"}},
		{"es no accents", "ya no aguanto mas, quiero acabar con todo", RiskCrisis, RuleCrisis, []string{"quitarme la vida"}},
		{"fr intent", "j'ai des idées suicidaires", RiskCrisis, RuleCrisis, []string{"idees suicidaires"}},
		{"fr ne plus is not a negation", "je ne veux plus vivre", RiskCrisis, RuleCrisis, []string{"ne veux plus vivre"}},
		{"threat", "he said he'd kill me", RiskCrisis, RuleCrisis, []string{"threatening to kill me"}},

		// Negation: downgraded to elevated, never to none.
		{"negated", "I'm not going to kill myself", RiskElevated, RuleNegatedDowngraded, []string{"not going to", "kill myself"}},
		{"never", "I would never kill myself", RiskElevated, RuleNegatedDowngraded, []string{"never", "kill myself"}},
		{"not suicidal", "not suicidal, just sad", RiskElevated, RuleNegatedDowngraded, []string{"suicidal"}},
		{"negated weak term kept elevated", "I'm not hopeless", RiskElevated, RuleNegatedKeptElevated, []string{"hopeless"}},
		{"negation elsewhere", "I'm not okay. I want to kill myself", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"not going to lie", "not going to lie, I want to die", RiskCrisis, RuleCrisis, []string{"want to die"}},
		{"can't is not a negation", "I can't stop thinking about killing myself", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"void negation", "I can't promise I won't kill myself", RiskCrisis, RuleCrisis, []string{"kill myself"}},
		{"negation does not cover means", "I'm not suicidal but I have 40 pills saved", RiskCrisis, RuleCrisis, []string{"{many} pills"}},
		{"es negated", "no me voy a matar", RiskElevated, RuleNegatedDowngraded, []string{"matarme"}},
		{"fr negated", "je ne vais pas me tuer", RiskElevated, RuleNegatedDowngraded, []string{"me tuer"}},
		{"fr negated bare verb", "je ne veux pas mourir", RiskElevated, RuleNegatedKeptElevated, []string{"mourir"}},

		// History.
		{"past attempt", "I tried to kill myself when I was 15", RiskElevated, RuleHistoryDowngraded, []string{"tried to kill myself", "when i was {n}"}},
		{"recent attempt", "I tried to kill myself last night", RiskCrisis, RuleCrisis, []string{"tried to kill myself"}},
		{"used to", "I used to self harm", RiskElevated, RuleElevated, []string{"used to cut"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := c.Classify(tt.text)
			got := terms(v)
			missing := slices.ContainsFunc(tt.terms, func(term string) bool { return !slices.Contains(got, term) })
			if v.Risk != tt.risk || v.Rule != tt.rule || missing {
				b, _ := json.Marshal(v)
				t.Errorf("Classify(%q) = %s\nwant risk %s, rule %s, terms including %q", tt.text, b, tt.risk, tt.rule, tt.terms)
			}
		})
	}
}

func TestMatchOffsets(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		text, term, want string
	}{
		{"Honestly... I want to KIIILL MYSELFFF tonight", "kill myself", "KIIILL MYSELFFF"},
		{"je suis désespérée", "desespere", "désespérée"},
		{"ok so k i l l  m y s e l f", "kill myself", "k i l l  m y s e l f"},
		{"I took 30 of my paracetamol", "{many} paracetamol", "30 of my paracetamol"},
		{"💊💊💊 done", "💊💊💊", "💊💊💊"},
		{"thinking about overdosing", "overdos*", "overdosing"},
		{"ｋｉｌｌ ｍｙｓｅｌｆ", "kill myself", "ｋｉｌｌ ｍｙｓｅｌｆ"},
	}
	for _, tt := range tests {
		v := c.Classify(tt.text)
		i := slices.IndexFunc(v.Matches, func(m Match) bool { return m.Term == tt.term })
		if i < 0 {
			t.Errorf("Classify(%q): no match for %q in %v", tt.text, tt.term, terms(v))
			continue
		}
		m := v.Matches[i]
		if got := tt.text[m.Start:m.End]; got != tt.want {
			t.Errorf("Classify(%q): %q spans %q, want %q", tt.text, tt.term, got, tt.want)
		}
	}
}

func TestVerdictJSON(t *testing.T) {
	c := defaultClassifier(t)
	b, err := json.Marshal(c.Classify("I took 30 paracetamol"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"risk":"crisis","score":3,"matches":[{"term":"{many} paracetamol","category":"overdose_means","language":"en","weight":3,"start":7,"end":21}],"lexicon_version":"en-2026.11.1+es-2026.11.1+fr-2026.11.1","rule":"score\u003e=crisis_threshold"}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

// TestClassifyConcurrent runs classifications in parallel (under -race) and
// checks they agree with sequential ones.
func TestClassifyConcurrent(t *testing.T) {
	c := defaultClassifier(t)
	set := readEval(t, "testdata/eval.jsonl")
	want := make([]Verdict, len(set))
	for i, l := range set {
		want[i] = c.Classify(l.Text)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range set {
				j := (i + g*37) % len(set)
				if got := c.Classify(set[j].Text); !reflect.DeepEqual(got, want[j]) {
					t.Errorf("concurrent Classify(%q) = %+v, want %+v", set[j].Text, got, want[j])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestClassifyNilLexicon(t *testing.T) {
	v := NewClassifier(nil).Classify("I want to kill myself")
	if v.Risk != RiskNone || v.Rule != RuleNoMatch || v.Matches != nil {
		t.Errorf("nil lexicon: %+v", v)
	}
}

// FuzzClassify checks classification never panics, is deterministic, and
// reports offsets inside the text, in order, and on rune boundaries.
func FuzzClassify(f *testing.F) {
	c := defaultClassifier(f)
	for _, l := range readEval(f, "testdata/eval.jsonl")[:60] {
		f.Add(l.Text)
	}
	f.Add("k i l l  m y s e l f 💊💊💊 30 of my pills")
	f.Fuzz(func(t *testing.T, s string) {
		v := c.Classify(s)
		if again := c.Classify(s); !reflect.DeepEqual(v, again) {
			t.Fatalf("not deterministic for %q:\n%+v\n%+v", s, v, again)
		}
		if v.Risk != RiskNone && v.Risk != RiskElevated && v.Risk != RiskCrisis || v.Rule == "" || v.Score < 0 {
			t.Fatalf("bad verdict %+v", v)
		}
		if len(v.Matches) > MaxMatches {
			t.Fatalf("%d matches", len(v.Matches))
		}
		for i, m := range v.Matches {
			if m.Start < 0 || m.Start > m.End || m.End > len(s) {
				t.Fatalf("match %+v out of bounds of %d bytes", m, len(s))
			}
			if utf8.ValidString(s) && (!onBoundary(s, m.Start) || !onBoundary(s, m.End)) {
				t.Fatalf("match %+v not on rune boundaries of %q", m, s)
			}
			if i > 0 && v.Matches[i-1].Start > m.Start {
				t.Fatalf("matches out of order: %+v", v.Matches)
			}
			if strings.TrimSpace(m.Term) == "" || m.Category == "" || m.Language == "" {
				t.Fatalf("match without term: %+v", m)
			}
		}
	})
}
