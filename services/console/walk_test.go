package console_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/helpline-org/helpline/internal/twiliofake"
)

const managerPhone = "+447700900103"

// walkConfig is a line closed at night with three levels: duty, backup,
// then the manager, five minutes each, twice over.
const walkConfig = `
lines:
  - id: main
    name: Test Line
    number: "` + lineNumber + `"
    timezone: Europe/London
    hours: {monday: ["09:00-17:00"], tuesday: ["09:00-17:00"], wednesday: ["09:00-17:00"], thursday: ["09:00-17:00"], friday: ["09:00-17:00"]}
    first_response_target: 1h
    send_rate: 1000
    out_of_hours_reply: {en: "Thank you for your message. We are closed now and open again {next_open}. If you are in danger, call 999 now."}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + dutyPhone + `", teams: [day]}
  - {id: bo, name: Bo Backup, role: duty, work_phone: "` + dutyPhone2 + `", teams: [day]}
  - {id: wes, name: Wes Worker, role: worker, teams: [day]}
  - {id: nia, name: Nia Night, role: worker, teams: [night]}
  - {id: mia, name: Mia Manager, role: manager, work_phone: "` + managerPhone + `"}
  - {id: ada, name: Ada Admin, role: admin}
rota:
  - {line: main, level: duty, staff: dana}
  - {line: main, level: backup, staff: bo}
  - {line: main, level: manager, staff: mia}
policies:
  - {id: default, levels: [duty, backup, manager], ack_timeout: 5m, rounds: 2}
`

// pageLink finds the console link in a page SMS.
var pageLink = regexp.MustCompile(`https?://\S+/queue/([a-z0-9_-]+)`)

// TestPagedPathInTheBrowser walks the path from a page to its
// acknowledgement on the real platform at 3 am on a Sunday, the line
// closed: a client texts "hello" and gets the out-of-hours reply, then a
// crisis text, and gets the crisis reply; the duty worker's phone gets
// the page; its link, opened
// in a phone-sized Chromium without a session, signs in and returns to
// that escalation, whose reason, signals and Acknowledge button show
// without scrolling, above the conversation with both messages and the
// auto-replies; Acknowledge is pressed and the backup is never paged for
// it. A second client's crisis goes unacknowledged up to the manager,
// who follows their page's link the same way, sees the escalation
// without its content and acknowledges it: nobody is paged again.
func TestPagedPathInTheBrowser(t *testing.T) {
	at := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC) // a Sunday night
	w := newWorld(t, worldOpts{config: walkConfig, at: at})
	dir := artifacts(t)
	const wordsC = "I am going to jump off the bridge tonight"

	w.text(t, clientA, "hello")
	w.waitSMS(t, "the out-of-hours reply", func(m twiliofake.SentMessage) bool {
		return m.To == clientA && strings.Contains(m.Body, "We are closed now")
	})
	w.text(t, clientA, wordsA)
	w.waitSMS(t, "the crisis reply to the client", func(m twiliofake.SentMessage) bool {
		return m.To == clientA && strings.Contains(m.Body, "alerted the person on call")
	})
	pageA := w.waitSMS(t, "the page to the duty worker", func(m twiliofake.SentMessage) bool { return m.To == dutyPhone })
	linkA, escA := linkOf(t, pageA.Body)
	for _, never := range append([]string{wordsA, "sleeping"}, numbers...) {
		if strings.Contains(linkA, never) || strings.Contains(pageA.Body, never) {
			t.Fatalf("the page %q holds the client's number or words", pageA.Body)
		}
	}
	// A second client's crisis, a moment later, goes unanswered.
	w.text(t, clientB, wordsC)
	pageB := w.waitSMS(t, "the page for the second crisis", func(m twiliofake.SentMessage) bool {
		return m.To == dutyPhone && !strings.Contains(m.Body, escA)
	})
	_, escB := linkOf(t, pageB.Body)

	// The duty worker follows the link on their phone, signed out.
	dana := browser(t, 390, 844)
	signInFrom(t, dana, linkA, "dana")
	if url := value(t, dana, "location", chromedp.Location()); !strings.HasSuffix(url, "/queue/"+escA) {
		t.Fatalf("signing in from the page's link landed on %s, want the escalation", url)
	}
	aboveFold(t, dana, "#reason", "#signals", "#ack")
	screenshot(t, dana, dir, "20-page-link-escalation")
	viewport(t, dana, dir, "21-page-link-escalation-phone-fold")
	msgs := value(t, dana, "messages", chromedp.Text(chromedp.CSS(`#messages`)))
	for _, want := range []string{"hello", wordsA, "Automatic reply", "We are closed now", "alerted the person on call"} {
		if !strings.Contains(msgs, want) {
			t.Fatalf("the conversation under the escalation shows %q, want %q", msgs, want)
		}
	}
	step(t, dana, "acknowledge", chromedp.Click(chromedp.CSS(`#ack`)), chromedp.WaitVisible(chromedp.CSS(`#acknowledged`)))
	if url := value(t, dana, "location", chromedp.Location()); !strings.Contains(url, "/conversations/") {
		t.Fatalf("after acknowledging: %s, want the conversation", url)
	}
	screenshot(t, dana, dir, "22-acknowledged")
	w.waitTimerGone(t, escA)

	// Past the timeout: the second crisis moves to the backup (so the
	// timers ran), the first never does. (Each step's deadline is stored
	// before its page leaves: the clock moves once the page has.)
	w.waitTimerAt(t, escB, 0)
	w.Clock.Add(6 * time.Minute)
	w.waitSMS(t, "the backup's page for the second crisis", func(m twiliofake.SentMessage) bool {
		return m.To == dutyPhone2 && strings.Contains(m.Body, escB)
	})
	w.waitTimerAt(t, escB, 1)
	w.Clock.Add(6 * time.Minute)
	pageM := w.waitSMS(t, "the manager's page", func(m twiliofake.SentMessage) bool { return m.To == managerPhone })
	linkM, escM := linkOf(t, pageM.Body)
	if escM != escB {
		t.Fatalf("the manager was paged for %s, want the unanswered %s", escM, escB)
	}

	// The manager follows their link, signs in, and takes it on without
	// seeing the conversation.
	mia := browser(t, 390, 844)
	signInFrom(t, mia, linkM, "mia")
	if url := value(t, mia, "location", chromedp.Location()); !strings.HasSuffix(url, "/queue/"+escB) {
		t.Fatalf("the manager landed on %s, want the escalation", url)
	}
	aboveFold(t, mia, "#reason", "#signals", "#ack")
	page := value(t, mia, "page", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if !strings.Contains(page, "no-content") || strings.Contains(page, wordsC) || strings.Contains(page, "bridge") {
		t.Fatal("the manager's escalation shows the conversation or its terms")
	}
	for _, e := range []string{escB} {
		if q, err := w.queue.Get(context.Background(), e); err != nil || strings.Contains(page, q.Pseudonym) {
			t.Fatalf("the manager's escalation shows the pseudonym (%v)", err)
		}
	}
	viewport(t, mia, dir, "23-manager-page-link-phone-fold")
	step(t, mia, "manager acknowledges", chromedp.Click(chromedp.CSS(`#ack`)), chromedp.WaitVisible(chromedp.CSS(`#acknowledged`)))
	acked := value(t, mia, "acknowledged", chromedp.Text(chromedp.CSS(`#acked`)))
	if !strings.Contains(acked, "Mia Manager") {
		t.Fatalf("after the manager's acknowledgement the page says %q", acked)
	}
	screenshot(t, mia, dir, "24-manager-acknowledged")
	w.waitTimerGone(t, escB)

	// A third crisis, unanswered, shows the timers still run while the
	// acknowledged ones page nobody: its backup is paged, and nobody for
	// the first two.
	w.text(t, "+447700900777", wordsC)
	pageC := w.waitSMS(t, "the page for the third crisis", func(m twiliofake.SentMessage) bool {
		return m.To == dutyPhone && !strings.Contains(m.Body, escA) && !strings.Contains(m.Body, escB)
	})
	_, escC := linkOf(t, pageC.Body)
	w.waitTimerAt(t, escC, 0)
	w.Clock.Add(6 * time.Minute)
	w.waitSMS(t, "the third crisis's backup page", func(m twiliofake.SentMessage) bool {
		return m.To == dutyPhone2 && strings.Contains(m.Body, escC)
	})
	for _, m := range w.fake.Sent() {
		switch {
		case strings.Contains(m.Body, escA) && m != pageA:
			t.Errorf("after the acknowledgement, %s was paged again for the first crisis: %q", m.To, m.Body)
		case strings.Contains(m.Body, escB) && m.To == dutyPhone && m != pageB:
			t.Errorf("after the manager's acknowledgement, the next round paged the duty worker again: %q", m.Body)
		}
	}
	// Dana's reading is audited; the manager's visit is not a reading.
	for _, r := range w.auditReads(t) {
		if r.StaffID == "mia" {
			t.Fatalf("an audit record of a reading by the manager: %+v", r)
		}
	}
}

