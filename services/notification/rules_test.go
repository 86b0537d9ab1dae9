package notification_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/notification"
)

// rulesConfig gives the duty worker the rules of issue 13: an SMS at
// once, a voice call after two minutes without an acknowledgement; the
// backup keeps the default (an SMS at once).
var rulesConfig = mainConfig("", testbed.On("duty", sam.With(", notify: [{sms: 0m}, {call: 2m}]")), testbed.On("backup", robin))

const callDelay = 2 * time.Minute

func (w *world) callsTo(number string) []twiliofake.Call {
	return addressedTo(w.fake.Calls(), func(c twiliofake.Call) string { return c.To }, number)
}

// addressedTo keeps the messages or calls to number.
func addressedTo[T any](all []T, to func(T) string, number string) []T {
	var out []T
	for _, x := range all {
		if to(x) == number {
			out = append(out, x)
		}
	}
	return out
}

func (w *world) waitCall(t *testing.T, number string) twiliofake.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := w.fake.WaitForCall(ctx, func(c twiliofake.Call) bool { return c.To == number })
	if err != nil {
		t.Fatalf("no call to %s: %v", number, err)
	}
	return c
}

// waitRuleTimer waits until sam's next rule is scheduled at the duty step.
func (w *world) waitRuleTimer(t *testing.T, escID string) {
	t.Helper()
	poll.Until(t, 10*time.Second, func() error {
		key := "rule-" + escID + "-r1-l0-sam"
		if _, ok, err := w.tm.Get(context.Background(), key); err != nil || !ok {
			return fmt.Errorf("no rule timer for %s (%v)", escID, err)
		}
		if !w.tm.Scheduled(key) { // what a single fire sees
			return fmt.Errorf("rule timer for %s not in the schedule yet", escID)
		}
		return nil
	})
}

// paged is a crisis paged to the duty worker, whose rules are rulesConfig's.
type paged struct {
	svc                      *notification.Service
	stop                     func()
	convID, escID, pseudonym string
	at                       time.Time
}

// pageWithRules starts notification (and the webhooks) on rulesConfig and
// pages a crisis: it returns once the SMS is sent and the call's timer set.
func pageWithRules(t *testing.T) (*world, paged) {
	t.Helper()
	w := newWorldWith(t, rulesConfig)
	w.webhooks(t)
	var p paged
	p.svc, p.stop = w.service(t)
	p.at = w.Clock.Now()
	p.convID, p.escID, p.pseudonym = w.crisis(t, body)
	w.waitSent(t, dutyPhone, 1)
	w.waitRuleTimer(t, p.escID)
	return w, p
}

// pressAndRead presses digits on a call and returns what the webhook
// answered.
func (w *world) pressAndRead(t *testing.T, sid, digits string) (int, string) {
	t.Helper()
	resp, err := w.fake.PressKey(context.Background(), sid, digits)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// callComesAt moves the clock to a second before delay after paged and
// fires the due timers: no call to the duty worker; then to delay: their
// call comes, placed delay after paged. It returns the call.
func (w *world) callComesAt(t *testing.T, svc *notification.Service, paged time.Time, delay time.Duration) twiliofake.Call {
	t.Helper()
	w.Clock.Add(paged.Add(delay - time.Second).Sub(w.Clock.Now()))
	w.fire(t, svc)
	if n := len(w.callsTo(dutyPhone)); n != 0 {
		t.Fatalf("%d calls before the rule's delay", n)
	}
	w.Clock.Add(time.Second)
	w.fire(t, svc)
	call := w.waitCall(t, dutyPhone)
	if got := call.CreatedAt.Sub(paged); got != delay {
		t.Errorf("call placed %s after the page, want %s", got, delay)
	}
	return call
}

// TestCallRuleAtItsDelayAndKeyPressAcknowledges: with no acknowledgement
// the call reaches the fake at the configured delay (not before), reads
// the line, reason and pseudonym (never the client's number or words),
// and pressing 1 acknowledges via "call": no next level, however long.
func TestCallRuleAtItsDelayAndKeyPressAcknowledges(t *testing.T) {
	t.Parallel()
	w, p := pageWithRules(t)
	svc, convID, escID, pseudonym, paged := p.svc, p.convID, p.escID, p.pseudonym, p.at

	call := w.callComesAt(t, svc, paged, callDelay)
	if call.From != lineNum {
		t.Errorf("call from %s, want the line's number", call.From)
	}
	said := strings.Join(call.Said, " ")
	spelled := strings.Join(strings.Split(strings.ReplaceAll(pseudonym, "-", ""), ""), " ")
	for _, want := range []string{"Test Line", "crisis", spelled, "Press 1 to acknowledge"} {
		if !strings.Contains(said, want) {
			t.Errorf("call says %q, lacking %q", said, want)
		}
	}
	for _, never := range []string{clientNum, strings.TrimPrefix(clientNum, "+"), body, "pills"} {
		if strings.Contains(call.TwiML, never) {
			t.Errorf("call TwiML contains %q", never)
		}
	}

	w.pressOneAcknowledges(t, svc, call.SID, convID, escID)
}

// pressOneAcknowledges presses 1 on the duty worker's call: the call says
// so, the escalation is acknowledged via "call", and nobody else is paged
// or called, however long after.
func (w *world) pressOneAcknowledges(t *testing.T, svc *notification.Service, callSid, convID, escID string) {
	t.Helper()
	status, answer := w.pressAndRead(t, callSid, "1")
	if status != 200 || !strings.Contains(answer, "Acknowledged") {
		t.Fatalf("key press answered %d %q", status, answer)
	}
	if got := w.acknowledged(t, convID)[escID]; got != "sam/call" {
		t.Fatalf("acknowledged %q, want sam/call", got)
	}
	w.waitTimerGone(t, escID)
	w.Clock.Add(time.Hour)
	w.fire(t, svc)
	if n, c := len(w.sentTo(backup)), len(w.callsTo(dutyPhone)); n != 0 || c != 1 {
		t.Fatalf("after the acknowledgement: %d pages to the backup, %d calls to the duty worker", n, c)
	}
}

// TestUndeliveredPageCallsAtOnce: the page SMS is reported undelivered;
// the duty worker's next rule (the call) is placed within a second of the
// callback, with the clock never moved (no timer could have done it), and
// the failure is recorded with Twilio's code. The call is not answered:
// that was their last rule, so the backup is paged at once too.
func TestUndeliveredPageCallsAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, rulesConfig)
	w.webhooks(t)
	w.service(t)
	if err := w.fake.FailDeliveries(dutyPhone, "undelivered", 30003); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.FailCalls(dutyPhone, "no-answer", 0); err != nil {
		t.Fatal(err)
	}
	w.crisis(t, body)
	w.waitSent(t, dutyPhone, 1)
	poll.Until(t, 10*time.Second, func() error {
		for _, e := range w.Events(t, events.AggregateConversation, events.TypeDeliveryStatusChanged) {
			if testbed.Payload[events.DeliveryStatusChanged](t, e).Status == "undelivered" {
				return nil
			}
		}
		return fmt.Errorf("no undelivered status yet")
	})
	// The clock is never moved, so neither the call nor the backup's page
	// can come from a timer: both follow the callback itself. Wall time is
	// only logged (the acceptance's "within a second" is measured here, not
	// asserted: on a loaded CI machine a wall-time bound is a guess).
	callback := time.Now()
	w.waitCall(t, dutyPhone)
	t.Logf("call %s after the undelivered callback was recorded", time.Since(callback))
	w.waitSent(t, backup, 1)
	t.Logf("backup paged %s after the undelivered callback was recorded", time.Since(callback))
	if got := fmt.Sprint(w.refusals(t)); got != "[failed:sam:30003 failed:sam:0 reescalated:undelivered]" {
		t.Fatalf("recorded %s", got)
	}
}

