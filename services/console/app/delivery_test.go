package app_test

import (
	"context"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
)

// TestQueueShowsEachPagesDelivery: the duty queue shows how far each page
// got, as the provider reported it: the page SMS failed (with Twilio's
// code), the call that followed was answered.
func TestQueueShowsEachPagesDelivery(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900707", "help me")
	ctx := context.Background()
	b.escalate(t, conv, "esc1")
	m := events.Meta{OccurredAt: b.Clock.Now()}
	b.record(t, conv, func(c *events.Conversation) error {
		return c.RecordPage("esc1", 1, 0, "duty", "dana", "SM0002", m)
	})
	b.record(t, conv, func(c *events.Conversation) error { return c.RecordDeliveryStatus("SM0002", "sent", 0, m) })
	b.record(t, conv, func(c *events.Conversation) error { return c.RecordDeliveryStatus("SM0002", "undelivered", 30003, m) })
	b.record(t, conv, func(c *events.Conversation) error {
		return c.RecordRulePage(events.RulePage{EscalationID: "esc1", Round: 1, LevelName: "duty", StaffID: "bo", Channel: events.PageByCall,
			ProviderID: "CA0002", Last: true}, m)
	})
	b.record(t, conv, func(c *events.Conversation) error { return c.RecordCallStatus("CA0002", "ringing", 0, m) })
	b.catchUp(t)
	e, err := b.app.Queries.Escalation.Handle(ctx, app.Escalation{Actor: dana, EscalationID: "esc1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Pages) != 2 {
		t.Fatalf("pages %+v", e.Pages)
	}
	if p := e.Pages[0]; p.Channel != "sms" || p.Delivery != "failed" || p.ErrorCode != 30003 {
		t.Errorf("the page SMS shows %+v, want sms failed 30003", p)
	}
	if p := e.Pages[1]; p.Channel != "call" || p.Delivery != "sent" {
		t.Errorf("the call shows %+v, want call sent (ringing)", p)
	}
	b.record(t, conv, func(c *events.Conversation) error { return c.RecordCallStatus("CA0002", "in-progress", 0, m) })
	b.catchUp(t)
	list, err := b.app.Queries.Queue.Handle(ctx, app.Queue{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Escalations) != 1 || len(list.Escalations[0].Pages) != 2 || list.Escalations[0].Pages[1].Delivery != "answered" {
		t.Fatalf("queue %+v, want the call answered", list.Escalations)
	}
}
