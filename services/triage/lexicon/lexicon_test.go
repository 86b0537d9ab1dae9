package lexicon

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const minimalYAML = `
language: xx
version: "1"
entries:
  - {phrase: "hopeless", signal: wish_to_be_dead, kind: hopeless}
`

func TestParseErrors(t *testing.T) {
	entry := func(e string) string { return "language: xx\nversion: \"1\"\nentries:\n  - " + e + "\n" }
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", ``, "empty document"},
		{"not yaml", `language: [`, "yaml"},
		{"unknown key", minimalYAML + "\nmood: sad\n", "field mood not found"},
		{"old weights schema", entry(`{phrase: "sad", weight: 1, category: hopelessness}`), "field weight not found"},
		{"bad language", strings.Replace(minimalYAML, "language: xx", "language: English", 1), "language"},
		{"no version", strings.Replace(minimalYAML, `version: "1"`, `version: ""`, 1), "version"},
		{"version with plus", strings.Replace(minimalYAML, `version: "1"`, `version: "1+2"`, 1), "version"},
		{"no entries", "language: xx\nversion: \"1\"\n", "entries: none given"},
		{"unknown signal", entry(`{phrase: "sad", signal: sadness}`), `entry 1 ("sad"): signal "sadness"`},
		{"kind of another signal", entry(`{phrase: "sad", signal: method, kind: grooming}`), `kind "grooming" is not a kind of method`},
		{"named method without means", entry(`{phrase: "pills", signal: method}`), "needs a means kind"},
		{"unknown means", entry(`{phrase: "pills", signal: method, means: sweets}`), `means "sweets"`},
		{"action without means", entry(`{phrase: "jump", signal: intent, action: true}`), "only a means can be an action"},
		{"bad person", entry(`{phrase: "x y", signal: intent, person: you}`), `person "you"`},
		{"bad near", entry(`{phrase: "x y", signal: intent, near: [sweets]}`), `near "sweets"`},
		{"many without near", entry(`{phrase: "x y", signal: recent_behaviour, many: true}`), "many needs near"},
		{"bad with", entry(`{phrase: "x y", signal: intent, with: [sadness]}`), `with "sadness"`},
		{"empty phrase", entry(`{phrase: "  ", signal: intent}`), `empty phrase`},
		{"no letters", entry(`{phrase: "!!!", signal: intent}`), `has no letters`},
		{"duplicate once normalised", "language: xx\nversion: \"1\"\nentries:\n  - {phrase: \"kill myself\", signal: active_ideation}\n  - {phrase: \"hopeless\", signal: wish_to_be_dead, variants: [\"KIIILL  MySelf\"]}\n",
			`entry 2 ("hopeless"): "KIIILL  MySelf" is the same phrase as entry 1 ("kill myself")`},
		{"idiom clashing with an entry", minimalYAML + "modifiers:\n  idioms: [Hopeless]\n", `modifiers.idioms: "Hopeless" is the same phrase as entry 1`},
		{"star inside", entry(`{phrase: "over*dose", signal: intent}`), `'*' only ends the last word`},
		{"short prefix", entry(`{phrase: "sui*", signal: intent}`), `at least 4 letters`},
		{"unknown placeholder", entry(`{phrase: "{many} pills", signal: intent}`), `{n} is the only placeholder`},
		{"filler of two words", minimalYAML + "modifiers:\n  negation_fillers: [of my]\n", `"of my": want one word`},
		{"unknown cue class", minimalYAML + "cues:\n  sadness: [blue]\n", `cues.sadness: no such cue class`},
		{"bad cue phrase", minimalYAML + "cues:\n  means: [\"!!!\"]\n", `cues.means`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse: %v; want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestMergeAndVersion(t *testing.T) {
	parse := func(lang, version string) *Lexicon {
		t.Helper()
		l, err := Parse([]byte(strings.NewReplacer("language: xx", "language: "+lang, `version: "1"`, `version: "`+version+`"`).Replace(minimalYAML)))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	fr, en := parse("fr", "2026.1"), parse("en", "2026.2")
	m, err := Merge(fr, nil, en)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Version(), "en-2026.2+fr-2026.1"; got != want {
		t.Errorf("Version = %q, want %q", got, want)
	}
	if _, err := Merge(m, parse("en", "3")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Merge with a language twice: %v, want ErrInvalid", err)
	}
	// The same spelling in two languages is reported by the first in order.
	v := NewClassifier(m).Classify("hopeless")
	if len(v.Matches) != 1 || v.Matches[0].Language != "en" || v.Risk != RiskElevated {
		t.Errorf("shared spelling: %+v, want one elevated match in en", v)
	}
}

// TestDefault: the shipped lexicons have every signal, every modifier and
// the key sub-kinds in every language; none is a smaller copy of another.
func TestDefault(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Languages(); !slices.Equal(got, []string{"en", "es", "fr"}) {
		t.Errorf("Languages = %v", got)
	}
	if !strings.HasPrefix(l.Version(), "en-") || strings.Count(l.Version(), "+") != 2 {
		t.Errorf("Version = %q", l.Version())
	}
	for _, p := range l.parts {
		seen := map[string]bool{}
		terms := 0
		for _, e := range p.Entries {
			r, _ := e.resolve()
			seen[signalNames[r.signal]] = true
			seen[kindInfo[r.kind].name] = true
			seen[meansNames[r.means]] = true
			terms += 1 + len(e.Variants)
		}
		for _, want := range append(slices.Clone(signalNames[:]), "named", "acquired", "prepared", "researched",
			"doses", "heights", "ligature", "weapon", "traffic", "drowning",
			"strangulation", "sexual_abuse", "grooming", "child_afraid_home", "partner_violence", "proximity") {
			if !seen[want] {
				t.Errorf("%s: no %s terms", p.Language, want)
			}
		}
		for _, list := range p.modifierLists() {
			if len(list.phrases) == 0 {
				t.Errorf("%s: no %s cues", p.Language, list.name)
			}
		}
		if terms < 800 {
			t.Errorf("%s: %d terms and variants, want a lexicon of its own (800 or more)", p.Language, terms)
		}
	}
}

// TestTextingForms: a phrase of two words or more is also matched as
// clients text it; a one-word phrase is not ("pa" alone is French's
// "pas" as much as Spanish's "para").
func TestTextingForms(t *testing.T) {
	tx := map[string][]string{"para": {"pa"}, "que": {"q", "k"}}
	got := textingForms("ya sabes para que", tx)
	want := []string{"ya sabes pa que", "ya sabes para q", "ya sabes para k", "ya sabes pa q"}
	if !slices.Equal(got, want) {
		t.Errorf("textingForms = %q, want %q", got, want)
	}
	if got := textingForms("para", tx); got != nil {
		t.Errorf("one word: %q, want none", got)
	}
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"me compré un arma. y no es pa defenderme, ya sabes pa qué es", RiskCrisis},
		{"ya un pont au dessus de l'autoroute derriere mon bahut. jveux sauter.", RiskCrisis},
		{"got the pills. 2nite after the footy finishes", RiskCrisis},
		{"my boss is gonna kill me, overslept AGAIN", RiskNone},
		{"ya tengo todo listo pa la fiesta de mañana", RiskNone},
		{"jvais au ciné ce soir avec mes potes", RiskNone},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s), want %s", tc.text, v.Risk, v.Rule, tc.want)
		}
	}
}

