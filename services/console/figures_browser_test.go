package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/helpline-org/helpline/services/console/views"
)

// TestClosedConversationOnTheDashboardInTheBrowser: a worker closes a
// conversation of theirs in Chromium with the page's wrap-up form (an
// outcome and categories of the line's default taxonomy); a manager then
// finds the outcome and the categories, by their labels, on the dashboard
// in Chromium, with no pseudonym, id or word of the conversation on it.
func TestClosedConversationOnTheDashboardInTheBrowser(t *testing.T) {
	s := seed(t)
	dir := artifacts(t)
	base := s.srv.URL

	// Wes, the worker the conversation was given to, closes it with a
	// wrap-up in the conversation page's form.
	wes := signedIn(t, base, "wes", 1024, 1400)
	step(t, wes, "wes opens the conversation", chromedp.Navigate(base+"/conversations/"+s.convA), chromedp.WaitVisible(chromedp.CSS(`form#close`)))
	step(t, wes, "wes wraps it up",
		chromedp.SetValue(chromedp.CSS(`#outcome`), "referred"),
		chromedp.Click(chromedp.CSS(`form#close input[name=category][value="reason:suicidal"]`)),
		chromedp.SetValue(chromedp.CSS(`form#close select[aria-label="Risk level assessed"]`), "risk:high"),
		chromedp.Click(chromedp.CSS(`form#close input[name=category][value="referral:mental_health"]`)),
		chromedp.Submit(chromedp.CSS(`#outcome`)),
		chromedp.WaitVisible(chromedp.CSS(`#closed`)))
	if status := value(t, wes, "status", chromedp.Text(chromedp.CSS(`#status`))); !strings.Contains(status, "closed") {
		t.Fatalf("after closing, the conversation's status reads %q", status)
	}
	screenshot(t, wes, dir, "30-conversation-closed")

	// The projection follows the log: wait until it counts the close.
	api := s.signIn(t, "mia")
	figuresWhen(t, api, func(f views.Figures) error {
		if f.Outcomes["referred"] != 1 {
			return fmt.Errorf("figures without the close: outcomes %v", f.Outcomes)
		}
		return nil
	})

	mia := signedIn(t, base, "mia", 1024, 1400)
	step(t, mia, "dashboard", chromedp.Navigate(base+"/dashboard?days=1"), chromedp.WaitVisible(chromedp.CSS(`#outcomes`)))
	outcomes := value(t, mia, "outcomes", chromedp.Text(chromedp.CSS(`#outcomes`)))
	categories := value(t, mia, "categories", chromedp.Text(chromedp.CSS(`#categories`)))
	if !strings.Contains(outcomes, "Referred on") {
		t.Fatalf("the dashboard's outcomes %q lack the worker's", outcomes)
	}
	for _, want := range []string{"Reason for contact: Suicidal thoughts or self-harm", "Risk level assessed: High", "Referral made: Mental health services"} {
		if !strings.Contains(categories, want) {
			t.Fatalf("the dashboard's categories %q lack %q", categories, want)
		}
	}
	dash := value(t, mia, "html", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	for _, never := range []string{s.pseudoA, s.pseudoB, s.convA, s.convB, wordsA, wordsB} {
		if strings.Contains(dash, never) {
			t.Fatalf("the dashboard shows %q", never)
		}
	}
	screenshot(t, mia, dir, "31-dashboard-outcomes")
}
