package config

import (
	"strings"
	"testing"

	"github.com/helpline-org/helpline/deploy"
)

// TestExampleLineShipsSavedReplies: the example line's workers start with
// the emergency numbers and the safety-planning prompts in English,
// Spanish and French, each language with the same shortcuts.
func TestExampleLineShipsSavedReplies(t *testing.T) {
	t.Parallel()
	f, err := ParseFile(deploy.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	byLang := map[string]map[string]string{}
	for _, r := range f.DefaultSavedReplies("main") {
		if byLang[r.Language] == nil {
			byLang[r.Language] = map[string]string{}
		}
		byLang[r.Language][r.Shortcut] = r.Text
		if strings.ContainsAny(r.Text, "{}") {
			t.Errorf("%s /%s has a placeholder: saved replies are plain text", r.Language, r.Shortcut)
		}
	}
	for _, lang := range []string{"en", "es", "fr"} {
		for _, shortcut := range []string{"emergency", "ask", "safe-now", "warning", "coping", "people", "space", "reasons"} {
			if byLang[lang][shortcut] == "" {
				t.Errorf("no %s /%s", lang, shortcut)
			}
		}
		for _, number := range []string{"999", "116 123", "85258"} {
			if !strings.Contains(byLang[lang]["emergency"], number) {
				t.Errorf("%s /emergency does not give %s", lang, number)
			}
		}
	}
	if n := len(f.DefaultSavedReplies("night")); n != 0 {
		t.Errorf("the night line configures none, got %d", n)
	}
}

func TestSavedRepliesAreValidatedAtLoad(t *testing.T) {
	t.Parallel()
	bad := oneLine + `    saved_replies:
      - {language: English, shortcut: ok, title: T, text: Hello}
      - {language: en, shortcut: "/slash", title: T, text: Hello}
      - {language: en, shortcut: hi, title: "", text: Hello}
      - {language: en, shortcut: dup, title: T, text: Hello}
      - {language: en, shortcut: dup, title: T, text: Again}
`
	refusedSaying(t, bad,
		"lines[0] (main): saved_replies[0] (/ok): invalid command: language",
		"lines[0] (main): saved_replies[1] (//slash): invalid command: shortcut",
		"lines[0] (main): saved_replies[2] (/hi): invalid command: title",
		"lines[0] (main): saved_replies[4] (/dup): shortcut given twice in en",
	)
}
