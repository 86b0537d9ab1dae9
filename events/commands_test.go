package events_test

import (
	"errors"
	"fmt"
	"slices"
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

// TestEscalateByHand: a staff member's escalation is a crisis escalation
// like any other, recorded with who asked and why; it is refused with a
// reason code the domain does not know, for a message not in the
// conversation, and while someone is already being paged.
func TestEscalateByHand(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	started := []events.Payload{
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: body, ReceivedAt: t0},
	}
	c := fold(t, "c-manual", started...)
	if err := c.EscalateByHand("req1", "kim", events.ManualRiskToLife, "m1", m); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range c.Pending() {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, []string{events.TypeEscalationRequested, events.TypeEscalationRaised}) {
		t.Fatalf("recorded %v", types)
	}
	esc := c.Escalations["esc-manual-req1"]
	if esc == nil || esc.Reason != events.ReasonManual || !esc.Open() {
		t.Fatalf("escalation %+v, want an open manual one", esc)
	}
	p, err := c.Pending()[1].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if r := p.(events.EscalationRaised); r.Risk != events.RiskCrisis || r.MessageID != "m1" {
		t.Fatalf("raised %+v, want crisis for m1", r)
	}
	if err := c.EscalateByHand("req1", "kim", events.ManualRiskToLife, "m1", m); err != nil || len(c.Pending()) != 2 {
		t.Fatalf("the same request again: %v, %d pending, want nothing more", err, len(c.Pending()))
	}
	if err := c.EscalateByHand("req2", "sam", events.ManualSafeguarding, "", m); !errors.Is(err, events.ErrAlreadyEscalated) {
		t.Fatalf("second escalation while one is open: %v, want ErrAlreadyEscalated", err)
	}

	fresh := fold(t, "c-manual-bad", started...)
	if err := fresh.EscalateByHand("req3", "kim", "i think so", "", m); !errors.Is(err, events.ErrInvalidCommand) {
		t.Fatalf("unknown reason: %v, want ErrInvalidCommand", err)
	}
	if err := fresh.EscalateByHand("req3", "kim", events.ManualSafeguarding, "m9", m); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("unknown message: %v, want ErrNotFound", err)
	}
	if len(fresh.Pending()) != 0 {
		t.Fatalf("refused commands recorded %d events", len(fresh.Pending()))
	}
}

// TestTriageFeedback: a mark copies the verdict as triage recorded it (its
// signals plain, its terms sealed as the verdict sealed them), once per staff member and
// mark; marks on unknown messages or of unknown kinds are refused.
func TestTriageFeedback(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	c := fold(t, "c-feedback",
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", ReceivedAt: t0},
		events.MessageTriaged{MessageID: "m1", Risk: events.RiskElevated, Rule: "wish_alone", LexiconVersion: "en-2026.12.1",
			Matches: []events.TriageMatch{
				{Category: "wish_to_be_dead", Language: "en", Weight: 1},
				{Category: "negation", Language: "en", Weight: 0},
			}, Terms: events.Sealed{KeyID: "k1", Data: []byte("sealed terms")}},
	)
	if err := c.RecordTriageFeedback("m1", "kim", events.FeedbackMissed, m); err != nil {
		t.Fatal(err)
	}
	if err := c.RecordTriageFeedback("m1", "kim", events.FeedbackMissed, m); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Pending()); n != 2 || c.Pending()[0].ID != c.Pending()[1].ID {
		t.Fatalf("the same mark twice: %d pending with ids %v, want one id (the log keeps one)", n, c.Pending())
	}
	p, err := c.Pending()[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	fb := p.(events.TriageFeedbackRecorded)
	if fb.Risk != events.RiskElevated || fb.Rule != "wish_alone" || !slices.Equal(fb.Signals, []string{"wish_to_be_dead"}) ||
		fb.Terms.KeyID != "k1" || string(fb.Terms.Data) != "sealed terms" {
		t.Fatalf("feedback %+v does not copy the verdict", fb)
	}
	if err := c.RecordTriageFeedback("m2", "kim", events.FeedbackMissed, m); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("mark on an untriaged message: %v, want ErrNotFound", err)
	}
	if err := c.RecordTriageFeedback("m1", "kim", "meh", m); !errors.Is(err, events.ErrInvalidCommand) {
		t.Fatalf("unknown mark: %v, want ErrInvalidCommand", err)
	}
}

// TestRecentVerdicts: a conversation remembers its latest verdicts, oldest
// first and bounded, for triage to read the next message with.
func TestRecentVerdicts(t *testing.T) {
	t.Parallel()
	var ps []events.Payload
	ps = append(ps, events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS})
	for i := range events.RecentVerdicts + 3 {
		id := "m" + string(rune('a'+i))
		ps = append(ps, events.MessageTriaged{MessageID: id, Risk: events.RiskElevated,
			Matches: []events.TriageMatch{{Category: "wish_to_be_dead", Weight: 1}}})
	}
	c := fold(t, "c-recent", ps...)
	if len(c.Recent) != events.RecentVerdicts {
		t.Fatalf("%d recent verdicts, want %d", len(c.Recent), events.RecentVerdicts)
	}
	clone := c.Clone()
	clone.Recent[0].Signals[0] = "changed"
	if c.Recent[0].Signals[0] != "wish_to_be_dead" {
		t.Fatal("a clone shares its recent verdicts' signals")
	}
}
