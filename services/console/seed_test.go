package console_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
)

const (
	clientA = "+447700900555"
	clientB = "+447700900666"
	wordsA  = "I have taken all my sleeping pills"
	wordsB  = "hello, is anyone there tonight?"
)

// seeded is a world with two conversations: A, a crisis escalated,
// acknowledged by dana and given to wes (team day); B, given to nia (team
// night).
type seeded struct {
	*world
	convA, convB, escA, pseudoA, pseudoB string
	// msgA is A's first message (triaged crisis).
	msgA string
}

// waitConversation polls the inbox projection until a conversation
// satisfies fn.
func (w *world) waitConversation(t testing.TB, fn func(inbox.Conversation) bool) inbox.Conversation {
	t.Helper()
	var found inbox.Conversation
	poll.Until(t, 20*time.Second, func() error {
		cs, err := w.inbox.List(context.Background(), inbox.Query{Limit: 100})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if fn(c) {
				found = c
				return nil
			}
		}
		return fmt.Errorf("no such conversation yet among %d", len(cs))
	})
	return found
}

// waitEscalation polls the queue until conversation conv has an open
// escalation.
func (w *world) waitEscalation(t testing.TB, conv string) escalations.Escalation {
	t.Helper()
	var found escalations.Escalation
	poll.Until(t, 20*time.Second, func() error {
		open, err := w.queue.Open(context.Background(), []string{"main"}, 100, escalations.Cursor{})
		if err != nil {
			return err
		}
		for _, e := range open {
			if conv == "" || e.ConversationID == conv {
				found = e
				return nil
			}
		}
		return fmt.Errorf("no open escalation yet")
	})
	return found
}

func seed(t testing.TB) *seeded {
	t.Helper()
	w := newWorld(t, worldOpts{})
	s := &seeded{world: w}
	w.text(t, clientA, wordsA)
	e := w.waitEscalation(t, "")
	s.convA, s.escA, s.pseudoA = e.ConversationID, e.ID, e.Pseudonym
	// The inbox is its own projection: the queue having the escalation
	// says nothing of whether the inbox has A's message yet.
	poll.Until(t, 20*time.Second, func() error {
		ms, err := w.inbox.Messages(context.Background(), s.convA)
		if err != nil || len(ms) == 0 {
			return fmt.Errorf("A's messages: %d (%v)", len(ms), err)
		}
		s.msgA = ms[0].ID
		return nil
	})
	w.text(t, clientB, wordsB)
	b := w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID != s.convA })
	s.convB, s.pseudoB = b.ID, b.Pseudonym

	dana := w.signIn(t, "dana")
	if code, body := dana.do("POST", "/api/escalations/"+s.escA+"/ack", nil); code != http.StatusOK {
		t.Fatalf("seed ack: %d %s", code, body)
	}
	for conv, to := range map[string][2]string{s.convA: {"wes", "day"}, s.convB: {"nia", "night"}} {
		if code, body := dana.do("POST", "/api/conversations/"+conv+"/assign", map[string]string{"assignee_id": to[0], "team_id": to[1]}); code != http.StatusNoContent {
			t.Fatalf("seed assign: %d %s", code, body)
		}
	}
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == s.convA && c.AssigneeID == "wes" })
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == s.convB && c.AssigneeID == "nia" })
	return s
}
