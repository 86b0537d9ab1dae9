package events_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// testTaxonomy accepts the outcome "supported" and categories of the
// groups reason and risk; it stands for config.Taxonomy.
type testTaxonomy struct{}

func (testTaxonomy) CheckWrapUp(outcome string, categories []string) error {
	if outcome != "supported" {
		return fmt.Errorf("outcome %q is not in the taxonomy", outcome)
	}
	for _, c := range categories {
		if !slices.Contains([]string{"reason:mental_health", "risk:low", "risk:high"}, c) {
			return fmt.Errorf("category %q is not in the taxonomy", c)
		}
	}
	return nil
}

// openConversation is a started conversation with one client message at
// sequence 2.
func openConversation(t *testing.T, id string) *events.Conversation {
	t.Helper()
	return fold(t, id,
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: events.Sealed{KeyID: "k1", Data: []byte{1}}, ReceivedAt: t0},
	)
}

func TestCloseRecordsTheWrapUp(t *testing.T) {
	t.Parallel()
	c := openConversation(t, "c-close")
	at := t0.Add(time.Hour)
	if err := c.Close("alex", events.WrapUp{Outcome: "supported", Categories: []string{"risk:low", "reason:mental_health", "risk:low"}, SeenSeq: 2},
		testTaxonomy{}, events.Meta{OccurredAt: at}); err != nil {
		t.Fatal(err)
	}
	if !c.Closed || !c.ClosedAt.Equal(at) || len(c.Pending()) != 1 {
		t.Fatalf("closed %v at %s, %d pending", c.Closed, c.ClosedAt, len(c.Pending()))
	}
	p, err := c.Pending()[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	want := events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"reason:mental_health", "risk:low"}}
	if got := p.(events.ConversationClosed); got.ByStaffID != want.ByStaffID || got.Outcome != want.Outcome || !slices.Equal(got.Categories, want.Categories) {
		t.Fatalf("closed: %+v, want %+v", got, want)
	}
	if c.Pending()[0].Version != 2 {
		t.Errorf("closed recorded as version %d, want 2", c.Pending()[0].Version)
	}
}

func TestCloseRefusals(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	tests := []struct {
		name string
		w    events.WrapUp
		tax  events.Taxonomy
		want error
	}{
		{"a message the worker did not see", events.WrapUp{Outcome: "supported", SeenSeq: 1}, testTaxonomy{}, events.ErrNewMessage},
		{"no sequence at all", events.WrapUp{Outcome: "supported"}, testTaxonomy{}, events.ErrNewMessage},
		{"unknown outcome", events.WrapUp{Outcome: "vanished", SeenSeq: 2}, testTaxonomy{}, events.ErrInvalidCommand},
		{"unknown category", events.WrapUp{Outcome: "supported", Categories: []string{"risk:maybe"}, SeenSeq: 2}, testTaxonomy{}, events.ErrInvalidCommand},
		{"no taxonomy", events.WrapUp{Outcome: "supported", SeenSeq: 2}, nil, events.ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openConversation(t, "c-refuse")
			err := c.Close("alex", tt.w, tt.tax, m)
			if !errors.Is(err, tt.want) {
				t.Fatalf("close: %v, want %v", err, tt.want)
			}
			if c.Closed || len(c.Pending()) != 0 {
				t.Fatal("a refused close changed the conversation")
			}
		})
	}
}

