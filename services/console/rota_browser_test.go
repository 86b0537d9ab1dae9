package console_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRotaOnAPhone: a duty worker opens the rota on a phone-sized screen:
// who is on call now, the changes to come (an override they made, time
// away an admin recorded) and the next 14 days, with the gap that time
// away leaves, fit the screen's width.
func TestRotaOnAPhone(t *testing.T) {
	w := newWorld(t, worldOpts{})
	dir := artifacts(t)
	base := w.srv.URL
	ada, bo := w.signIn(t, "ada"), w.signIn(t, "bo")
	now := w.Clock.Now()
	day := now.Add(24 * time.Hour).Truncate(time.Hour)
	if code, body := bo.send("POST", "/rota/main/changes", rotaForm("override", "bo", "dana", "duty", day, day.Add(12*time.Hour))); code != http.StatusSeeOther {
		t.Fatalf("override: %d %s", code, body)
	}
	away := now.Add(4 * time.Hour).Truncate(time.Hour)
	if code, body := ada.send("POST", "/rota/main/changes", rotaForm("unavailability", "dana", "", "", away, away.Add(3*time.Hour))); code != http.StatusSeeOther {
		t.Fatalf("away: %d %s", code, body)
	}

	phone := signedIn(t, base, "bo", 390, 844)
	step(t, phone, "open the rota", chromedp.Navigate(base+"/rota"), chromedp.WaitVisible(chromedp.CSS(`#now`)))
	now1 := value(t, phone, "on call now", chromedp.Text(chromedp.CSS(`#now`)))
	if !strings.Contains(now1, "Dana Duty") || !strings.Contains(now1, "Bo Backup") {
		t.Fatalf("on call now: %q", now1)
	}
	changes := value(t, phone, "changes", chromedp.Text(chromedp.CSS(`#changes`)))
	if !strings.Contains(changes, "Bo Backup covers duty for Dana Duty") || !strings.Contains(changes, "Dana Duty is away") {
		t.Fatalf("changes: %q", changes)
	}
	page := value(t, phone, "page", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(page, "Nobody is on call at level duty") {
		t.Fatalf("the gap is not shown: %.1500s", page)
	}
	width := value(t, phone, "page width", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
	if width > 390 {
		t.Fatalf("the rota is %vpx wide on a 390px screen", width)
	}
	screenshot(t, phone, dir, "20-rota-phone")
}
