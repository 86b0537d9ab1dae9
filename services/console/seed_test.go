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
	return waitFor(t, func(ctx context.Context) ([]inbox.Conversation, error) {
		return w.inbox.List(ctx, inbox.Query{Limit: 100})
	}, fn)
}

// waitEscalation polls the queue until conversation conv (any, when
// empty) has an open escalation.
func (w *world) waitEscalation(t testing.TB, conv string) escalations.Escalation {
	t.Helper()
	return w.escalationWhere(t, func(e escalations.Escalation) bool { return conv == "" || e.ConversationID == conv })
}

// escalationWhere polls the queue until an open escalation satisfies fn.
func (w *world) escalationWhere(t testing.TB, fn func(escalations.Escalation) bool) escalations.Escalation {
	t.Helper()
	return waitFor(t, func(ctx context.Context) ([]escalations.Escalation, error) {
		return w.queue.Open(ctx, []string{"main"}, 100, escalations.Cursor{})
	}, fn)
}

// waitFor polls a projection's list until one of its rows satisfies fn,
// and returns it.
func waitFor[T any](t testing.TB, list func(context.Context) ([]T, error), fn func(T) bool) T {
	t.Helper()
	var found T
	poll.Until(t, 20*time.Second, func() error {
		rows, err := list(context.Background())
		if err != nil {
			return err
		}
		for _, r := range rows {
			if fn(r) {
				found = r
				return nil
			}
		}
		return fmt.Errorf("no such %T yet among %d", found, len(rows))
	})
	return found
}

// started brings a client's text in and returns their conversation once
// the inbox shows it.
func (w *world) started(t testing.TB, client, words string) inbox.Conversation {
	t.Helper()
	w.text(t, client, words)
	id := w.Pseudo.ClientID("main", client)
	return w.waitConversation(t, func(c inbox.Conversation) bool { return c.ClientID == id })
}

// crisis brings a client's crisis text in and returns the escalation
// triage raises in their conversation once the queue shows it.
func (w *world) crisis(t testing.TB, client, words string) escalations.Escalation {
	t.Helper()
	w.text(t, client, words)
	id := w.Pseudo.ClientID("main", client)
	return w.escalationWhere(t, func(e escalations.Escalation) bool { return e.ClientID == id })
}

func seed(t testing.TB) *seeded {
	t.Helper()
	w := newWorld(t, worldOpts{})
	s := &seeded{world: w}
	e := w.crisis(t, clientA, wordsA)
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
	b := w.started(t, clientB, wordsB)
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
