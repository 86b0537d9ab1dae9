package triage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/triage"
)

// clockTimer waits for the conversation's timer to be ok (set, or gone).
func (w *world) clockTimer(t *testing.T, convID string, ok func(timers.Timer, bool) error) timers.Timer {
	t.Helper()
	var got timers.Timer
	poll.Until(t, 20*time.Second, func() error {
		tm, set, err := w.tm.Get(context.Background(), "clock-"+convID)
		if err != nil {
			return err
		}
		got = tm
		return ok(tm, set)
	})
	return got
}

// timerSet is a clockTimer condition: the conversation's timer is set.
func timerSet(_ timers.Timer, set bool) error {
	if !set {
		return fmt.Errorf("no timer yet")
	}
	return nil
}

// timerAfter is a clockTimer condition: the conversation's timer is set
// for another clock than before's.
func timerAfter(before timers.Timer) func(timers.Timer, bool) error {
	return func(tm timers.Timer, set bool) error {
		if !set || tm.Data["clock"] == before.Data["clock"] {
			return fmt.Errorf("no next-response timer yet")
		}
		return nil
	}
}

func timerGone(_ timers.Timer, set bool) error {
	if set {
		return fmt.Errorf("the clock's timer is still set")
	}
	return nil
}

// clocks returns the conversation's clocks started so far.
func clocks(t *testing.T, b *testbed.Bed, convID string) []events.ResponseClockStarted {
	t.Helper()
	return testbed.Payloads[events.ResponseClockStarted](t, b, convID, events.TypeResponseClockStarted)
}

// unanswered returns the conversation's unanswered escalations.
func unanswered(t *testing.T, b *testbed.Bed, convID string) []events.EscalationRaised {
	t.Helper()
	var out []events.EscalationRaised
	for _, e := range testbed.Payloads[events.EscalationRaised](t, b, convID, events.TypeEscalationRaised) {
		if e.Reason == events.ReasonUnanswered {
			out = append(out, e)
		}
	}
	return out
}

func (w *world) fire(t *testing.T, svc *triage.Service) {
	t.Helper()
	if _, err := w.tm.Fire(context.Background(), svc.OnUnanswered); err != nil {
		t.Fatal(err)
	}
}

