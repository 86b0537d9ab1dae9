package events_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/helpline-org/helpline/events"
)

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
