package console

import (
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/views"
)

// TestDashboardSaysWhatIsNotThere: with nothing answered and nothing
// acknowledged, the first-reply and acknowledgement cards say so, never
// "0s" (which reads as instant answers); escalations exhausted without
// acknowledgement have their own card.
func TestDashboardSaysWhatIsNotThere(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	zero := 0.0
	nothing := views.Figures{Received: 2, OutOfHours: 1, OutOfHoursShare: 0.5, Breaches: 2, Exhausted: 1,
		FirstReply: views.Quantiles{P50: &zero, P90: &zero, P99: &zero}, Ack: views.Quantiles{P50: &zero, P90: &zero, P99: &zero}}
	rep := views.Report{LineID: "main", From: "2026-12-07", To: "2026-12-08", Totals: nothing,
		Days: []views.Day{{Day: "2026-12-07", Figures: nothing}}}
	mo := accounts.Account{ID: "mo", Name: "Mo Manager", Roles: []string{"manager"}}
	body := render(at, mo, "dashboard", views.NewDashboardPage(rep, "main", 1, []string{"main"})).Body.String()
	tiles := body[strings.Index(body, `class="tiles"`):]
	tiles = tiles[:strings.Index(tiles, "</dl>")]
	for _, want := range []string{"<dt>First reply p50 / p90</dt><dd>no replies yet</dd>", "<dt>Acknowledgement p50 / p90</dt><dd>no acknowledgements yet</dd>",
		"<dt>Next reply p50 / p90</dt><dd>no next replies yet</dd>",
		"<dt>Target breaches</dt><dd>2</dd>", `<dt>Escalations nobody acknowledged</dt><dd id="exhausted">1</dd>`} {
		if !strings.Contains(tiles, want) {
			t.Errorf("cards lack %q:\n%s", want, tiles)
		}
	}
	// The first-reply chart's bars of a day without replies say so too.
	if strings.Contains(body, ": 0s<") || !strings.Contains(body, "07, p50: no replies yet<") {
		t.Errorf("a day without replies is drawn as 0s:\n%s", body)
	}
}
