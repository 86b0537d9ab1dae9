package views_test

import (
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/services/console/views"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// TestEverySignalHasWords: staff read signals in words, never a
// lexicon's id; a new signal or modifier fails here until it has words.
func TestEverySignalHasWords(t *testing.T) {
	t.Parallel()
	for _, s := range []string{lexicon.SignalWishToBeDead, lexicon.SignalActiveIdeation, lexicon.SignalMethod, lexicon.SignalIntent,
		lexicon.SignalPlan, lexicon.SignalPreparatoryActs, lexicon.SignalRecentBehaviour, lexicon.SignalHarmFromOthers,
		lexicon.ModifierSelf, lexicon.ModifierThirdParty, lexicon.ModifierNegation, lexicon.ModifierPast, lexicon.ModifierResolved,
		lexicon.ModifierTime, lexicon.ModifierHypothetical, lexicon.ModifierIdiom, lexicon.ModifierJoke, lexicon.ModifierMedia,
		lexicon.ModifierMedical} {
		if w := views.Words(s); w == strings.ReplaceAll(s, "_", " ") && strings.Contains(s, "_") {
			t.Errorf("signal %s has no words", s)
		}
	}
	if got := views.WordsList([]string{"cue_act", "many", "method"}); got != "a large number, a means named" {
		t.Errorf("categories in words: %q", got)
	}
	if got := views.Terms([]string{"took 30", "k*ll myself"}); got != "“took 30”, “k*ll myself”" {
		t.Errorf("terms in words: %q", got)
	}
}

// TestTimesInTheLinesZoneAndRelative: a time is shown in the line's zone,
// with its day when not today, and how long ago.
func TestTimesInTheLinesZoneAndRelative(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database")
	}
	now := time.Date(2026, 12, 7, 3, 24, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{now.Add(-12 * time.Minute), time.UTC, "03:12 UTC (12 min ago)"},
		{now.Add(-30 * time.Second), time.UTC, "03:23 UTC (just now)"},
		{now.Add(-12 * time.Minute), ny, "22:12 EST (12 min ago)"},
		{now.Add(-5 * time.Hour), time.UTC, "Sun 6 Dec 22:24 UTC (5 h ago)"},
		{now.Add(-72 * time.Hour), time.UTC, "Fri 4 Dec 03:24 UTC (3 days ago)"},
	} {
		if got := views.At(c.at, now, c.loc); got != c.want {
			t.Errorf("At(%s in %s) = %q, want %q", c.at, c.loc, got, c.want)
		}
	}
}
