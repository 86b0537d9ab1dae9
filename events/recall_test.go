package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/helpline-org/helpline/events"
)

// longConversation returns the events of a started conversation with n
// messages received, each triaged (none, no match), ids m-0000 on.
func longConversation(t *testing.T, convID string, n int) []events.Envelope {
	t.Helper()
	out := []events.Envelope{started(t, convID)}
	for i := range n {
		id := fmt.Sprintf("m-%04d", i)
		v, err := events.NewWithID("triaged-"+id, convID, events.MessageTriaged{MessageID: id, Risk: events.RiskNone, Matches: []events.TriageMatch{},
			Terms: events.NoWords(), LexiconVersion: "en-1", Rule: "none"}, events.Meta{OccurredAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, received(t, convID, id), v)
	}
	return out
}

func foldEnvelopes(t *testing.T, convID string, envs []events.Envelope) *events.Conversation {
	t.Helper()
	c := events.NewConversation(convID)
	for i, e := range envs {
		e.Sequence = uint64(i + 1)
		if err := c.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestConversationKeepsItsLatestMessagesAndKnowsItForgotTheRest(t *testing.T) {
	t.Parallel()
	const n = 5 * events.KeptMessages
	c := foldEnvelopes(t, "c-long", longConversation(t, "c-long", n))
	if len(c.Messages) < events.KeptMessages || len(c.Messages) > 2*events.KeptMessages || c.MessagesSeen != n || c.Received != n || !c.Forgets() {
		t.Fatalf("%d ids kept of %d seen (%d received), forgets %t: want %d to %d kept", len(c.Messages), c.MessagesSeen, c.Received, c.Forgets(),
			events.KeptMessages, 2*events.KeptMessages)
	}
	last := fmt.Sprintf("m-%04d", n-1)
	if seen, err := c.Seen(last); !seen || err != nil || !c.Triaged(last) {
		t.Fatalf("the latest message: seen %t (%v), triaged %t", seen, err, c.Triaged(last))
	}
	if _, ok := c.Verdict("m-0000"); ok {
		t.Fatal("the first message's verdict is still held")
	}
	meta := events.Meta{OccurredAt: t0}
	for name, err := range map[string]error{
		"receive":  c.Receive("m-0000", "SM0", events.Sealed{KeyID: "c1", Data: []byte{1}}, 0, meta),
		"triage":   c.Triage("m-0000", events.Verdict{Risk: events.RiskCrisis, Categories: []string{}, Terms: events.NoWords()}, events.Arrival{}, meta),
		"feedback": c.RecordTriageFeedback("m-0000", "alex", events.FeedbackMissed, meta),
		"manual":   c.EscalateByHand("req-1", "alex", events.ManualReasons[0], "m-0000", meta),
	} {
		if !errors.Is(err, events.ErrForgotten) {
			t.Errorf("%s on a forgotten message: %v, want ErrForgotten", name, err)
		}
	}
	if len(c.Pending()) != 0 {
		t.Fatalf("recorded %d events about a forgotten message", len(c.Pending()))
	}
	// A message never seen is recorded at once, without the history.
	if err := c.Receive("m-new", "SMnew", events.Sealed{KeyID: "c1", Data: []byte{1}}, 0, meta); err != nil || len(c.Pending()) != 1 {
		t.Fatalf("a new message: %v, %d recorded", err, len(c.Pending()))
	}
}

// appendCounter is the log with every appended event's id counted.
type appendCounter struct {
	*events.Store
	mu       sync.Mutex
	appended map[string]int
}

func (l *appendCounter) Append(ctx context.Context, expect events.Expect, envs ...events.Envelope) ([]events.Appended, error) {
	l.mu.Lock()
	for _, e := range envs {
		l.appended[e.ID]++
	}
	l.mu.Unlock()
	return l.Store.Append(ctx, expect, envs...)
}

func (l *appendCounter) count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.appended[id]
}

// A message sent again long after, once the folded conversation forgot
// its id, is found in the whole history: nothing is appended (not even
// an append the log's dedupe window would have answered as a duplicate),
// and a redelivered message is not triaged again.
func TestRepositoryFindsAForgottenMessageInTheHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStoreOnFreshServer(t)
	const convID, n = "c-forgot", 3 * events.KeptMessages
	if _, err := s.Append(ctx, events.ExpectNew, longConversation(t, convID, n)...); err != nil {
		t.Fatal(err)
	}
	log := &appendCounter{Store: s, appended: map[string]int{}}
	convs, err := events.NewConversations(log, 16)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := convs.Load(ctx, convID); err != nil || !c.Forgets() || c.MessagesSeen != n {
		t.Fatalf("loaded %+v (%v): want a conversation that forgot its oldest ids", c, err)
	}
	meta := events.Meta{OccurredAt: t0}
	saved, err := convs.Update(ctx, convID, func(c *events.Conversation) error {
		return c.Receive("m-0000", "SM0", events.Sealed{KeyID: "c1", Data: []byte{1}}, 0, meta)
	})
	if err != nil || len(saved.Appended) != 0 || log.count("m-0000") != 0 {
		t.Fatalf("the first message again: %v, %d appended, %d appends of it: want none", err, len(saved.Appended), log.count("m-0000"))
	}
	saved, err = convs.Update(ctx, convID, func(c *events.Conversation) error {
		if c.Triaged("m-0001") {
			return nil
		}
		return c.Triage("m-0001", events.Verdict{Risk: events.RiskCrisis, Categories: []string{}, Terms: events.NoWords()}, events.Arrival{}, meta)
	})
	if err != nil || len(saved.Appended) != 0 {
		t.Fatalf("an old message redelivered to triage: %v, %d appended: want none", err, len(saved.Appended))
	}
	saved, err = convs.Update(ctx, convID, func(c *events.Conversation) error {
		return c.RecordTriageFeedback("m-0002", "alex", events.FeedbackMissed, meta)
	})
	if err != nil || len(saved.Appended) != 1 {
		t.Fatalf("feedback on an old verdict: %v, %d appended: want its mark", err, len(saved.Appended))
	}
	saved, err = convs.Update(ctx, convID, func(c *events.Conversation) error {
		return c.Receive("m-late", "SMlate", events.Sealed{KeyID: "c1", Data: []byte{1}}, 0, meta)
	})
	if err != nil || len(saved.Appended) != 1 || saved.Duplicate() {
		t.Fatalf("a new message: %v, %+v", err, saved.Appended)
	}
	history, _, err := s.Load(ctx, events.AggregateConversation, convID)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, e := range history {
		ids[e.ID]++
	}
	if ids["m-0000"] != 1 || ids["m-late"] != 1 || len(history) != 1+2*n+2 {
		t.Fatalf("the log holds m-0000 %d times, m-late %d times, %d events: want once, once, %d", ids["m-0000"], ids["m-late"], len(history), 1+2*n+2)
	}
}
