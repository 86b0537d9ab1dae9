package events_test

import (
	"fmt"
	"testing"

	"github.com/helpline-org/helpline/events"
)

// TestCommandsRecordOnce: a decision that must happen once records its
// event with an id derived from its cause, and records nothing when the
// state shows it made already (a redelivery, a second replica, a timer
// that fired twice).
func TestCommandsRecordOnce(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	tests := []struct {
		name   string
		cmd    func(*events.Conversation) error
		wantID string // "" when the command must record nothing
		// then lists the types of the events recorded after wantID's.
		then []string
	}{
		{"start", func(c *events.Conversation) error { return c.Start("main", "k1", "C-AB12", events.ChannelSMS, m) }, "", nil},
		{"receive", func(c *events.Conversation) error { return c.Receive("m2", "SM2", body, 0, m) }, "m2", nil},
		{"receive again", func(c *events.Conversation) error { return c.Receive("m1", "SM1", body, 0, m) }, "", nil},
		{"triage", func(c *events.Conversation) error {
			return c.Triage("m2", events.Verdict{Risk: events.RiskNone}, events.Arrival{}, m)
		}, "tri-m2", nil},
		{"triage again", func(c *events.Conversation) error {
			return c.Triage("m1", events.Verdict{Risk: events.RiskCrisis}, events.Arrival{}, m)
		}, "", nil},
		{"crisis while a crisis escalation is open", func(c *events.Conversation) error {
			return c.Triage("m2", events.Verdict{Risk: events.RiskCrisis}, events.Arrival{}, m)
		}, "tri-m2", nil},
		{"unanswered while an escalation is open", func(c *events.Conversation) error { return c.EscalateUnanswered("", m) }, "", nil},
		{"page", func(c *events.Conversation) error { return c.RecordPage("e1", 1, 0, "duty", "kim", "SMp", m) }, "page-e1-r1-l0-kim", nil},
		{"page again", func(c *events.Conversation) error { return c.RecordPage("e1", 1, 0, "duty", "sam", "SMp", m) }, "", nil},
		{"re-escalate", func(c *events.Conversation) error { return c.ReEscalate("e1", 0, 1, 1, "ack_timeout", m) }, "reesc-e1-r1-l1", nil},
		{"re-escalate to a past step", func(c *events.Conversation) error { return c.ReEscalate("e1", 0, 0, 1, "ack_timeout", m) }, "", nil},
		{"exhaust", func(c *events.Conversation) error { return c.Exhaust("e1", 2, m) }, "exhausted-e1", nil},
		{"reply", func(c *events.Conversation) error { return c.RequestReply("r2", "alex", "Alex", body, m) }, "rq-r2",
			[]string{events.TypeEscalationAcknowledged}}, // the open escalation, by the worker who replied
		{"reply again", func(c *events.Conversation) error { return c.RequestReply("r1", "alex", "Alex", body, m) }, "", nil},
		{"sent", func(c *events.Conversation) error { return c.RecordSent("r1", events.SendReply, "SMr", m) }, "sent-r1", nil},
		{"sent again", func(c *events.Conversation) error { return c.RecordSent("r0", events.SendReply, "SMr", m) }, "", nil},
		{"failed after sent", func(c *events.Conversation) error { return c.RecordSendFailed("r0", events.SendReply, "no", 1, m) }, "", nil},
		{"blocked", func(c *events.Conversation) error { return c.BlockSend("r1", "opted out", m) }, "blocked-r1", nil},
		{"delivery status", func(c *events.Conversation) error { return c.RecordDeliveryStatus("SMAB", "delivered", 0, m) }, "dlv-smab-delivered", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fold(t, "c-once",
				events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
				events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: body, ReceivedAt: t0},
				events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
				events.EscalationPaged{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "sam", Round: 1},
				events.MessageTriaged{MessageID: "m1", Risk: events.RiskCrisis},
				events.ReplyRequested{ReplyID: "r1", StaffID: "alex", Body: body},
				events.MessageSent{SendID: "r0"},
			)
			if err := tt.cmd(c); err != nil {
				t.Fatal(err)
			}
			var ids, then []string
			for i, e := range c.Pending() {
				ids = append(ids, e.ID)
				if i > 0 {
					then = append(then, e.Type)
				}
			}
			switch {
			case tt.wantID == "" && len(ids) != 0:
				t.Fatalf("recorded %v, want nothing", ids)
			case tt.wantID != "" && (len(ids) != 1+len(tt.then) || ids[0] != tt.wantID):
				t.Fatalf("recorded %v, want [%s] then %v", ids, tt.wantID, tt.then)
			case fmt.Sprint(then) != fmt.Sprint(tt.then) && len(tt.then) > 0:
				t.Fatalf("recorded %v after %s, want %v", then, tt.wantID, tt.then)
			}
		})
	}
}

// TestTriageRules: what a verdict raises, by risk and hour.
func TestTriageRules(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	ooh := events.Arrival{OutOfHours: true, ClosedSince: t0.Add(-1), NextOpen: t0.Add(1)}
	tests := []struct {
		name    string
		risk    string
		arrival events.Arrival
		want    []string // event types, in order
	}{
		{"none, open", events.RiskNone, events.Arrival{}, []string{events.TypeMessageTriaged}},
		{"elevated, open", events.RiskElevated, events.Arrival{}, []string{events.TypeMessageTriaged}},
		{"crisis, open", events.RiskCrisis, events.Arrival{}, []string{events.TypeEscalationRaised, events.TypeMessageTriaged}},
		{"none, closed", events.RiskNone, ooh, []string{events.TypeOutOfHoursContactRecorded, events.TypeMessageTriaged}},
		{"elevated, closed", events.RiskElevated, ooh,
			[]string{events.TypeEscalationRaised, events.TypeOutOfHoursContactRecorded, events.TypeMessageTriaged}},
		{"crisis, closed", events.RiskCrisis, ooh, []string{events.TypeEscalationRaised, events.TypeMessageTriaged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fold(t, "c-rules", events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS})
			if err := c.Triage("m1", events.Verdict{Risk: tt.risk}, tt.arrival, m); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range c.Pending() {
				got = append(got, e.Type)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("recorded %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("recorded %v, want %v", got, tt.want)
				}
			}
		})
	}
}
