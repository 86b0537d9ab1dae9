package events_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	// Each fold gets payloads of its own, so orig and want share no
	// slice that a shallow clone could let the test change in both.
	history := func() []events.Payload {
		return []events.Payload{
			events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
			events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: events.Sealed{KeyID: "k1", Data: []byte{1}}, ReceivedAt: t0},
			events.MessageTriaged{MessageID: "m1", Risk: events.RiskCrisis},
			events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis, Categories: []string{"self_harm"}},
			events.EscalationPaged{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "sam", Round: 1},
			events.ReplyRequested{ReplyID: "r1", StaffID: "alex", Body: events.Sealed{KeyID: "k1", Data: []byte{2}}},
			events.MessageSent{SendID: "r1"},
		}
	}
	orig, want := fold(t, "c-clone", history()...), fold(t, "c-clone", history()...)
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, orig)
	}

	// Change everything a caller could reach through the clone.
	c.Escalations["e1"].Acknowledged = true
	c.Escalations["e1"].Categories[0] = "changed"
	c.Escalations["e1"].Paged[events.Step(1, 0)][0] = "changed"
	c.Escalations["e1"].Paged[events.Step(1, 1)] = []string{"kim"}
	c.Escalations["e2"] = &events.Escalation{ID: "e2"}
	c.EscalationOrder[0] = "changed"
	c.Sends["r1"] = "failed"
	c.Sends["r2"] = "sent"
	r := c.Replies["r1"]
	r.Body.Data[0] = 99
	c.Replies["r2"] = events.ReplyRequested{ReplyID: "r2"}
	c.Messages["m1"] = 99
	c.Messages["m2"] = 100
	if err := c.Acknowledge("e1", "sam", events.Meta{OccurredAt: t0.Add(time.Hour)}); err == nil {
		t.Fatal("acknowledged an escalation the clone marked acknowledged")
	}
	c.Version = 99
	// Folding into the clone and recording a command change only the clone.
	e, err := events.New("c-clone", events.EscalationAcknowledged{EscalationID: "e1", StaffID: "sam"}, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	e.Sequence = 100
	if err := c.Apply(e); err != nil {
		t.Fatal(err)
	}
	v, err := events.New("c-clone", events.MessageTriaged{MessageID: "m2", Risk: events.RiskElevated, Terms: events.Sealed{KeyID: "k1", Data: []byte{3}}}, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	v.Sequence = 101
	if err := c.Apply(v); err != nil {
		t.Fatal(err)
	}
	if err := c.Close("sam", events.WrapUp{Outcome: "supported", SeenSeq: c.Version}, testTaxonomy{}, events.Meta{OccurredAt: t0}); err != nil {
		t.Fatal(err)
	}

	if !reflect.DeepEqual(orig, want) {
		t.Fatalf("changing the clone changed the original:\n%+v\n%+v", orig, want)
	}
	if !reflect.DeepEqual(orig.Escalations["e1"], want.Escalations["e1"]) {
		t.Fatalf("escalation changed: %+v", orig.Escalations["e1"])
	}
	if len(orig.Pending()) != 0 {
		t.Fatal("a command on the clone left a pending event on the original")
	}
}