// TestPersonAndResolveClasses (lexicon 2026.12.7.45): a third person's
// overdose told by its verb, being at the place in Spanish with "del" or
// "ando", and a decision held against being stopped beside a wish, each
// with a calm message of the same words.
func TestPersonAndResolveClasses(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"mi amiga se tomó un montón de pastillas", RiskCrisis},
		{"mi abuela se tomó todas sus pastillas de la mañana como siempre", RiskNone},
		{"estoy arriba del puente, nomas queria que alguien supiera", RiskCrisis},
		{"ando en el puente de vacaciones con mis papás", RiskNone},
		{"ya no quiero vivir. nada me va a detener esta vez", RiskCrisis},
		{"nothing's stopping me from going to the concert tonight", RiskNone},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s), want %s", tc.text, v.Risk, v.Rule, tc.want)
		}
	}
}

// TestFinalWordsClasses (lexicon 2026.12.7.46): a prayer to be taken and
// not living to a near date, with calm messages of the same words.
func TestFinalWordsClasses(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"dios mio llevame ya, y si no me llevas me voy yo sola esta noche", RiskCrisis},
		{"señor llevame a casa que ya me cansé de la fiesta", RiskNone},
		{"vs inquiétez pas pour moi, demain je serai plus un problème pour personne", RiskCrisis},
		{"ya no voy a ser un problema para mi jefe, renuncié hoy", RiskNone},
		{"no voy a llegar a mi cumpleaños con este vestido, no me cabe", RiskNone},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s), want %s", tc.text, v.Risk, v.Rule, tc.want)
		}
	}
}

