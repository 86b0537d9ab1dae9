package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/notification"
)

// sentTo counts the SMS the fake took for number whose body holds part.
func (w *world) sentCount(number, part string) int {
	n := 0
	for _, m := range w.fake.Sent() {
		if m.To == number && strings.Contains(m.Body, part) {
			n++
		}
	}
	return n
}

// waitSent waits until number got n SMS holding part.
func (w *world) waitSent(t testing.TB, number, part string, n int) {
	t.Helper()
	poll.Until(t, 20*time.Second, func() error {
		if got := w.sentCount(number, part); got != n {
			return fmt.Errorf("%s got %d messages with %q, want %d", number, got, part, n)
		}
		return nil
	})
}

// rotaForm is a rota change as the page's form sends it, times in the
// line's zone.
func rotaForm(kind, staff, replaces, level string, from, to time.Time) string {
	loc, _ := time.LoadLocation("Europe/London")
	const layout = "2006-01-02T15:04"
	return fmt.Sprintf("form:kind=%s&staff=%s&replaces=%s&level=%s&start=%s&end=%s", kind, staff, replaces, level,
		from.In(loc).Format(layout), to.In(loc).Format(layout))
}

// TestRotaChangesDecideTheNextPage runs the rota on the whole platform:
// an override made through the console's form changes who the next
// escalation pages, with no restart; time away takes someone off the
// rota; the gap it leaves is a banner for admins and managers and one SMS
// to the line's admin contact, however often the check runs; a duty
// worker may not change someone else's time (403), an admin may.
func TestRotaChangesDecideTheNextPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	ada, dana, bo, mia := w.signIn(t, "ada"), w.signIn(t, "dana"), w.signIn(t, "bo"), w.signIn(t, "mia")
	now := w.Clock.Now()
	until := now.Add(3 * time.Hour)

	// Bo covers Dana at the duty level (the form sent twice is one
	// change): the next crisis pages Bo, not Dana.
	for range 2 {
		if code, body := bo.send("POST", "/rota/main/changes", rotaForm("override", "bo", "dana", "duty", now, until)+"&id=ov-once"); code != http.StatusSeeOther {
			t.Fatalf("override: %d %s", code, body)
		}
	}
	if n := len(w.Events(t, events.AggregateRota, events.TypeRotaOverrideAdded)); n != 1 {
		t.Fatalf("%d overrides recorded, want 1", n)
	}
	w.text(t, "+447700900801", "I want to end my life tonight")
	esc := w.waitEscalation(t, "")
	w.waitSent(t, dutyPhone2, esc.ID, 1)
	if n := w.sentCount(dutyPhone, esc.ID); n != 0 {
		t.Fatalf("Dana was paged %d times while Bo covers her", n)
	}
	_, page := mia.send("GET", "/rota", nil)
	if !strings.Contains(string(page), "Bo Backup covers duty for Dana Duty") {
		t.Fatalf("the rota page does not show the override: %.2000s", page)
	}

	// A duty worker may not change someone else's time; nothing is
	// recorded. Wrong input is a 400 with a reason, and records nothing.
	before := len(w.Events(t, events.AggregateRota, ""))
	for _, f := range []string{
		rotaForm("unavailability", "bo", "", "", now, until),
		rotaForm("override", "bo", "", "duty", now, until),
	} {
		if code, body := dana.send("POST", "/rota/main/changes", f); code != http.StatusForbidden {
			t.Fatalf("dana changing bo's time: %d %s", code, body)
		}
	}
	for _, f := range []string{
		rotaForm("override", "dana", "", "duty", now.Add(-24*time.Hour), now.Add(-time.Hour)),
		rotaForm("override", "dana", "", "duty", until, now),
		rotaForm("override", "dana", "", "nope", now, until),
		rotaForm("override", "ghost", "", "duty", now, until),
	} {
		if code, body := ada.send("POST", "/rota/main/changes", f); code != http.StatusBadRequest {
			t.Fatalf("invalid change %s: %d %.300s", f, code, body)
		}
	}
	if after := len(w.Events(t, events.AggregateRota, "")); after != before {
		t.Fatalf("refused changes recorded %d events", after-before)
	}

	// An admin takes the override back and marks Dana away: the duty
	// level is empty, so the next crisis pages Bo at the backup level.
	rota, err := w.rota(t)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := ada.send("POST", "/rota/main/changes/"+rota.Changes[0].ID+"/cancel", "form:"); code != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", code, body)
	}
	if code, body := ada.send("POST", "/rota/main/changes", rotaForm("unavailability", "dana", "", "", now, until)); code != http.StatusSeeOther {
		t.Fatalf("unavailability: %d %s", code, body)
	}
	w.text(t, "+447700900802", "I want to end my life tonight")
	esc2 := w.waitNewEscalation(t, esc.ID)
	w.waitSent(t, dutyPhone2, esc2.ID, 1)
	if n := w.sentCount(dutyPhone, esc2.ID); n != 0 {
		t.Fatalf("Dana was paged %d times while away", n)
	}

	// The gap: a banner for admins and managers, not for duty workers.
	for who, c := range map[string]*staff{"ada": ada, "mia": mia} {
		_, body := c.send("GET", "/dashboard", nil)
		if !strings.Contains(string(body), "Nobody is on call at level duty") {
			t.Fatalf("%s sees no gap banner: %.1500s", who, body)
		}
	}
	if _, body := dana.send("GET", "/queue", nil); strings.Contains(string(body), "Nobody is on call at level") {
		t.Fatal("a duty worker sees the admins' banner")
	}
	// One SMS to the admin contact at the next check, and no second one
	// at the checks after it.
	for range 3 {
		w.Clock.Add(2 * time.Minute)
		at := w.Clock.Now()
		w.notifyTimer(t, notification.GapTimerKey, func(tr timers.Timer, set bool) error {
			if !set || !tr.Due.After(at) {
				return fmt.Errorf("the gap check has not run since %s (set: %v)", at, set)
			}
			return nil
		})
		w.waitSent(t, adminPhone, "nobody is on call at level duty", 1)
	}
	if n := len(w.Events(t, events.AggregateRota, events.TypeRotaGapWarned)); n != 1 {
		t.Fatalf("%d gap warnings recorded, want 1", n)
	}
}

// rota reads the line's rota changes from the log.
func (w *world) rota(t testing.TB) (*events.Rota, error) {
	t.Helper()
	return events.LoadRota(context.Background(), w.Store, "main")
}

// waitNewEscalation waits for an open escalation other than old.
func (w *world) waitNewEscalation(t testing.TB, old string) (found struct{ ID string }) {
	t.Helper()
	poll.Until(t, 20*time.Second, func() error {
		for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationRaised) {
			if p, _ := e.Decode(); p.(events.EscalationRaised).EscalationID != old {
				found.ID = p.(events.EscalationRaised).EscalationID
				return nil
			}
		}
		return fmt.Errorf("no second escalation yet")
	})
	return found
}