func TestMessageAfterCloseReopensWithinTheWindow(t *testing.T) {
	t.Parallel()
	body := events.Sealed{KeyID: "k1", Data: []byte{2}}
	closedAt := t0.Add(time.Hour)
	closed := func(t *testing.T) *events.Conversation {
		c := openConversation(t, "c-reopen")
		if err := c.Close("alex", events.WrapUp{Outcome: "supported", SeenSeq: 2}, testTaxonomy{}, events.Meta{OccurredAt: closedAt}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := closed(t)
	if err := c.Receive("m2", "SM2", body, 24*time.Hour, events.Meta{OccurredAt: closedAt.Add(23 * time.Hour)}); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	var types []string
	for _, e := range c.Pending() {
		types = append(types, e.Type)
	}
	if want := []string{events.TypeConversationClosed, events.TypeConversationReopened, events.TypeMessageReceived}; !slices.Equal(types, want) || c.Closed {
		t.Fatalf("recorded %v (closed %v), want %v", types, c.Closed, want)
	}
	c = closed(t)
	if err := c.Receive("m2", "SM2", body, 24*time.Hour, events.Meta{OccurredAt: closedAt.Add(25 * time.Hour)}); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("after the window: %v, want ErrClosed", err)
	}
	if err := c.Receive("m2", "SM2", body, 0, events.Meta{OccurredAt: closedAt.Add(time.Minute)}); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("without a window: %v, want ErrClosed", err)
	}
	if len(c.Pending()) != 1 || !c.Closed {
		t.Fatal("a refused message changed the conversation")
	}
}

func TestHandOver(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0}
	note := events.Sealed{KeyID: "k1", Data: []byte{9}}
	c := openConversation(t, "c-hand")
	if err := c.Assign("alex", "day", "alex", m); err != nil {
		t.Fatal(err)
	}
	refusals := map[string]error{
		"empty note":       c.HandOver("h0", "alex", "sam", "", events.Sealed{KeyID: "k1"}, m),
		"another's key":    c.HandOver("h0", "alex", "sam", "", events.Sealed{KeyID: "k2", Data: []byte{1}}, m),
		"nobody":           c.HandOver("h0", "alex", "", "", note, m),
		"theirs already":   c.HandOver("h0", "alex", "alex", "day", note, m),
		"a bad assignee":   c.HandOver("h0", "alex", "sam bad", "", note, m),
		"a bad request id": c.HandOver("", "alex", "sam", "", note, m),
	}
	for name, err := range refusals {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(c.Pending()) != 1 {
		t.Fatalf("refused hand-overs recorded events: %d pending", len(c.Pending()))
	}
	if err := c.HandOver("h1", "alex", "sam", "", note, m); err != nil {
		t.Fatal(err)
	}
	if err := c.HandOver("h1", "alex", "sam", "", note, m); err != nil || len(c.Pending()) != 2 {
		t.Fatalf("a repeated hand-over: %v, %d pending", err, len(c.Pending()))
	}
	if c.AssigneeID != "sam" || c.TeamID != "day" {
		t.Fatalf("after hand-over to sam: %s/%s", c.AssigneeID, c.TeamID)
	}
	e := c.Pending()[1]
	p, _ := e.Decode()
	if h := p.(events.ConversationHandedOver); e.ID != events.HandOverEventID("h1") || h.FromStaffID != "alex" || h.AssigneeID != "sam" {
		t.Fatalf("hand-over event %s: %+v", e.ID, h)
	}
	if err := c.HandOver("h2", "sam", "", "night", note, m); err != nil || c.AssigneeID != "" || c.TeamID != "night" {
		t.Fatalf("hand-over to a team: %v, %s/%s", err, c.AssigneeID, c.TeamID)
	}
}

// TestClosedV1StillReads: a close recorded before the wrap-up reads as
// the current type, without an outcome.
func TestClosedV1StillReads(t *testing.T) {
	t.Parallel()
	d, ok := events.Lookup(events.TypeConversationClosed, 1)
	if !ok {
		t.Fatal("conversation.closed v1 is not in the catalogue")
	}
	env, err := events.New("c-v1", d.Example(), events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	_, p := stored(t, env)
	got, ok := p.(events.ConversationClosed)
	if !ok || got.ByStaffID != "alex" || got.Outcome != "" || got.Categories == nil {
		t.Fatalf("v1 close reads as %#v", p)
	}
}
