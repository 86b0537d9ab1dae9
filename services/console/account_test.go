package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/console/views"
)

// notifyRules reads a person's rules through the API as c.
func notifyRules(t *testing.T, c *staff, id string) views.NotifyRules {
	t.Helper()
	code, body := c.do("GET", "/api/staff/"+id+"/notify", nil)
	if code != http.StatusOK {
		t.Fatalf("rules of %s: %d %s", id, code, body)
	}
	var out views.NotifyRules
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNotifyRulesSetInTheConsolePageByThem: Dana (duty) pages by the
// default, one SMS at once. Rules the pager could not follow are refused
// with a clear reason, and record nothing; so are rules for someone else
// (403) and rules for a person with no work phone. Then Dana sets an SMS
// at once and a call after 90 seconds on her account page: the next
// crisis pages her by SMS at once and calls her at 90 s on the test
// bed's clock, with no restart; the page and the API show the rules and
// who set them.
func TestNotifyRulesSetInTheConsolePageByThem(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	dana, bo, wes, ada := w.signIn(t, "dana"), w.signIn(t, "bo"), w.signIn(t, "wes"), w.signIn(t, "ada")
	if r := notifyRules(t, dana, "dana"); r.Source != views.NotifyFromDefault || len(r.Rules) != 1 || r.Rules[0].Channel != "sms" {
		t.Fatalf("Dana's rules before: %+v", r)
	}

	refused := []struct {
		who  *staff
		path string
		body any
		code int
		says string
	}{
		{dana, "/account/dana/notify", "form:channel=call&after=2", http.StatusBadRequest, "rule 1: the first rule pages at once"},
		{dana, "/account/dana/notify", "form:channel=sms&after=0&channel=call&after=60", http.StatusBadRequest, "rule 2: after 1h0m0s: want before 1h0m0s"},
		{dana, "/account/dana/notify", "form:channel=sms&after=0&channel=call&after=3&channel=sms&after=1", http.StatusBadRequest, "rule 3: after 1m0s: want later than the rule before"},
		{dana, "/account/dana/notify", "form:channel=pigeon&after=0", http.StatusBadRequest, `rule 1: channel &#34;pigeon&#34;: want sms or call`},
		{dana, "/account/dana/notify", "form:channel=&after=", http.StatusBadRequest, "at least one rule"},
		{dana, "/account/dana/notify", "form:channel=sms&after=soon", http.StatusBadRequest, "row 1: the delay is in minutes"},
		{bo, "/account/dana/notify", "form:channel=sms&after=0", http.StatusForbidden, ""},
		{wes, "/account/wes/notify", "form:channel=sms&after=0", http.StatusBadRequest, "no work phone is configured for this person"},
		{dana, "/api/staff/dana/notify", map[string]any{"rules": []map[string]any{{"channel": "call", "after_seconds": -5}}}, http.StatusBadRequest, "rule 1: the first rule pages at once"},
		{bo, "/api/staff/dana/notify", map[string]any{"rules": []map[string]any{{"channel": "sms", "after_seconds": 0}}}, http.StatusForbidden, ""},
	}
	for _, r := range refused {
		method := "POST"
		if strings.HasPrefix(r.path, "/api/") {
			method = "PUT"
		}
		code, body := r.who.send(method, r.path, r.body)
		if code != r.code || !strings.Contains(string(body), r.says) {
			t.Errorf("%s %v: %d %.400s, want %d saying %q", r.path, r.body, code, body, r.code, r.says)
		}
	}
	if n := len(w.Events(t, events.AggregateWorker, events.TypeWorkerNotifyRulesSet)); n != 0 {
		t.Fatalf("refused rules recorded %d events", n)
	}

	// Dana's own form: an SMS at once, a call after 1.5 minutes, the
	// other rows left empty.
	if code, body := dana.send("POST", "/account/dana/notify", "form:channel=sms&after=0&channel=call&after=1.5&channel=&after=&channel=&after=&channel=&after="); code != http.StatusSeeOther {
		t.Fatalf("set rules: %d %.400s", code, body)
	}
	_, page := dana.send("GET", "/account?done=rules", nil)
	for _, want := range []string{"Saved", "An SMS at once", "A voice call after 1 min 30 s", "by Dana Duty"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("account page lacks %q: %.2000s", want, page)
		}
	}
	r := notifyRules(t, ada, "dana")
	if r.Source != views.NotifyFromConsole || len(r.Rules) != 2 || r.Rules[1] != (views.NotifyRule{Channel: "call", AfterSeconds: 90}) ||
		len(r.Changes) != 1 || r.Changes[0].ByID != "dana" {
		t.Fatalf("Dana's rules as the admin reads them: %+v", r)
	}

	// The next crisis pages Dana by them.
	paged := w.Clock.Now()
	esc := w.crisis(t, clientA, wordsA)
	w.waitSent(t, dutyPhone, "/queue/"+esc.ID, 1)
	w.notifyTimer(t, "rule-"+esc.ID+"-r1-l0-dana", func(tr timers.Timer, set bool) error {
		switch {
		case !set:
			return errNotYet("no call timer yet")
		case !tr.Due.Equal(paged.Add(90 * time.Second)):
			t.Fatalf("call due %s after the page, want 1m30s", tr.Due.Sub(paged))
		}
		return nil
	})
	// The fake stamps calls with the wall clock: the delay is proved by
	// the timer's due time on the test bed's clock, and by no call
	// before that clock reaches it.
	if n := len(w.fake.Calls()); n != 0 {
		t.Fatalf("%d calls before the rule's delay", n)
	}
	w.Clock.Add(90 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := w.fake.WaitForCall(ctx, func(c twiliofake.Call) bool { return c.To == dutyPhone }); err != nil {
		t.Fatalf("no call to Dana: %v", err)
	}
}

type errNotYet string

func (e errNotYet) Error() string { return string(e) }