// TestRegionalSpanish (lexicon es 2026.12.7.47): Rioplatense and other
// Latin American words for the act and the means, with calm messages of
// the same words.
func TestRegionalSpanish(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"hace días que pienso en quitarme del medio. en serio", RiskCrisis},
		{"me voy a tirar abajo del bondi, ya no aguanto", RiskCrisis},
		{"el gato se metió abajo del coche y no sale", RiskNone},
		{"que se quite del medio ese auto", RiskNone},
		{"estoy arriba del techo arreglando la antena", RiskNone},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s), want %s", tc.text, v.Risk, v.Rule, tc.want)
		}
	}
}

// TestQuotedWords (lexicon en/es/fr 2026.12.7.50, rules 2026.12.7.40):
// words in quotation marks opened after someone else are theirs, a
// character's lines are the story's, and the writer quoting themselves is
// still the writer; "œ" is "oe"; someone else having swallowed a whole
// supply is in danger now.
func TestQuotedWords(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"ma sœur m'a écrit « je veux plus être là » puis plus rien", RiskElevated},
		{"mi compañera de piso puso en el grupo \"me quiero morir\" y no contesta", RiskElevated},
		{"my housemate texted me \"i want to kill myself\" and now she won't answer", RiskElevated},
		{"dans mon roman le personnage dit « je vais me tuer », c'est trop ?", RiskNone},
		{"i told my mum \"i want to die\" and she laughed", RiskCrisis},
		{"j'ai dit à ma mère « je veux mourir »", RiskCrisis},
		{"le dije a mi novio \"me quiero matar\"", RiskCrisis},
		{"ma coloc a avalé toute sa boite d'antidépresseurs, elle respire bizarre", RiskCrisis},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s %v), want %s", tc.text, v.Risk, v.Rule, v.Signals, tc.want)
		}
	}
}

// TestEverydayCompany (lexicon en/es/fr 2026.12.7.51): being up high with
// friends or family, for a walk or to see to the roof is being there for
// an everyday reason in each language; a wish to jump still counts, and a
// bare Spanish "saltar" is a method near a height, as "jump" is.
func TestEverydayCompany(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"estoy en el puente con mis amigos esperando a que empiece la fiesta", RiskNone},
		{"subí a la azotea a revisar las goteras", RiskNone},
		{"je suis sur le toit pour vérifier l'antenne", RiskNone},
		{"on the roof with my mates, great sunset", RiskNone},
		{"estoy en el puente con mis amigos pero quiero saltar", RiskCrisis},
		{"je suis sur le pont avec mes potes, j'ai envie de sauter", RiskCrisis},
		{"i'm on the roof to check the gutters and honestly i want to jump", RiskCrisis},
		{"estoy en la azotea y quiero saltar", RiskCrisis},
		{"me da miedo saltar en paracaídas", RiskNone},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s %v), want %s", tc.text, v.Risk, v.Rule, v.Signals, tc.want)
		}
	}
}

// TestPastPeriods (lexicon en/es/fr 2026.12.7.52): a season or a term
// gone by tells a past ("last winter", "el verano pasado", "l'hiver
// dernier"), over when the message says so; a Spanish perfect after
// "nunca" still negates ("nunca he pensado en suicidarme").
func TestPastPeriods(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"last winter i thought about ending it. counselling helped, i'm in a good place now", RiskNone},
		{"el verano pasado pensé en suicidarme, ahora estoy mejor", RiskNone},
		{"l'hiver dernier j'ai pensé au suicide, ça va mieux", RiskNone},
		{"nunca he pensado en suicidarme pero estoy muy estresado", RiskNone},
		{"last winter was hard and tonight i want to kill myself", RiskCrisis},
		{"nunca he estado tan mal, quiero morirme", RiskCrisis},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s %v), want %s", tc.text, v.Risk, v.Rule, v.Signals, tc.want)
		}
	}
}

// A joke marker denied in each language's own word order: the denial may
// stand anywhere among the marker's words (rules 2026.12.7.49), so the
// message is meant; a marker not denied still holds ("pas mal" is a lot).
func TestJokeDenied(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"jaja no es broma, me voy a matar esta noche", RiskCrisis},
		{"no estoy bromeando, quiero matarme", RiskCrisis},
		{"mdr je rigole pas je veux me tuer", RiskCrisis},
		{"je veux me tuer, c'est pas une blague", RiskCrisis},
		{"lol this isn't a joke i want to kill myself", RiskCrisis},
		{"jaja me quiero matar, es broma", RiskElevated},
		{"mdr je veux me tuer je rigole pas mal", RiskElevated},
		{"lol i want to kill myself, jk", RiskElevated},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s %v), want %s", tc.text, v.Risk, v.Rule, v.Signals, tc.want)
		}
	}
}
