package console_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/helpline-org/helpline/internal/browsertest"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

var update = flag.Bool("update", false, "also write browser screenshots to testdata/screenshots/")

// browser starts a fresh headless Chromium (its own profile, so its own
// cookies) and returns a context for it (browsertest.Start).
func browser(t *testing.T, width, height int64) context.Context {
	t.Helper()
	return browsertest.Start(t, width, height)
}

// artifacts is where screenshots go: $HELPLINE_TEST_ARTIFACTS, or a
// temporary directory whose path is logged.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HELPLINE_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "console-screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	save(t, dir, name, png)
}

// save writes a screenshot to dir and, with -update, to
// testdata/screenshots.
func save(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll("testdata/screenshots", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata/screenshots", name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// step runs browser actions with a deadline, failing with the step's name.
func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	browsertest.Step(t, ctx, name, actions...)
}

// value runs one browser action that returns a value.
func value[T any](t *testing.T, ctx context.Context, name string, a chromedp.Action[T]) T {
	t.Helper()
	return browsertest.Value(t, ctx, name, a)
}

// signedIn is a browser of the given size, signed in as staff member id.
func signedIn(t *testing.T, base, id string, width, height int64) context.Context {
	t.Helper()
	ctx := browser(t, width, height)
	signInBrowser(t, ctx, base, id)
	return ctx
}

func signInBrowser(t *testing.T, ctx context.Context, base, id string) {
	t.Helper()
	step(t, ctx, "sign in "+id,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#id`)),
		chromedp.SendKeys(chromedp.CSS(`#id`), id),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`nav`)),
	)
}

