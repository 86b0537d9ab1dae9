package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

func fold(t *testing.T, id string, ps ...events.Payload) *events.Conversation {
	t.Helper()
	c := events.NewConversation(id)
	for i, p := range ps {
		e, err := events.New(id, p, events.Meta{OccurredAt: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		e.Sequence = uint64(i + 1)
		if err := c.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestConversationFoldsItsEvents(t *testing.T) {
	t.Parallel()
	c := fold(t, "c1",
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: events.Sealed{KeyID: "k1", Data: []byte{1}}, ReceivedAt: t0},
		events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
		events.EscalationPaged{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "sam", Round: 1},
		events.EscalationReEscalated{EscalationID: "e1", FromLevel: 0, ToLevel: 1, Round: 1},
		events.ReplyRequested{ReplyID: "r1", StaffID: "alex", Body: events.Sealed{KeyID: "k1", Data: []byte{2}}},
	)
	if !c.Started || c.LineID != "main" || c.Pseudonym != "C-AB12" || c.Received != 1 || c.Version != 6 {
		t.Fatalf("state: %+v", c)
	}
	esc := c.Escalations["e1"]
	if esc == nil || esc.Level != 1 || esc.Pages != 1 || !esc.Open() {
		t.Fatalf("escalation: %+v", esc)
	}
	if want := t0.Add(5 * time.Minute); !c.FirstReplyAt.Equal(want) {
		t.Errorf("first reply at %s, want %s", c.FirstReplyAt, want)
	}
	if len(c.Pending()) != 0 {
		t.Error("folding stored events left pending events")
	}
}

func TestAcknowledgeOnceThenTellsWho(t *testing.T) {
	t.Parallel()
	c := fold(t, "c2",
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
	)
	at := t0.Add(time.Hour)
	if err := c.Acknowledge("e1", "sam", events.Meta{OccurredAt: at}); err != nil {
		t.Fatal(err)
	}
	if len(c.Pending()) != 1 || c.Pending()[0].Type != "conversation.escalation_acknowledged" {
		t.Fatalf("pending: %+v", c.Pending())
	}
	err := c.Acknowledge("e1", "robin", events.Meta{OccurredAt: at.Add(time.Second)})
	var already *events.AlreadyAcknowledgedError
	if !errors.As(err, &already) || already.StaffID != "sam" || !errors.Is(err, events.ErrAlreadyAcknowledged) {
		t.Fatalf("second acknowledgement: %v", err)
	}
	if len(c.Pending()) != 1 {
		t.Fatal("a refused command recorded an event")
	}
	if err := c.Acknowledge("nope", "sam", events.Meta{OccurredAt: at}); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("unknown escalation: %v", err)
	}
	if len(c.OpenEscalations()) != 0 {
		t.Error("acknowledged escalation still open")
	}
}

func TestClosedConversationRefusesCommands(t *testing.T) {
	t.Parallel()
	c := fold(t, "c3",
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.ConversationClosed{ByStaffID: "alex"},
	)
	m := events.Meta{OccurredAt: t0}
	for name, err := range map[string]error{
		"assign": c.Assign("alex", "", "sam", m),
		"reply":  c.RequestReply("r1", "alex", "Alex", events.Sealed{KeyID: "k1", Data: []byte{1}}, m),
		"close":  c.Close("alex", events.WrapUp{Outcome: "supported"}, testTaxonomy{}, m),
	} {
		if !errors.Is(err, events.ErrClosed) {
			t.Errorf("%s on a closed conversation: %v", name, err)
		}
	}
	unknown := events.NewConversation("c4")
	if err := unknown.Assign("alex", "", "sam", m); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("assign on an unknown conversation: %v", err)
	}
}

func TestClientConsentFolds(t *testing.T) {
	t.Parallel()
	c := events.NewClient("k1")
	for i, p := range []events.Payload{
		events.ClientRegistered{LineID: "main", Pseudonym: "C-AB12", Channel: events.ChannelSMS, Contact: events.Sealed{KeyID: "k1", Data: []byte{1}}},
		events.ConsentChanged{LineID: "main", Consent: events.ConsentOptedOut, Keyword: events.Sealed{KeyID: "k1", Data: []byte("sealed STOP")}},
		events.ConsentChanged{LineID: "main", Consent: events.ConsentHelpRequested, Keyword: events.Sealed{KeyID: "k1", Data: []byte("sealed HELP")}},
	} {
		e, err := events.New("k1", p, events.Meta{OccurredAt: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if !c.Registered || !c.OptedOut || c.Erased || c.Pseudonym != "C-AB12" {
		t.Fatalf("after STOP, HELP: %+v", c)
	}
	e, _ := events.New("k1", events.ConsentChanged{LineID: "main", Consent: events.ConsentOptedIn, Keyword: events.Sealed{KeyID: "k1", Data: []byte("sealed START")}}, events.Meta{OccurredAt: t0})
	_ = c.Apply(e)
	if c.OptedOut {
		t.Fatal("START did not opt back in")
	}
}
