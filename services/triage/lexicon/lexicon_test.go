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
  - {phrase: "hopeless", weight: 1.5, category: hopelessness}
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", ``, "empty document"},
		{"not yaml", `language: [`, "yaml"},
		{"unknown key", minimalYAML + "\nmood: sad\n", "field mood not found"},
		{"bad language", strings.Replace(minimalYAML, "language: xx", "language: English", 1), "language"},
		{"no version", strings.Replace(minimalYAML, `version: "1"`, `version: ""`, 1), "version"},
		{"version with plus", strings.Replace(minimalYAML, `version: "1"`, `version: "1+2"`, 1), "version"},
		{"no entries", "language: xx\nversion: \"1\"\n", "entries: none given"},
		{"unknown category", `
language: xx
version: "1"
entries:
  - {phrase: "sad", weight: 1, category: sadness}
`, `entry 1 ("sad"): category "sadness"`},
		{"zero weight", `
language: xx
version: "1"
entries:
  - {phrase: "hopeless", weight: 1, category: hopelessness}
  - {phrase: "sad", weight: 0, category: hopelessness}
`, `entry 2 ("sad"): weight 0`},
		{"empty phrase", `
language: xx
version: "1"
entries:
  - {phrase: "  ", weight: 1, category: hopelessness}
`, `entry 1 ("  "): empty phrase`},
		{"no letters", `
language: xx
version: "1"
entries:
  - {phrase: "!!!", weight: 1, category: hopelessness}
`, `has no letters`},
		{"duplicate once normalised", `
language: xx
version: "1"
entries:
  - {phrase: "kill myself", weight: 3, category: suicide}
  - {phrase: "hopeless", weight: 1, category: hopelessness, variants: ["KIIILL  MySelf"]}
`, `entry 2 ("hopeless"): "KIIILL  MySelf" is the same phrase as entry 1 ("kill myself")`},
		{"idiom clashing with an entry", minimalYAML + "idioms: [Hopeless]\n", `idioms[0]: "Hopeless" is the same phrase as entry 1`},
		{"star inside", `
language: xx
version: "1"
entries:
  - {phrase: "over*dose", weight: 3, category: overdose_means}
`, `'*' only ends the last word`},
		{"short prefix", `
language: xx
version: "1"
entries:
  - {phrase: "sui*", weight: 3, category: suicide}
`, `at least 4 letters`},
		{"unknown placeholder", `
language: xx
version: "1"
entries:
  - {phrase: "{many} pills", weight: 3, category: overdose_means}
`, `{n} is the only placeholder`},
		{"filler of two words", minimalYAML + "dose_fillers: [of my]\n", `filler "of my"`},
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
	if len(v.Matches) != 1 || v.Matches[0].Language != "en" {
		t.Errorf("shared spelling: %+v, want one match in en", v.Matches)
	}
}

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
	// Every entry category is present in the shipped lexicon.
	seen := map[string]bool{}
	for _, p := range l.parts {
		for _, e := range p.Entries {
			seen[e.Category] = true
		}
	}
	for _, c := range riskCategories {
		if !seen[c] {
			t.Errorf("no %s terms in the shipped lexicon", c)
		}
	}
}
