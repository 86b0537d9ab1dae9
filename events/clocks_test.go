package events_test

import (
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

var (
	clockBody    = events.Sealed{KeyID: "k1", Data: []byte{1}}
	clockTargets = events.ResponseTargets{First: 10 * time.Minute, Next: 5 * time.Minute}
	clockStarted = events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS}
)

func inbound(id string) events.MessageReceived {
	return events.MessageReceived{MessageID: id, LineID: "main", ClientID: "k1", Body: clockBody, ReceivedAt: t0}
}

func clockOf(messageID, kind string, from time.Time, target time.Duration) events.ResponseClockStarted {
	return events.ResponseClockStarted{ClockID: events.ClockID(messageID), Kind: kind, MessageID: messageID, LineID: "main", ReceivedAt: t0,
		From: from, Due: from.Add(target), TargetSeconds: int64(target / time.Second)}
}

// TestResponseClockRules: which message starts which clock, from when.
// Folded events are a minute apart from t0 (fold); the message triaged is
// the last one received, at sequence len(history).
func TestResponseClockRules(t *testing.T) {
	t.Parallel()
	open := events.Arrival{ReceivedAt: t0, Targets: clockTargets}
	opens := t0.Add(8 * time.Hour)
	closed := events.Arrival{OutOfHours: true, ClosedSince: t0.Add(-time.Hour), NextOpen: opens, ReceivedAt: t0, Targets: clockTargets}
	reply := events.ReplyRequested{ReplyID: "r1", StaffID: "alex", Body: clockBody}
	tests := []struct {
		name    string
		history []events.Payload
		arrival events.Arrival
		want    *events.ResponseClockStarted // nil: no clock
	}{
		{"first message: first-response clock from arrival", []events.Payload{clockStarted, inbound("m1")}, open,
			ptr(clockOf("m1", events.ClockFirstResponse, t0, 10*time.Minute))},
		{"while closed: counted from the next opening", []events.Payload{clockStarted, inbound("m1")}, closed,
			ptr(clockOf("m1", events.ClockFirstResponse, opens, 10*time.Minute))},
		{"while closed, never opening again: no clock", []events.Payload{clockStarted, inbound("m1")},
			events.Arrival{OutOfHours: true, ReceivedAt: t0, Targets: clockTargets}, nil},
		{"after a worker's reply: next-response clock", []events.Payload{clockStarted, inbound("m1"), reply, inbound("m2")}, open,
			ptr(clockOf("m2", events.ClockNextResponse, t0, 5*time.Minute))},
		{"after a reply, while closed: from the opening", []events.Payload{clockStarted, inbound("m1"), reply, inbound("m2")}, closed,
			ptr(clockOf("m2", events.ClockNextResponse, opens, 5*time.Minute))},
		{"a clock runs already: not pushed back", []events.Payload{clockStarted, inbound("m1"),
			clockOf("m1", events.ClockFirstResponse, t0, 10*time.Minute), inbound("m2")}, open, nil},
		{"triaged after the reply that answered it", []events.Payload{clockStarted, inbound("m1"), reply}, open, nil},
		{"triaged after the close", []events.Payload{clockStarted, inbound("m1"), events.ConversationClosed{ByStaffID: "alex"}}, open, nil},
		{"no target", []events.Payload{clockStarted, inbound("m1")}, events.Arrival{ReceivedAt: t0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fold(t, "c-clock", tt.history...)
			last := tt.history[len(tt.history)-1]
			msg := "m1"
			if r, ok := last.(events.MessageReceived); ok {
				msg = r.MessageID
			}
			if err := c.Triage(msg, events.Verdict{Risk: events.RiskNone}, tt.arrival, events.Meta{OccurredAt: t0}); err != nil {
				t.Fatal(err)
			}
			var got *events.ResponseClockStarted
			for _, e := range c.Pending() {
				if e.Type == events.TypeResponseClockStarted {
					p, _ := e.Decode()
					k := p.(events.ResponseClockStarted)
					got = &k
					if e.ID != k.ClockID {
						t.Errorf("event id %s, clock id %s: want the same", e.ID, k.ClockID)
					}
				}
			}
			switch {
			case tt.want == nil && got != nil:
				t.Fatalf("started %+v, want no clock", *got)
			case tt.want != nil && (got == nil || *got != *tt.want):
				t.Fatalf("started %+v, want %+v", got, *tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestResponseClockStopsAndEscalates: a reply or the close stops the
// clock (state folded from the log: a rebuild gives the same); an expired
// clock escalates once, at its due time and not before, and not while an
// escalation is open.
func TestResponseClockStopsAndEscalates(t *testing.T) {
	t.Parallel()
	k := clockOf("m2", events.ClockNextResponse, t0, 5*time.Minute)
	running := []events.Payload{clockStarted, inbound("m2"), k}
	tests := []struct {
		name    string
		history []events.Payload
		clockID string
		at      time.Time
		raised  bool
	}{
		{"at the due time", running, k.ClockID, k.Due, true},
		{"a second short of it", running, k.ClockID, k.Due.Add(-time.Second), false},
		{"a stale timer of another clock", running, events.ClockID("m1"), k.Due, false},
		{"stopped by a reply", append(running, events.ReplyRequested{ReplyID: "r2", StaffID: "alex", Body: clockBody}), k.ClockID, k.Due, false},
		{"stopped by the close", append(running, events.ConversationClosed{ByStaffID: "alex"}), k.ClockID, k.Due, false},
		{"already escalated and unacknowledged", append(running, events.EscalationRaised{EscalationID: "e1", LineID: "main",
			Reason: events.ReasonCrisis, Risk: events.RiskCrisis}), k.ClockID, k.Due, false},
		{"escalated before, acknowledged", append(running,
			events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
			events.EscalationAcknowledged{EscalationID: "e1", StaffID: "sam", Via: events.AckConsole}), k.ClockID, k.Due, true},
		{"the timer fired twice", append(running, events.EscalationRaised{EscalationID: events.UnansweredEscalationID(k.ClockID),
			LineID: "main", Reason: events.ReasonUnanswered, Risk: events.RiskNone}, events.EscalationExhausted{
			EscalationID: events.UnansweredEscalationID(k.ClockID), Rounds: 1}), k.ClockID, k.Due, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fold(t, "c-expire", tt.history...)
			if err := c.EscalateUnanswered(tt.clockID, events.Meta{OccurredAt: tt.at}); err != nil {
				t.Fatal(err)
			}
			pending := c.Pending()
			if !tt.raised {
				if len(pending) != 0 {
					t.Fatalf("recorded %d events, want none", len(pending))
				}
				return
			}
			if len(pending) != 1 || pending[0].ID != events.UnansweredEscalationID(k.ClockID) {
				t.Fatalf("recorded %+v, want the clock's escalation", pending)
			}
			p, _ := pending[0].Decode()
			if r := p.(events.EscalationRaised); r.Reason != events.ReasonUnanswered || r.MessageID != "m2" || r.LineID != "main" {
				t.Fatalf("raised %+v", r)
			}
		})
	}
}