// waitSMS waits for a message the Twilio fake accepted.
func (w *world) waitSMS(t *testing.T, what string, pred func(twiliofake.SentMessage) bool) twiliofake.SentMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := w.fake.WaitFor(ctx, pred)
	if err != nil {
		for _, m := range w.fake.Sent() {
			t.Logf("sent to %s: %s", m.To, m.Body)
		}
		t.Fatalf("%s never reached the fake: %v", what, err)
	}
	return m
}

// linkOf returns a page's console link and its escalation.
func linkOf(t *testing.T, body string) (link, esc string) {
	t.Helper()
	m := pageLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no console link in the page %q", body)
	}
	return m[0], m[1]
}

// signInFrom opens a link without a session and signs in from where it
// leads.
func signInFrom(t *testing.T, ctx context.Context, link, id string) {
	t.Helper()
	step(t, ctx, "open the page's link and sign in as "+id,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`#id`)),
		chromedp.SendKeys(chromedp.CSS(`#id`), id),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#reason`)),
	)
}

// aboveFold checks the elements are on the first screen, without
// scrolling.
func aboveFold(t *testing.T, ctx context.Context, selectors ...string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const out = []; for (const s of %q.split(",")) { const e = document.querySelector(s);
		if (!e) { out.push(s + " missing"); continue } const r = e.getBoundingClientRect();
		if (r.height === 0 || r.top < 0 || r.bottom > window.innerHeight) out.push(s + " at " + Math.round(r.top) + "-" + Math.round(r.bottom) + " of " + window.innerHeight) }
		return out.join("; ") })()`, strings.Join(selectors, ","))
	if bad := value(t, ctx, "above the fold", chromedp.Evaluate[string](js)); bad != "" {
		t.Fatalf("not visible without scrolling: %s", bad)
	}
}

// viewport saves what the screen shows, without scrolling.
func viewport(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	save(t, dir, name, png)
}