// TestNextResponseClockEscalatesAtItsTarget: the client writes again after
// a worker's reply and nobody answers: the next-response clock (5m on
// this line) escalates at its due time, not a second before, once; the
// worker's reply had stopped the first clock. Two replicas firing the
// timer at once, one of them just started, raise one escalation.
func TestNextResponseClockEscalatesAtItsTarget(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	svc, _ := w.start(t)
	rc := w.text(t, "+447700900241", "hello")
	first := w.clockTimer(t, rc.ConversationID, timerSet)
	if want := inHours.Add(10 * time.Minute); !first.Due.Equal(want) {
		t.Fatalf("first-response timer due %s, want %s", first.Due, want)
	}
	w.Clock.Add(time.Minute)
	w.Reply(t, rc.ConversationID, "r1", "alex", "Alex", "we are here")
	w.clockTimer(t, rc.ConversationID, timerGone)

	w.Clock.Add(time.Minute)
	w.text(t, "+447700900241", "are you still there?")
	written := w.Clock.Now()
	next := w.clockTimer(t, rc.ConversationID, timerAfter(first))
	clocks := clocks(t, w.Bed, rc.ConversationID)
	if len(clocks) != 2 || clocks[0].Kind != events.ClockFirstResponse || clocks[1].Kind != events.ClockNextResponse ||
		!clocks[1].From.Equal(written) || !clocks[1].Due.Equal(written.Add(5*time.Minute)) || !next.Due.Equal(clocks[1].Due) {
		t.Fatalf("clocks %+v, timer %+v; want a next-response clock from %s due 5m later", clocks, next, written)
	}
	w.text(t, "+447700900241", "hello??") // a later message does not push it back
	w.waitFor(t, events.TypeMessageTriaged, 3)

	w.Clock.Add(5*time.Minute - time.Second)
	w.fire(t, svc)
	if esc := unanswered(t, w.Bed, rc.ConversationID); len(esc) != 0 {
		t.Fatalf("escalated a second before the target: %+v", esc)
	}
	// At the target, two replicas fire at once: this one, and one just
	// started (as after a restart: its schedule loaded from the bucket,
	// its conversation cache empty). One escalation.
	w.Clock.Add(time.Second)
	other, otherTimers := w.service(t), w.Timers(t, "triage_timers")
	defer otherTimers.Close()
	poll.Until(t, 20*time.Second, func() error { // the second view has loaded the bucket's timer
		if len(otherTimers.Due()) == 0 {
			return fmt.Errorf("the second replica sees no due timer")
		}
		return nil
	})
	var wg sync.WaitGroup
	for _, r := range []struct {
		tm  *timers.Store
		svc *triage.Service
	}{{w.tm, svc}, {otherTimers, other}} {
		wg.Go(func() {
			if _, err := r.tm.Fire(context.Background(), r.svc.OnUnanswered); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	w.fire(t, svc)
	esc := unanswered(t, w.Bed, rc.ConversationID)
	if len(esc) != 1 || esc[0].EscalationID != events.UnansweredEscalationID(clocks[1].ClockID) || esc[0].MessageID != clocks[1].MessageID {
		t.Fatalf("escalations %+v, want one for the next-response clock", esc)
	}
}

// TestReplyAndCloseStopTheClock: a worker's reply before the target stops
// the next-response clock; closing the conversation stops its clock.
func TestReplyAndCloseStopTheClock(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	svc, _ := w.start(t)
	replied := w.text(t, "+447700900242", "hello")
	closed := w.text(t, "+447700900243", "hello")
	w.clockTimer(t, replied.ConversationID, timerSet)
	w.clockTimer(t, closed.ConversationID, timerSet)
	w.Reply(t, replied.ConversationID, "r1", "alex", "Alex", "we are here")
	w.clockTimer(t, replied.ConversationID, timerGone)
	w.text(t, "+447700900242", "thanks, one more thing")
	k := w.clockTimer(t, replied.ConversationID, timerSet)

	w.Clock.Add(4 * time.Minute)
	w.Reply(t, replied.ConversationID, "r2", "alex", "Alex", "we are here")
	w.Close(t, closed.ConversationID, "alex")
	w.clockTimer(t, replied.ConversationID, timerGone)
	w.clockTimer(t, closed.ConversationID, timerGone)

	// Even a timer that outlived its clock (set again by hand) raises
	// nothing: the conversation's state decides.
	if err := w.tm.Set(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	w.Clock.Add(time.Hour)
	w.fire(t, svc)
	for _, id := range []string{replied.ConversationID, closed.ConversationID} {
		if esc := unanswered(t, w.Bed, id); len(esc) != 0 {
			t.Fatalf("conversation %s escalated after its clock stopped: %+v", id, esc)
		}
	}
}

// TestClockOfAMessageWhileClosedRunsFromTheOpening: on a line open 09:00 to
// 17:00, a client writes at 03:00, a worker on call answers, the client
// writes again at 03:10: the next-response clock runs from 09:00 and
// escalates at 09:05, not before.
func TestClockOfAMessageWhileClosedRunsFromTheOpening(t *testing.T) {
	t.Parallel()
	threeAM := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC) // Wednesday, GMT
	opens := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	w := newWorld(t, threeAM)
	svc, _ := w.start(t)
	rc := w.text(t, "+447700900244", "can someone call me back")
	first := w.clockTimer(t, rc.ConversationID, timerSet)
	if want := opens.Add(10 * time.Minute); !first.Due.Equal(want) {
		t.Fatalf("first-response timer due %s, want %s (from the opening)", first.Due, want)
	}
	w.Clock.Add(5 * time.Minute)
	w.Reply(t, rc.ConversationID, "r1", "alex", "Alex", "we are here")
	w.clockTimer(t, rc.ConversationID, timerGone)
	w.Clock.Add(5 * time.Minute)
	w.text(t, "+447700900244", "ok, when?")
	next := w.clockTimer(t, rc.ConversationID, timerAfter(first))
	if want := opens.Add(5 * time.Minute); !next.Due.Equal(want) {
		t.Fatalf("next-response timer due %s, want %s (from the opening)", next.Due, want)
	}
	if k := clocks(t, w.Bed, rc.ConversationID); len(k) != 2 || !k[1].From.Equal(opens) || !k[1].ReceivedAt.Equal(threeAM.Add(10*time.Minute)) {
		t.Fatalf("clocks %+v", k)
	}
	w.Clock.Add(opens.Add(5*time.Minute - time.Second).Sub(w.Clock.Now()))
	w.fire(t, svc)
	if esc := unanswered(t, w.Bed, rc.ConversationID); len(esc) != 0 {
		t.Fatalf("escalated before the target counted from the opening: %+v", esc)
	}
	w.Clock.Add(time.Second)
	w.fire(t, svc)
	if esc := unanswered(t, w.Bed, rc.ConversationID); len(esc) != 1 {
		t.Fatalf("%d unanswered escalations at the target, want 1", len(esc))
	}
}

// TestClockDueWhileAnotherEscalationIsOpenLooksAgain: a client's crisis
// message pages the duty worker; the first-response clock falls due while
// that page is still unacknowledged, so nothing more is raised then. Once
// the page is acknowledged and still nobody has replied, the clock's timer
// (looking again every triage.UnansweredRecheck) raises the unanswered
// escalation: the client's wait is not forgotten (its timer used to be
// deleted at the first look).
func TestClockDueWhileAnotherEscalationIsOpenLooksAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	svc, _ := w.start(t)
	rc := w.text(t, "+447700900242", "i have the pills here and tonight i am going to take them all")
	w.waitFor(t, events.TypeEscalationRaised, 1)
	w.clockTimer(t, rc.ConversationID, timerSet)
	w.Clock.Add(10 * time.Minute)
	w.fire(t, svc)
	if esc := unanswered(t, w.Bed, rc.ConversationID); len(esc) != 0 {
		t.Fatalf("escalated as unanswered while the crisis page was open: %+v", esc)
	}
	w.Update(t, rc.ConversationID, func(c *events.Conversation, m events.Meta) error {
		open := c.OpenEscalations()
		if len(open) != 1 {
			return fmt.Errorf("%d open escalations, want the crisis one", len(open))
		}
		return c.Acknowledge(open[0].ID, "robin", m)
	})
	w.Clock.Add(triage.UnansweredRecheck)
	w.fire(t, svc)
	if esc := unanswered(t, w.Bed, rc.ConversationID); len(esc) != 1 || esc[0].MessageID != rc.EventID {
		t.Fatalf("unanswered escalations after the page was acknowledged and nobody replied: %+v, want one", esc)
	}
}
