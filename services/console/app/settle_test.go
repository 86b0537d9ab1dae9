package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/views"
)

// heldBack is the inbox's and the queue's runners, held back: they apply
// the log only when a command waits for them, so a page read right after
// a command that did not wait shows what was there before it.
type heldBack struct {
	runners []*projections.Runner
	waits   chan uint64
}

// Await tells the releasing goroutine a command waits, then waits on the
// runners themselves.
func (h *heldBack) Await(ctx context.Context, seq uint64) error {
	select {
	case h.waits <- seq:
	default:
	}
	for _, r := range h.runners {
		if err := r.Await(ctx, seq); err != nil {
			return err
		}
	}
	return nil
}

// settling returns the application over b with the inbox and the queue
// held back (heldBack): with release, each wait of a command applies the
// log to them; without, nothing does (a projection stuck far behind).
func (b *bed) settling(t *testing.T, release bool) app.Application {
	t.Helper()
	h := &heldBack{runners: b.runners[:2], waits: make(chan uint64, 16)} // the inbox's and the queue's
	if release {
		done := make(chan struct{})
		t.Cleanup(func() { close(done) })
		go func() {
			for {
				select {
				case <-done:
					return
				case <-h.waits:
					for _, r := range h.runners {
						if _, err := r.Replay(context.Background()); err != nil {
							t.Error(err)
						}
					}
				}
			}
		}()
	}
	convs, err := events.NewConversations(b.Store, 64)
	if err != nil {
		t.Fatal(err)
	}
	return app.New(app.Deps{Conversations: convs, Clients: events.NewClients(b.Store), Audit: b.Store, Keys: b.Keys, Inbox: b.inbox, Queue: b.queue,
		Projected: h, Staff: b.staff, File: b.File, Now: b.Clock.Now, Logger: zerolog.Nop()})
}

// TestCommandsReadTheirWrites: every command that changes a conversation
// or its client returns only once the inbox and the queue show the
// change, so the page it redirects to (read here right after, with the
// projections applying the log only when a command waits) never shows it
// undone. Before, only a close waited, and on the inbox alone: a reply
// missing from the conversation page, an escalation taken still waiting.
func TestCommandsReadTheirWrites(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	a := b.settling(t, true)
	ctx := context.Background()
	conversation := func(n int) string {
		conv := b.conversation(t, fmt.Sprintf("+4477009007%02d", n), "I am not doing well tonight")
		b.assign(t, conv, "wes", "day")
		return conv
	}
	assignee := func(want string) func(conv string) error {
		return func(conv string) error {
			c, err := b.inbox.Get(ctx, conv)
			if err != nil || c.AssigneeID != want {
				return fmt.Errorf("inbox assignee %q (%v), want %q", c.AssigneeID, err, want)
			}
			return nil
		}
	}
	for i, c := range []struct {
		name  string
		do    func(conv string) error
		shows func(conv string) error
	}{
		{"reply", func(conv string) error {
			_, err := a.Commands.Reply.Handle(ctx, app.Reply{Actor: wes, ConversationID: conv, ReplyID: "r1", Body: "we are here with you"})
			return err
		}, func(conv string) error {
			v, err := a.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: wes, ConversationID: conv, Via: "page"})
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(v.Messages, func(m views.Message) bool { return m.Text == "we are here with you" }) {
				return fmt.Errorf("the reply is not on the conversation page: %+v", v.Messages)
			}
			return nil
		}},
		{"acknowledge", func(conv string) error {
			b.escalate(t, conv, "ack-"+conv)
			_, err := a.Commands.Acknowledge.Handle(ctx, app.Acknowledge{Actor: dana, EscalationID: "ack-" + conv})
			return err
		}, func(conv string) error {
			l, err := a.Queries.Queue.Handle(ctx, app.Queue{})
			if err != nil {
				return err
			}
			if slices.ContainsFunc(l.Escalations, func(e views.Escalation) bool { return e.ID == "ack-"+conv && e.Open }) {
				return fmt.Errorf("the queue still lists the escalation as waiting")
			}
			return nil
		}},
		{"close", func(conv string) error {
			cmd := wrapUp
			cmd.Actor, cmd.ConversationID, cmd.SeenSeq = wes, conv, b.seen(t, wes, conv)
			return a.Commands.Close.Handle(ctx, cmd)
		}, func(conv string) error {
			if slices.Contains(inboxIDs(t, b, wes, "open"), conv) {
				return fmt.Errorf("the closed conversation is still in the open inbox")
			}
			return nil
		}},
		{"hand over", func(conv string) error {
			_, err := a.Commands.HandOver.Handle(ctx, app.HandOver{Actor: wes, ConversationID: conv, HandOverID: "h1", AssigneeID: "nia", Note: "she likes to be called Sam"})
			return err
		}, assignee("nia")},
		{"assign", func(conv string) error {
			return a.Commands.Assign.Handle(ctx, app.Assign{Actor: dana, ConversationID: conv, AssigneeID: "nia"})
		}, assignee("nia")},
		{"escalate by hand", func(conv string) error {
			return a.Commands.EscalateByHand.Handle(ctx, app.EscalateByHand{Actor: wes, ConversationID: conv, RequestID: "x1", Reason: events.ManualReasons[0]})
		}, func(conv string) error {
			l, err := a.Queries.Queue.Handle(ctx, app.Queue{})
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(l.Escalations, func(e views.Escalation) bool { return e.ConversationID == conv }) {
				return fmt.Errorf("the escalation is not in the queue")
			}
			return nil
		}},
		{"flag", func(conv string) error {
			return a.Commands.FlagClient.Handle(ctx, app.FlagClient{Actor: wes, ConversationID: conv, FlagID: "f1", Kind: events.FlagFrequent,
				Reason: "calls many times a night", Until: "2026-12-08"})
		}, func(conv string) error {
			c, err := b.inbox.Get(ctx, conv)
			if err != nil || len(c.CurrentFlags(b.Clock.Now())) == 0 {
				return fmt.Errorf("the inbox shows no flag (%v)", err)
			}
			return nil
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv := conversation(i)
			if err := c.do(conv); err != nil {
				t.Fatal(err)
			}
			if err := c.shows(conv); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCommandOutlastsAStuckProjection: a projection that never catches up
// delays a command by the bound (2 s), never fails it.
func TestCommandOutlastsAStuckProjection(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	a := b.settling(t, false)
	conv := b.conversation(t, "+447700900799", "are you there")
	b.assign(t, conv, "wes", "day")
	start := time.Now()
	if _, err := a.Commands.Reply.Handle(context.Background(), app.Reply{Actor: wes, ConversationID: conv, ReplyID: "r1", Body: "yes, I am here"}); err != nil {
		t.Fatalf("a reply with the pages' projections stuck: %v", err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("returned after %s: it did not wait for the projections", took)
	}
}
