package config

import (
	"strings"
	"testing"
	"time"
)

const oneLine = `
lines:
  - id: main
    number: "+442079460000"
    timezone: Europe/London
    always_open: true
`

func TestLineDefaultsToTheShippedTaxonomy(t *testing.T) {
	t.Parallel()
	f, err := ParseFile([]byte(oneLine))
	if err != nil {
		t.Fatal(err)
	}
	l := f.Lines[0]
	if l.ReopenWindow.Duration != DefaultReopenWindow || l.Taxonomy == nil || len(l.Taxonomy.Categories) != 4 ||
		l.AbandonedAfter.Duration != 24*time.Hour {
		t.Fatalf("defaults: window %s, abandoned after %s, taxonomy %+v", l.ReopenWindow, l.AbandonedAfter, l.Taxonomy)
	}
	if err := l.Taxonomy.CheckWrapUp("supported", []string{"reason:mental_health", "reason:family", "risk:low", "referral:none"}); err != nil {
		t.Fatalf("a good wrap-up: %v", err)
	}
}

func TestTaxonomyChecksTheWrapUp(t *testing.T) {
	t.Parallel()
	tax := DefaultTaxonomy()
	tests := []struct {
		outcome    string
		categories []string
		want       string
	}{
		{"vanished", []string{"reason:family", "risk:low"}, "choose an outcome of the line's (supported, referred, emergency,"},
		{"supported", []string{"reason:family", "risk:low", "mood:blue"}, "a category is not one of the line's (reason:..., risk:..., action:..., referral:...)"},
		{"supported", []string{"reason:family", "risk:lowish"}, "Risk level assessed: a value is not one of the line's"},
		{"supported", []string{"reason:family"}, "Risk level assessed: choose one"},
		{"supported", []string{"reason:family", "risk:low", "risk:high"}, "Risk level assessed: choose only one"},
		{"supported", []string{"reason:family", "reason:family", "risk:low"}, "a category is given twice"},
		{"supported", nil, "Reason for contact: choose one"},
	}
	for _, tt := range tests {
		err := tax.CheckWrapUp(tt.outcome, tt.categories)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: %v, want %q", tt.outcome, tt.categories, err, tt.want)
		}
	}
}

func TestTaxonomyIsValidatedAtLoad(t *testing.T) {
	t.Parallel()
	bad := oneLine + `    reopen_window: 10s
    abandoned_after: 1m
    taxonomy:
      outcomes: [{id: Done, label: Done}, {id: ok, label: ""}]
      categories:
        - {id: risk, label: Risk, values: []}
        - {id: risk, label: Risk again, values: [{id: low, label: Low}, {id: low, label: Low}]}
`
	refusedSaying(t, bad,
		"lines[0] (main): reopen_window 10s",
		"lines[0] (main): abandoned_after 1m0s: want 10m to 720h",
		`lines[0] (main): taxonomy: outcomes[0]: id "Done"`,
		"lines[0] (main): taxonomy: outcomes[1] (ok): label is required",
		"lines[0] (main): taxonomy: categories[0] (risk): values: at least one",
		`lines[0] (main): taxonomy: categories[1] (risk).values[1]: duplicate id "low"`,
		`lines[0] (main): taxonomy: categories[1]: duplicate id "risk"`,
	)
	good := oneLine + `    reopen_window: 2h
    abandoned_after: 6h
    taxonomy:
      outcomes: [{id: done, label: Done}]
      categories: [{id: topic, label: Topic, required: true, values: [{id: money, label: Money}]}]
`
	f, err := ParseFile([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if l := f.Lines[0]; l.ReopenWindow.Duration != 2*time.Hour || l.AbandonedAfter.Duration != 6*time.Hour ||
		l.Taxonomy.CheckWrapUp("done", []string{"topic:money"}) != nil {
		t.Fatalf("configured line: %+v", l)
	}
}

func TestFollowUpSettings(t *testing.T) {
	t.Parallel()
	f, err := ParseFile([]byte(oneLine))
	if err != nil {
		t.Fatal(err)
	}
	if w := f.Lines[0].FollowUpWithin(); w != 0 {
		t.Fatalf("a line without follow_up_text accepts follow-ups up to %s ahead", w)
	}
	f, err = ParseFile([]byte(oneLine + "    follow_up_text: \"Checking in. Reply to talk, STOP to stop.\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := f.Lines[0].FollowUpWithin(); w != DefaultFollowUpMax {
		t.Fatalf("follow-ups up to %s ahead, want the default %s", w, DefaultFollowUpMax)
	}
	for _, bad := range []string{"    follow_up_max: 30m\n", "    follow_up_max: 2200h\n", "    follow_up_text: \"" + strings.Repeat("x", 1001) + "\"\n"} {
		if _, err := ParseFile([]byte(oneLine + bad)); err == nil || !strings.Contains(err.Error(), "follow_up") {
			t.Errorf("%q: %v, want an error naming follow_up", bad, err)
		}
	}
}
