package lexicon

import (
	"fmt"
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestZZDups(t *testing.T) {
	for _, f := range []string{"data/en.yaml", "data/es.yaml", "data/fr.yaml"} {
		data, _ := os.ReadFile(f)
		var p part
		if err := yaml.Unmarshal(data, &p); err != nil {
			t.Fatal(f, err)
		}
		seen := map[string]string{}
		claim := func(where, ph string) {
			if err := checkPhrase(ph); err != nil {
				fmt.Println(f, where, err)
			}
			for _, form := range phraseForms(ph) {
				if prev, ok := seen[form]; ok {
					fmt.Printf("%s: %s %q dup of %s\n", f, where, ph, prev)
				}
				seen[form] = where + " " + ph
			}
		}
		for i, e := range p.Entries {
			for _, ph := range append([]string{e.Phrase}, e.Variants...) {
				claim(fmt.Sprint("entry ", i+1, " ", e.Phrase), ph)
			}
		}
		for _, l := range [][]string{p.Quantities.Many, p.Quantities.Few, p.Idioms, p.Negations, p.NegationVoids, p.History} {
			for _, ph := range l {
				claim("list", ph)
			}
		}
	}
}