// TestDutyWorkerInTheBrowser: a duty worker signs in on a phone-sized
// screen and watches the queue; a client's crisis SMS (a signed webhook,
// through the real ingestion, triage and notification) appears live; the
// duty worker acknowledges it, reads the conversation, and replies; the
// Twilio fake receives the SMS to the client's number. A second duty
// worker's browser acknowledges the same escalation a moment later and is
// told who got there first. A manager sees the dashboard's charts. Every
// reading of content left an audit record.
func TestDutyWorkerInTheBrowser(t *testing.T) {
	w := newWorld(t, worldOpts{})
	dir := artifacts(t)
	base := w.srv.URL
	dana := signedIn(t, base, "dana", 412, 915)
	bo := browser(t, 412, 915)
	step(t, dana, "queue", chromedp.WaitVisible(chromedp.CSS(`#queue-empty`)))
	url := value(t, dana, "location", chromedp.Location())
	if !strings.HasSuffix(url, "/queue") {
		t.Fatalf("duty worker landed on %s, want /queue", url)
	}
	screenshot(t, dana, dir, "01-duty-queue-empty")

	// The crisis arrives while the page is open: no reload.
	sent := time.Now()
	w.text(t, clientA, wordsA)
	// The row is read in one go in the page: a live update may swap the
	// list's nodes at any moment. It is complete once the page is listed.
	rowText := value(t, dana, "escalation arrives live", chromedp.Poll[string](
		`(() => { const r = document.querySelector('#queue li[data-escalation]'); return r && r.textContent.includes('Paged') ? r.textContent : false })()`))
	if !strings.Contains(rowText, "crisis") || strings.Contains(rowText, clientA) || strings.Contains(rowText, wordsA) {
		t.Fatalf("queue row %q: want the reason, never the number or the words", rowText)
	}
	t.Logf("webhook to paged escalation on the open queue page: %s", time.Since(sent).Round(time.Millisecond))
	weight := value(t, dana, "page weight", chromedp.Evaluate[float64](
		`performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).filter(e => !e.name.includes('/api/live')).reduce((n, e) => n + e.transferSize, 0)`))
	t.Logf("queue page with its style and script: %.0f bytes transferred", weight)
	screenshot(t, dana, dir, "02-duty-queue-crisis-arrived")
	esc := w.waitEscalation(t, "")

	// A second duty worker opens the same escalation.
	signInBrowser(t, bo, base, "bo")
	step(t, bo, "bo opens the escalation", chromedp.Navigate(base+"/queue/"+esc.ID), chromedp.WaitVisible(chromedp.CSS(`#ack`)))

	// Dana acknowledges from the queue and lands in the conversation.
	step(t, dana, "acknowledge",
		chromedp.Focus(chromedp.CSS(`#queue li[data-escalation] button`)),
		chromedp.KeyEvent("\r"), // from the keyboard; focus inside the list also holds live updates
		chromedp.WaitVisible(chromedp.CSS(`#messages`)))
	msgs := value(t, dana, "read messages", chromedp.Text(chromedp.CSS(`#messages`)))
	if !strings.Contains(msgs, wordsA) {
		t.Fatalf("conversation shows %q, want the client's message decrypted", msgs)
	}
	screenshot(t, dana, dir, "03-conversation")

	// Bo presses acknowledge too, a moment later.
	step(t, bo, "second acknowledgement",
		chromedp.Click(chromedp.CSS(`#ack`)),
		chromedp.WaitVisible(chromedp.CSS(`p[role=alert]`)))
	alert := value(t, bo, "alert", chromedp.Text(chromedp.CSS(`p[role=alert]`)))
	if !strings.Contains(alert, "Already acknowledged by Dana Duty") {
		t.Fatalf("second acknowledgement says %q, want who acknowledged", alert)
	}
	screenshot(t, bo, dir, "04-already-acknowledged")

	// Dana replies; the client's phone gets it from the line's number.
	step(t, dana, "reply",
		chromedp.SendKeys(chromedp.CSS(`#body`), "I'm Dana, I'm here with you. Are you somewhere safe?"),
		chromedp.Submit(chromedp.CSS(`#body`)),
		chromedp.WaitVisible(chromedp.CSS(`#sent`)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sms, err := w.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool {
		return m.To == clientA && strings.Contains(m.Body, "somewhere safe")
	})
	if err != nil {
		t.Fatalf("the reply never reached the client: %v", err)
	}
	if sms.From != lineNumber {
		t.Fatalf("reply sent from %s, want the line's number", sms.From)
	}
	step(t, dana, "reply shown", chromedp.Navigate(base+"/conversations/"+esc.ConversationID), chromedp.WaitVisible(chromedp.CSS(`.msg.out`)))
	page := value(t, dana, "page text", chromedp.Text(chromedp.CSS(`main`)))
	for _, n := range numbers {
		if strings.Contains(page, n) {
			t.Fatal("the conversation page shows a phone number")
		}
	}
	screenshot(t, dana, dir, "05-replied")

	// A manager sees the charts, and no pseudonym.
	mia := signedIn(t, base, "mia", 1024, 900)
	step(t, mia, "dashboard", chromedp.WaitVisible(chromedp.CSS(`#chart-first-reply`)))
	bars := value(t, mia, "bars", chromedp.Evaluate[int](`document.querySelectorAll('#chart-ooh rect').length`))
	cells := value(t, mia, "cells", chromedp.Evaluate[int](`document.querySelectorAll('#chart-hours rect').length`))
	dash := value(t, mia, "html", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if bars == 0 || cells != 7*24 {
		t.Fatalf("dashboard: %d volume bars, %d hour cells", bars, cells)
	}
	if strings.Contains(dash, esc.Pseudonym) || strings.Contains(dash, wordsA) {
		t.Fatal("the dashboard shows a pseudonym or content")
	}
	for _, id := range []string{"chart-first-reply", "chart-breaches", "chart-ooh", "chart-hours"} {
		title := value(t, mia, "chart title", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('#%s title').textContent`, id)))
		if title == "" {
			t.Errorf("chart %s has no accessible title", id)
		}
	}
	screenshot(t, mia, dir, "06-dashboard")

	// Every content read above is in the audit stream: dana read the
	// conversation three times (bo's readings, on the escalation's page,
	// are his).
	reads := 0
	for _, r := range w.auditReads(t) {
		if r.ConversationID == esc.ConversationID && r.Role == "duty" && r.Via == "page" && r.StaffID == "dana" {
			reads++
		}
	}
	if reads != 3 {
		t.Fatalf("%d audit records of page reads, want 3 (after the ack, after the reply's redirect, on reopening)", reads)
	}
}

// TestWorkerAndAdminInTheBrowser: a worker sees their inbox and reads a
// conversation of theirs; an admin cannot read it without break-glass,
// states a reason, reads it, and finds both readings in the audit trail.
func TestWorkerAndAdminInTheBrowser(t *testing.T) {
	s := seed(t)
	dir := artifacts(t)
	base := s.srv.URL

	wes := signedIn(t, base, "wes", 412, 915)
	step(t, wes, "inbox", chromedp.WaitVisible(chromedp.CSS(`#inbox`)))
	inboxText := value(t, wes, "inbox text", chromedp.Text(chromedp.CSS(`#inbox`)))
	if !strings.Contains(inboxText, s.pseudoA) || strings.Contains(inboxText, s.pseudoB) {
		t.Fatalf("wes's inbox %q: want A (his), not B (another team's)", inboxText)
	}
	screenshot(t, wes, dir, "10-worker-inbox")
	step(t, wes, "open conversation", chromedp.Click(chromedp.CSS(`#inbox a.pseudonym`)), chromedp.WaitVisible(chromedp.CSS(`#messages`)))
	if msgs := value(t, wes, "messages", chromedp.Text(chromedp.CSS(`#messages`))); !strings.Contains(msgs, wordsA) {
		t.Fatalf("messages %q", msgs)
	}
	screenshot(t, wes, dir, "11-worker-conversation")

	ada := signedIn(t, base, "ada", 1024, 800)
	screenshot(t, ada, dir, "12-admin-users")
	step(t, ada, "plain reading is refused", chromedp.Navigate(base+"/conversations/"+s.convA), chromedp.WaitVisible(chromedp.CSS(`p[role=alert]`)))
	if page := value(t, ada, "refused page", chromedp.Text(chromedp.CSS(`main`))); strings.Contains(page, wordsA) || strings.Contains(page, s.pseudoA) {
		t.Fatal("an admin read content without break-glass")
	}
	step(t, ada, "break-glass",
		chromedp.Navigate(base+"/conversations/"+s.convA+"/break-glass"),
		chromedp.WaitVisible(chromedp.CSS(`#reason`)),
		chromedp.SendKeys(chromedp.CSS(`#reason`), "Police safeguarding request, ref 2211"),
		chromedp.Submit(chromedp.CSS(`#reason`)),
		chromedp.WaitVisible(chromedp.CSS(`#messages`)))
	screenshot(t, ada, dir, "13-admin-break-glass")
	step(t, ada, "audit", chromedp.Navigate(base+"/admin/audit"), chromedp.WaitVisible(chromedp.CSS(`#audit`)))
	audit := value(t, ada, "audit text", chromedp.Text(chromedp.CSS(`#audit`)))
	if !strings.Contains(audit, "Police safeguarding request, ref 2211") || !strings.Contains(audit, "Wes Worker") {
		t.Fatalf("audit page %q: want wes's reading and the break-glass reason", audit)
	}
	screenshot(t, ada, dir, "14-admin-audit")
	step(t, ada, "config", chromedp.Navigate(base+"/admin/config"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	if page := value(t, ada, "config text", chromedp.Text(chromedp.CSS(`main`))); strings.Contains(page, dutyPhone) || strings.Contains(page, lineNumber) {
		t.Fatal("the configuration page shows a phone number")
	}
	screenshot(t, ada, dir, "15-admin-config")

	var worker, breakGlass int
	for _, r := range s.auditReads(t) {
		switch {
		case r.Role == "worker" && r.Via == "page" && r.ConversationID == s.convA:
			worker++
		case r.Role == "admin" && r.BreakGlassReason == "Police safeguarding request, ref 2211":
			breakGlass++
		}
	}
	if worker != 1 || breakGlass != 1 {
		t.Fatalf("audit: %d worker readings, %d break-glass readings; want 1 and 1", worker, breakGlass)
	}
}
