package triage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

const (
	scenarioMain  = "+442079460010"
	scenarioDay   = "+442079460011"
	scenarioDuty  = "+447700900111"
	scenarioToken = "clocktoken0123456789"
)

// A line always open (first reply within 10m, next within 5m), a line open
// 09:00-17:00 London, and one duty worker paged by SMS for both.
const scenarioConfig = `
lines:
  - {id: main, name: Main Line, number: "` + scenarioMain + `", timezone: Europe/London, always_open: true, first_response_target: 10m, next_response_target: 5m}
  - id: day
    name: Day Line
    number: "` + scenarioDay + `"
    timezone: Europe/London
    first_response_target: 10m
    hours: {monday: ["09:00-17:00"], tuesday: ["09:00-17:00"], wednesday: ["09:00-17:00"], thursday: ["09:00-17:00"], friday: ["09:00-17:00"]}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + scenarioDuty + `"}
  - {id: alex, name: Alex Worker, role: worker}
rota:
  - {line: main, level: duty, staff: dana}
  - {line: day, level: duty, staff: dana}
policies:
  - {id: default, levels: [duty], ack_timeout: 1h, rounds: 1}
`

// scenario is a whole process (helpline run's composition) on a
// hand-moved clock, paging through a Twilio fake.
type scenario struct {
	*testbed.Bed
	p *apptest.Served
}

func (s *scenario) text(t *testing.T, from, to, body string) string {
	t.Helper()
	return s.Text(t, from, to, body).ConversationID
}

// clocks waits until n clocks started in the conversation and returns them.
func (s *scenario) clocks(t *testing.T, convID string, n int) []events.ResponseClockStarted {
	t.Helper()
	var out []events.ResponseClockStarted
	poll.Until(t, 30*time.Second, func() error {
		if out = clocks(t, s.Bed, convID); len(out) != n {
			return fmt.Errorf("conversation %s: %d clocks, want %d", convID, len(out), n)
		}
		return nil
	})
	return out
}

// escalated waits for the conversation's one unanswered escalation.
func (s *scenario) escalated(t *testing.T, convID string) events.EscalationRaised {
	t.Helper()
	var esc []events.EscalationRaised
	poll.Until(t, 30*time.Second, func() error {
		if esc = unanswered(t, s.Bed, convID); len(esc) != 1 {
			return fmt.Errorf("conversation %s: %d unanswered escalations, want 1", convID, len(esc))
		}
		return nil
	})
	return esc[0]
}

// paged waits for the duty worker's page SMS for escalationID: the
// escalation_paged event and the SMS the fake received under its sid.
func (s *scenario) paged(t *testing.T, escalationID string) {
	t.Helper()
	var sid string
	poll.Until(t, 30*time.Second, func() error {
		for _, e := range s.Events(t, events.AggregateConversation, events.TypeEscalationPaged) {
			if p := testbed.Payload[events.EscalationPaged](t, e); p.EscalationID == escalationID && p.StaffID == "dana" {
				sid = p.ProviderMessageID
				return nil
			}
		}
		return fmt.Errorf("nobody paged for %s yet", escalationID)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.p.Fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.SID == sid && m.To == scenarioDuty }); err != nil {
		t.Fatalf("no page SMS %s to the duty phone: %v", sid, err)
	}
}

// TestClocksFollowTheConversation is issue 14's acceptance scenario for
// response clocks, on the whole process: in-process NATS, the process's
// timer loop on a hand-moved clock, pages through the Twilio fake. The
// timer loop fires due timers earliest first, so a sentinel conversation
// whose clock falls due a second before another's proves that the loop
// ran at that moment (its escalation appears) and left the other alone:
// "not before" is shown by the clock standing still, never by a sleep.
//
//   - A writes after a worker's reply and gets no answer: the
//     next-response escalation is raised at the target, not a second
//     before, and pages the duty worker;
//   - C writes again and a worker replies before the target: no
//     escalation; D writes again and is closed: no escalation;
//   - E writes to the day line at 08:50, while it is closed: its clock
//     runs from 09:00 and escalates at 09:10, not at 09:00;
//   - D writes after the close: the conversation reopens and its clock
//     starts again.
func TestClocksFollowTheConversation(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 24, 8, 50, 0, 0, time.UTC) // Tuesday, GMT: the day line opens at 09:00
	b := testbed.New(t, scenarioConfig, t0)
	p := apptest.Run(t, b, scenarioToken)
	s := &scenario{Bed: b, p: p}
	clock := b.Clock

	sentinel := s.text(t, "+447700900120", scenarioMain, "hello") // due 09:00
	dayE := s.text(t, "+447700900125", scenarioDay, "hello")      // closed: due 09:10
	if k := s.clocks(t, dayE, 1)[0]; !k.From.Equal(t0.Add(10*time.Minute)) || !k.Due.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("clock of a message while closed: %+v, want from the 09:00 opening, due 09:10", k)
	}
	clock.Add(3 * time.Minute)
	a := s.text(t, "+447700900121", scenarioMain, "hello")
	c := s.text(t, "+447700900123", scenarioMain, "hello")
	d := s.text(t, "+447700900124", scenarioMain, "hello")
	for _, id := range []string{a, c, d} {
		s.clocks(t, id, 1)
	}
	clock.Add(time.Minute) // 08:54
	for _, id := range []string{a, c, d} {
		s.Reply(t, id, "r1-"+id, "alex", "Alex", "we are here")
	}
	clock.Add(30 * time.Second) // 08:54:30: C and D write again, due 08:59:30
	s.text(t, "+447700900123", scenarioMain, "one more thing")
	s.text(t, "+447700900124", scenarioMain, "one more thing")
	clock.Add(31 * time.Second) // 08:55:01: A writes again, due 09:00:01
	s.text(t, "+447700900121", scenarioMain, "are you still there?")
	next := s.clocks(t, a, 2)[1]
	if next.Kind != events.ClockNextResponse || !next.Due.Equal(clock.Now().Add(5*time.Minute)) {
		t.Fatalf("A's clock after the reply: %+v, want a next-response clock due 5m after %s", next, clock.Now())
	}
	s.clocks(t, c, 2)
	s.clocks(t, d, 2)
	clock.Add(time.Minute) // 08:56:01: a worker answers C, D is closed
	s.Reply(t, c, "r2-"+c, "alex", "Alex", "we are here")
	s.Close(t, d, "alex")

	// 09:00:00, a second short of A's target: the loop runs (the
	// sentinel's first-response clock escalates) and A waits.
	clock.Add(t0.Add(10 * time.Minute).Sub(clock.Now()))
	s.escalated(t, sentinel)
	for who, id := range map[string]string{"A, a second short of its target,": a, "C, answered,": c, "D, closed,": d,
		"E, whose wait counts from 09:00,": dayE} {
		if esc := unanswered(t, s.Bed, id); len(esc) != 0 {
			t.Fatalf("%s was escalated: %+v", who, esc)
		}
	}

	// 09:00:01: A's target. Escalated, and the duty worker paged.
	clock.Add(time.Second)
	esc := s.escalated(t, a)
	if esc.EscalationID != events.UnansweredEscalationID(next.ClockID) || esc.MessageID != next.MessageID {
		t.Fatalf("A's escalation %+v, want the next-response clock's", esc)
	}
	s.paged(t, esc.EscalationID)

	// 09:10: E's target, counted from the opening.
	clock.Add(t0.Add(20 * time.Minute).Sub(clock.Now()))
	s.paged(t, s.escalated(t, dayE).EscalationID)
	for who, id := range map[string]string{"C": c, "D": d} {
		if esc := unanswered(t, s.Bed, id); len(esc) != 0 {
			t.Fatalf("%s was escalated: %+v", who, esc)
		}
	}

	// 09:10: D writes again, within the reopen window: the conversation
	// reopens and a next-response clock starts; at 09:15 it escalates.
	if again := s.text(t, "+447700900124", scenarioMain, "sorry, me again"); again != d {
		t.Fatalf("D's message went to conversation %s, want the reopened %s", again, d)
	}
	reopened := s.clocks(t, d, 3)[2]
	if reopened.Kind != events.ClockNextResponse || !reopened.Due.Equal(clock.Now().Add(5*time.Minute)) {
		t.Fatalf("D's clock after reopening: %+v", reopened)
	}
	clock.Add(5 * time.Minute)
	if esc := s.escalated(t, d); esc.EscalationID != events.UnansweredEscalationID(reopened.ClockID) {
		t.Fatalf("D's escalation %+v, want the reopened clock's", esc)
	}
}
