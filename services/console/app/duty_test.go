package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/ingestion"
)

// TestTwoDutyWorkersAcknowledgeAtOnce: one wins and takes the
// conversation over; the other is told who, by name. The client keeps
// texting meanwhile, so the conversation also changes under both.
func TestTwoDutyWorkersAcknowledgeAtOnce(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	for i := range 12 {
		from := fmt.Sprintf("+4477009007%02d", i)
		conv := b.conversation(t, from, "help me")
		esc := fmt.Sprintf("esc%02d", i)
		b.escalate(t, conv, esc)
		var wg sync.WaitGroup
		var texted error
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				_, err := b.Receiver.ReceiveSMS(ctx, ingestion.InboundSMS{MessageSid: testbed.SID(), From: from, To: lineNumber, Body: "are you there"})
				texted = errors.Join(texted, err)
			}
		}()
		results := map[string]error{}
		var mu sync.Mutex
		for _, a := range []app.Actor{dana, bo} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := b.app.Commands.Acknowledge.Handle(ctx, app.Acknowledge{Actor: a, EscalationID: esc})
				if err == nil && got != conv {
					err = errors.New("acknowledged the wrong conversation " + got)
				}
				mu.Lock()
				results[a.ID] = err
				mu.Unlock()
			}()
		}
		wg.Wait()
		if texted != nil {
			t.Fatal(texted)
		}
		won, lost := dana, bo
		if results["bo"] == nil {
			won, lost = bo, dana
		}
		var already *app.AlreadyAcknowledgedError
		if results[won.ID] != nil || !errors.As(results[lost.ID], &already) || !errors.Is(results[lost.ID], events.ErrAlreadyAcknowledged) {
			t.Fatalf("round %d: %v, want one winner and one AlreadyAcknowledgedError", i, results)
		}
		if already.Name != won.Name || !strings.Contains(already.Error(), "Already acknowledged by "+won.Name) {
			t.Fatalf("round %d: the loser was told %q, want %s", i, already.Error(), won.Name)
		}
		b.catchUp(t)
		c, err := b.inbox.Get(ctx, conv)
		if err != nil || c.AssigneeID != won.ID {
			t.Fatalf("round %d: conversation with %q (%v), want the winner %s", i, c.AssigneeID, err, won.ID)
		}
	}
}

// TestAcknowledgeKeepsAnAssignee: acknowledging an escalation in a
// conversation someone already has does not take it from them.
func TestAcknowledgeKeepsAnAssignee(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900704", "help me")
	ctx := context.Background()
	b.assign(t, conv, "wes", "day")
	b.escalate(t, conv, "esc1")
	if _, err := b.app.Commands.Acknowledge.Handle(ctx, app.Acknowledge{Actor: dana, EscalationID: "esc1"}); err != nil {
		t.Fatal(err)
	}
	b.catchUp(t)
	if c, err := b.inbox.Get(ctx, conv); err != nil || c.AssigneeID != "wes" {
		t.Fatalf("assignee %q, %v: want wes kept", c.AssigneeID, err)
	}
	e, err := b.app.Queries.Escalation.Handle(ctx, app.Escalation{Actor: dana, EscalationID: "esc1"})
	if err != nil || e.Open || e.AcknowledgedByName != "Dana Duty" {
		t.Fatalf("escalation after the acknowledgement: %+v, %v", e, err)
	}
	for _, id := range []string{"nope", "../x"} {
		if _, err := b.app.Commands.Acknowledge.Handle(ctx, app.Acknowledge{Actor: dana, EscalationID: id}); err == nil {
			t.Fatalf("acknowledged unknown escalation %q", id)
		}
	}
}

// TestAssignRules: the assignee needs an account and the team a valid id.
func TestAssignRules(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900705", "hello")
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cmd  app.Assign
		want error
	}{
		{"no account", app.Assign{Actor: dana, ConversationID: conv, AssigneeID: "nobody"}, app.ErrBadRequest},
		{"bad team", app.Assign{Actor: dana, ConversationID: conv, AssigneeID: "wes", TeamID: "no team!"}, app.ErrBadRequest},
		{"unknown conversation", app.Assign{Actor: dana, ConversationID: "k7q2kx3mz5d4a6ffh2rtw9pq1e", AssigneeID: "wes"}, app.ErrNotFound},
		{"bad conversation id", app.Assign{Actor: dana, ConversationID: "../x", AssigneeID: "wes"}, app.ErrNotFound},
	} {
		if err := b.app.Commands.Assign.Handle(ctx, c.cmd); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestWhoeverWasPagedMayTakeIt: a manager paged at a later level opens
// the escalation and acknowledges it, as a duty worker would, without
// its content (no pseudonym, no terms, no conversation, no audit
// record) and without being given the conversation; before the page, or
// never paged, they may not. The page counts as soon as the conversation
// records it, before the queue shows it.
func TestWhoeverWasPagedMayTakeIt(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900706", "help me")
	ctx := context.Background()
	b.escalate(t, conv, "esc1")
	mine := app.Escalation{Actor: mia, EscalationID: "esc1"}
	if _, err := b.app.Queries.Escalation.Handle(ctx, mine); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a manager not paged opened the escalation: %v", err)
	}
	if _, err := b.app.Commands.Acknowledge.Handle(ctx, app.Acknowledge{Actor: mia, EscalationID: "esc1"}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("a manager not paged acknowledged: %v", err)
	}
	b.record(t, conv, func(c *events.Conversation) error {
		return c.RecordPage("esc1", 1, 2, "manager", "mia", "SM0001", events.Meta{OccurredAt: b.Clock.Now()})
	})
	e, err := b.app.Queries.Escalation.Handle(ctx, mine)
	if err != nil || e.Reason != events.ReasonCrisis || e.Pseudonym != "" || len(e.Terms) != 0 {
		t.Fatalf("the paged manager's escalation: %+v, %v; want the reason without pseudonym or terms", e, err)
	}
	if _, err := b.app.Queries.Escalation.Handle(ctx, app.Escalation{Actor: ada, EscalationID: "esc1"}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("an admin not paged opened the escalation: %v", err)
	}
	if _, err := b.app.Commands.Acknowledge.Handle(ctx, app.Acknowledge{Actor: mia, EscalationID: "esc1"}); err != nil {
		t.Fatalf("the paged manager acknowledges: %v", err)
	}
	// At once, before the queue shows it: the page after the button says so.
	if e, err := b.app.Queries.Escalation.Handle(ctx, mine); err != nil || e.Open || e.AcknowledgedByName != "Mia Manager" {
		t.Fatalf("after the manager's acknowledgement: %+v, %v", e, err)
	}
	b.catchUp(t)
	if c, err := b.inbox.Get(ctx, conv); err != nil || c.AssigneeID != "" {
		t.Fatalf("the conversation went to %q (%v): a manager cannot read it", c.AssigneeID, err)
	}
	if _, err := b.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: mia, ConversationID: conv, Via: "page"}); !errors.Is(err, app.ErrForbidden) {
		t.Fatalf("the manager read the conversation: %v", err)
	}
	if got := b.audits(t); len(got) != 0 {
		t.Fatalf("audit %+v, want no reading", got)
	}
}
