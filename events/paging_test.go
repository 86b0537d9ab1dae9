package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

func escalated(t *testing.T, id string, more ...events.Payload) *events.Conversation {
	t.Helper()
	return fold(t, id, append([]events.Payload{
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
		events.EscalationPaged{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "sam", Round: 1, ProviderMessageID: "SMsam", Channel: events.PageBySMS, Last: true},
	}, more...)...)
}

func acknowledgements(t *testing.T, c *events.Conversation) []events.EscalationAcknowledged {
	t.Helper()
	var out []events.EscalationAcknowledged
	for _, e := range c.Pending() {
		if p, err := e.Decode(); err == nil {
			if a, ok := p.(events.EscalationAcknowledged); ok {
				out = append(out, a)
			}
		}
	}
	return out
}

// TestReplyAcknowledgesOpenEscalation: a worker's reply to the client in
// an escalated conversation acknowledges it, by them, via "reply"; a
// reply after someone acknowledged changes nothing.
func TestReplyAcknowledgesOpenEscalation(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0.Add(time.Hour)}
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}

	c := escalated(t, "c-reply")
	if err := c.RequestReply("r1", "alex", "Alex", body, m); err != nil {
		t.Fatal(err)
	}
	acks := acknowledgements(t, c)
	if len(acks) != 1 || acks[0] != (events.EscalationAcknowledged{EscalationID: "e1", StaffID: "alex", Via: events.AckReply}) {
		t.Fatalf("acknowledgements %+v, want e1 by alex via reply", acks)
	}
	if esc := c.Escalations["e1"]; esc.Open() || esc.AcknowledgedBy != "alex" || esc.AcknowledgedVia != events.AckReply {
		t.Fatalf("escalation after the reply: %+v", esc)
	}

	done := escalated(t, "c-reply-done", events.EscalationAcknowledged{EscalationID: "e1", StaffID: "sam", Via: events.AckConsole})
	if err := done.RequestReply("r1", "alex", "Alex", body, m); err != nil {
		t.Fatal(err)
	}
	if acks := acknowledgements(t, done); len(acks) != 0 {
		t.Fatalf("a reply after sam acknowledged recorded %+v", acks)
	}
	if got := done.Escalations["e1"].AcknowledgedBy; got != "sam" {
		t.Fatalf("acknowledged by %s, want sam", got)
	}

	// A reply appended by hand (not through RequestReply): the
	// notification service runs AcknowledgeReplied for it.
	byHand := escalated(t, "c-reply-hand", events.ReplyRequested{ReplyID: "r1", StaffID: "alex", Body: body})
	if err := byHand.AcknowledgeReplied(m); err != nil {
		t.Fatal(err)
	}
	if acks := acknowledgements(t, byHand); len(acks) != 1 || acks[0].StaffID != "alex" || acks[0].Via != events.AckReply {
		t.Fatalf("AcknowledgeReplied recorded %+v", acks)
	}
	// An escalation raised after the reply is not acknowledged by it.
	later := fold(t, "c-reply-later",
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.ReplyRequested{ReplyID: "r1", StaffID: "alex", Body: body},
		events.EscalationRaised{EscalationID: "e1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis})
	if err := later.AcknowledgeReplied(m); err != nil {
		t.Fatal(err)
	}
	if acks := acknowledgements(t, later); len(acks) != 0 {
		t.Fatalf("an escalation raised after the reply was acknowledged: %+v", acks)
	}
}

// TestAcknowledgeViaRacesTellWho: an SMS acknowledgement and a console one
// on the same escalation: the second is told who was first.
func TestAcknowledgeViaRacesTellWho(t *testing.T) {
	t.Parallel()
	c := escalated(t, "c-race")
	m := events.Meta{OccurredAt: t0.Add(time.Hour)}
	if err := c.AcknowledgeVia("e1", "sam", events.AckSMS, m); err != nil {
		t.Fatal(err)
	}
	var already *events.AlreadyAcknowledgedError
	if err := c.Acknowledge("e1", "robin", m); !errors.As(err, &already) || already.StaffID != "sam" {
		t.Fatalf("console acknowledgement after the SMS one: %v", err)
	}
	if err := c.Decline("e1", "robin", events.AckSMS, m); !errors.As(err, &already) || already.StaffID != "sam" {
		t.Fatalf("decline after the SMS acknowledgement: %v", err)
	}
	if err := c.AcknowledgeVia("e1", "sam", events.AckConsole, m); !errors.Is(err, events.ErrAlreadyAcknowledged) {
		t.Fatalf("acknowledged twice: %v", err)
	}
	fresh := escalated(t, "c-race-via")
	if err := fresh.AcknowledgeVia("e1", "sam", "pigeon", m); !errors.Is(err, events.ErrInvalidCommand) {
		t.Fatalf("unknown channel: %v", err)
	}
}

// TestStepRefused: a step is refused once everyone paged at it declined or
// could not be reached; one of two is not enough.
func TestStepRefused(t *testing.T) {
	t.Parallel()
	two := events.EscalationPaged{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "kim", Round: 1, ProviderMessageID: "SMkim", Channel: events.PageBySMS, Last: true}
	undelivered := events.DeliveryStatusChanged{ProviderMessageID: "SMsam", Status: "undelivered", ErrorCode: 30003}
	tests := []struct {
		name string
		more []events.Payload
		want bool
	}{
		{"paged, nothing heard", nil, false},
		{"delivered", []events.Payload{events.DeliveryStatusChanged{ProviderMessageID: "SMsam", Status: "delivered"}}, false},
		{"undelivered, the only page", []events.Payload{undelivered}, true},
		{"failed, the only page", []events.Payload{events.DeliveryStatusChanged{ProviderMessageID: "SMsam", Status: "failed", ErrorCode: 30005}}, true},
		{"declined, the only page", []events.Payload{events.EscalationDeclined{EscalationID: "e1", StaffID: "sam", Round: 1, Level: 0, Via: events.AckSMS}}, true},
		{"one of two undelivered", []events.Payload{two, undelivered}, false},
		{"one undelivered, the other declined", []events.Payload{two, undelivered,
			events.EscalationDeclined{EscalationID: "e1", StaffID: "kim", Round: 1, Level: 0, Via: events.AckSMS}}, true},
		{"another message undelivered", []events.Payload{events.DeliveryStatusChanged{ProviderMessageID: "SMother", Status: "undelivered"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := escalated(t, "c-refused", tt.more...)
			if got := c.Escalations["e1"].StepRefused(1, 0); got != tt.want {
				t.Fatalf("StepRefused = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeclineRecordsTheStepOnce(t *testing.T) {
	t.Parallel()
	c := escalated(t, "c-decline")
	m := events.Meta{OccurredAt: t0.Add(time.Hour)}
	for range 2 {
		if err := c.Decline("e1", "sam", events.AckSMS, m); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.Pending()); n != 2 || c.Pending()[0].ID != c.Pending()[1].ID {
		t.Fatalf("declining twice at a step: %d events, ids must be one", n)
	}
	if !c.Escalations["e1"].StepRefused(1, 0) || !c.Escalations["e1"].Open() {
		t.Fatalf("after the decline: %+v", c.Escalations["e1"])
	}
}

// TestAcknowledgedV1ReadsAsConsole: a version 1 acknowledgement (before
// Via) decodes as the current type, made in the console.
func TestAcknowledgedV1ReadsAsConsole(t *testing.T) {
	t.Parallel()
	e, err := events.New("c-v1", events.EscalationAcknowledgedV1{EscalationID: "e1", StaffID: "sam"}, events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != 1 || e.Type != events.TypeEscalationAcknowledged {
		t.Fatalf("v1 envelope: %s v%d", e.Type, e.Version)
	}
	back, p := stored(t, e)
	if p != (events.EscalationAcknowledged{EscalationID: "e1", StaffID: "sam", Via: events.AckConsole}) {
		t.Fatalf("decoded %#v", p)
	}
	c := escalated(t, "c-v1")
	if err := c.Apply(back); err != nil || c.Escalations["e1"].AcknowledgedBy != "sam" {
		t.Fatalf("folding v1: %v %+v", err, c.Escalations["e1"])
	}
}