// TestRestartBetweenSMSAndCall: notification stops after the SMS and a
// new replica (its own timer store over the same bucket) starts before
// the call's delay: exactly one call, and none after the acknowledgement.
func TestRestartBetweenSMSAndCall(t *testing.T) {
	t.Parallel()
	w, p := pageWithRules(t)
	convID, escID := p.convID, p.escID
	p.stop()

	w.tm = w.Timers(t, "notification_timers") // the restarted process's
	svc, _ := w.service(t)
	w.Clock.Add(time.Minute)
	w.fire(t, svc)
	w.Clock.Add(time.Minute)
	w.fire(t, svc)
	call := w.waitCall(t, dutyPhone)
	w.Clock.Add(time.Minute)
	w.fire(t, svc)
	if n := len(w.callsTo(dutyPhone)); n != 1 {
		t.Fatalf("%d calls, want exactly one", n)
	}
	w.pressOneAcknowledges(t, svc, call.SID, convID, escID)
}

// TestAcknowledgedBeforeTheCall: acknowledged in the console before the
// call's delay, no call is ever placed.
func TestAcknowledgedBeforeTheCall(t *testing.T) {
	t.Parallel()
	w, p := pageWithRules(t)
	svc, convID, escID := p.svc, p.convID, p.escID
	w.Clock.Add(time.Minute)
	w.Update(t, convID, func(c *events.Conversation, m events.Meta) error {
		return c.Acknowledge(escID, "sam", m)
	})
	w.waitTimerGone(t, escID)
	for range 3 {
		w.Clock.Add(callDelay)
		w.fire(t, svc)
	}
	if n := len(w.fake.Calls()); n != 0 {
		t.Fatalf("%d calls after the acknowledgement", n)
	}
	if n := len(w.sentTo(backup)); n != 0 {
		t.Fatalf("%d pages to the backup after the acknowledgement", n)
	}
}

// TestPressTwoDeclines: 2 on the call declines (via "call"): the backup
// is paged at once.
func TestPressTwoDeclines(t *testing.T) {
	t.Parallel()
	w, p := pageWithRules(t)
	w.Clock.Add(callDelay)
	w.fireUntil(t, p.svc, func() error {
		for _, c := range w.fake.Calls() {
			if c.To == dutyPhone {
				return nil
			}
		}
		return fmt.Errorf("no call to %s yet", dutyPhone)
	})
	call := w.waitCall(t, dutyPhone)
	if status, answer := w.pressAndRead(t, call.SID, "2"); status != 200 || !strings.Contains(answer, "Declined") {
		t.Fatalf("key press answered %d %q", status, answer)
	}
	w.waitSent(t, backup, 1)
	if got := fmt.Sprint(w.refusals(t)); got != "[reescalated:declined]" {
		t.Fatalf("recorded %s", got)
	}
}
