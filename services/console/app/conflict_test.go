package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
)

// busy is the conversation repository of a conversation other services
// keep writing to: after each of the first writes decisions' loads, and
// before their appends, another writer appends an event to it (a
// delivery status, a send, a page), as notification and ingestion do
// while a reply goes out and a page is delivered.
type busy struct {
	app.Conversations
	store  *events.Store
	writes int
	calls  int
}

func (b *busy) Update(ctx context.Context, id string, decide func(*events.Conversation) error) (events.Saved[*events.Conversation], error) {
	return b.Conversations.Update(ctx, id, func(c *events.Conversation) error {
		b.calls++
		if b.calls <= b.writes {
			e, err := events.New(id, events.DeliveryStatusChanged{ProviderMessageID: "SMbusy", Status: "sent"}, events.Meta{OccurredAt: c.StartedAt})
			if err != nil {
				return err
			}
			if _, err := b.store.Append(ctx, events.ExpectAny, e); err != nil {
				return err
			}
		}
		return decide(c)
	})
}

// TestEscalateByHandOutlastsOtherWriters: TestRoleByRouteMatrix once got
// 409 for dana's manual escalation under load 40. Nothing else was open
// to refuse it: it was the conflict policy giving up (8 tries, about
// 160 ms of waiting) while the conversation's earlier reply was still
// being sent and its statuses and pages recorded by the other services,
// each append moving the conversation under the decision, which those
// events do not change. A decision now keeps trying while others write
// (events.conflictPatience), so a person's escalation is recorded.
func TestEscalateByHandOutlastsOtherWriters(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900931", "I do not feel safe at home")
	ctx := context.Background()
	convs, err := events.NewConversations(b.Store, 8)
	if err != nil {
		t.Fatal(err)
	}
	r := &busy{Conversations: convs, store: b.Store, writes: 12}
	a := app.New(app.Deps{Conversations: r, Audit: b.Store, Keys: b.Keys, Inbox: b.inbox, Queue: b.queue, Staff: b.staff, File: b.File,
		Now: b.Clock.Now, Logger: zerolog.Nop()})
	if err := a.Commands.EscalateByHand.Handle(ctx, app.EscalateByHand{Actor: dana, ConversationID: conv, RequestID: "busy1", Reason: events.ManualReasons[0]}); err != nil {
		t.Fatalf("escalating by hand while %d other writes land: %v", r.writes, err)
	}
	if r.calls != r.writes+1 {
		t.Fatalf("decided %d times, want %d (once per other write, and once more)", r.calls, r.writes+1)
	}
	h := b.history(t, conv)
	if h[len(h)-1] != events.TypeEscalationRaised {
		t.Fatalf("history %v: want the manual escalation last", h)
	}
}

// TestEscalateByHandRequestID: the request id of a manual escalation is
// checked as a reply's and a hand-over's are (requestID): one longer than
// 40 characters is refused and records nothing; none (an API caller that
// gives no id) is given a new one, and the escalation is raised.
func TestEscalateByHandRequestID(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900941", "I do not feel safe at home")
	ctx := context.Background()
	escalate := func(id string) error {
		return b.app.Commands.EscalateByHand.Handle(ctx, app.EscalateByHand{Actor: dana, ConversationID: conv, RequestID: id, Reason: events.ManualReasons[0]})
	}
	if err := escalate(strings.Repeat("r", 41)); !errors.Is(err, app.ErrBadRequest) {
		t.Fatalf("a 41-character request id: %v, want a bad request", err)
	}
	if slices.Contains(b.history(t, conv), events.TypeEscalationRaised) {
		t.Fatal("a refused request raised an escalation")
	}
	if err := escalate(""); err != nil {
		t.Fatalf("no request id: %v, want one made for it", err)
	}
	if !slices.Contains(b.history(t, conv), events.TypeEscalationRaised) {
		t.Fatal("no escalation raised")
	}
}
