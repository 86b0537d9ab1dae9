package inbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestStores runs the one store suite against every implementation.
func TestStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fixture.Stores(t, projectiontest.Cases[Store]{
		"the same facts again under new sequences change nothing": func(t *testing.T, s Store) {
			// A fact recorded twice (a retried append beyond the dedupe
			// window) is two events: the second must not count twice.
			v := NewView(s)
			envs := scenario(t)
			fixture.ApplyAll(t, v, envs)
			var again []events.Envelope
			for i, e := range envs {
				if e.Type == "conversation.message_received" || e.Type == "conversation.reply_requested" || e.Type == "conversation.started" {
					e.Sequence = uint64(len(envs) + 1 + i)
					again = append(again, e)
				}
			}
			for _, e := range again {
				if _, err := v.Apply(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			assertScenario(t, v, plain)
		},
		"reset empties rows and checkpoint": func(t *testing.T, s Store) {
			v := fixture.Reset(t, s)
			for id := range scenarioConversations() {
				if _, err := v.Get(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Fatalf("get %s after reset: %v", id, err)
				}
				if _, err := v.Messages(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Fatalf("messages of %s after reset: %v", id, err)
				}
			}
			if got := mustList(t, v, Query{IncludeClosed: true}); len(got) != 0 {
				t.Fatalf("list after reset: %v", ids(got))
			}
			// The working state went too: cB's STOP is forgotten.
			s2 := &projectiontest.Script{T: t, Prefix: "x"}
			s2.Add("conv7", at(11, 0, 0), events.ConversationStarted{LineID: "main", ClientID: "cB", Pseudonym: "C-BBBB", Channel: events.ChannelSMS})
			fixture.ApplyAll(t, v, s2.Envs)
			if c, err := v.Get(ctx, "conv7"); err != nil || c.Consent != "" || c.Flags != nil {
				t.Fatalf("after reset: %+v, %v", c, err)
			}
		},
		"an imported snapshot reads as the events it came from": func(t *testing.T, s Store) {
			// Whatever s held before is replaced, checkpoint included.
			old, _ := manyConversations(t, 3)
			fixture.ApplyAll(t, NewView(s), old)
			v, snap := projectiontest.ImportScenario[Snapshot](t, fixture, s, old[len(old)-1].Sequence)
			if len(snap.Conversations) != len(scenarioConversations()) || len(snap.Messages) == 0 || len(snap.Clients) == 0 || len(snap.Deliveries) == 0 {
				t.Fatalf("snapshot of the scenario: %+v", snap)
			}
			if _, err := v.Get(ctx, "c00"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a conversation from before the import: %v", err)
			}
			// A message applied on top goes after the imported ones.
			before, err := v.Messages(ctx, "conv1")
			projectiontest.Must(t, err)
			more := &projectiontest.Script{T: t, Prefix: "more"}
			more.Add("conv1", at(12, 0, 0), events.MessageReceived{MessageID: "m9", LineID: "main", ClientID: "cA", ReceivedAt: at(12, 0, 0)})
			more.Envs[0].Sequence = snap.Checkpoint + 1
			fixture.ApplyAll(t, v, more.Envs)
			after, err := v.Messages(ctx, "conv1")
			projectiontest.Must(t, err)
			if len(after) != len(before)+1 || !reflect.DeepEqual(after[:len(before)], before) || after[len(before)].ID != "m9" {
				t.Fatalf("messages after one on top of the import: %+v", after)
			}
		},
		"a rejected import changes nothing": func(t *testing.T, s Store) {
			v := fixture.Scenario(t, s)
			before, err := s.Export(ctx, Name)
			projectiontest.Must(t, err)
			twice := before
			twice.Conversations = append(slices.Clone(before.Conversations), before.Conversations[0])
			orphan := before
			orphan.Messages = map[string][]Message{"nowhere": {{ID: "m"}}}
			projectiontest.RejectedImports(t, s, Name, before, before.Checkpoint, []Snapshot{twice, orphan}, Snapshot{Checkpoint: before.Checkpoint - 1})
			assertScenario(t, v, plain)
		},
		"a failed update changes nothing": func(t *testing.T, s Store) {
			projectiontest.FailedUpdate(t, s, Name, func(tx Tx) {
				projectiontest.Must(t, tx.PutConversation(ctx, Conversation{ID: "c1", ClientID: "k1", LineID: "main", Open: true, StartedAt: at(9, 0, 0), LastActivityAt: at(9, 0, 0)}))
				projectiontest.Must(t, tx.PutMessage(ctx, "c1", Message{ID: "m1", Direction: DirectionIn, At: at(9, 0, 0), Body: sealed("k1", "m1")}))
				projectiontest.Must(t, tx.PutClient(ctx, "k1", Client{Consent: events.ConsentOptedOut}))
				projectiontest.Must(t, tx.PutDelivery(ctx, "c1", "SM1", Delivery{Status: "sent"}))
			})
			if _, err := s.Get(ctx, "c1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get after failure: %v", err)
			}
			applied, err := s.Update(ctx, Name, 1, func(tx Tx) error {
				if _, ok, err := tx.Client(ctx, "k1"); err != nil || ok {
					t.Errorf("client after failure: %v %v", ok, err)
				}
				if ms, err := tx.Messages(ctx, "c1"); err != nil || len(ms) != 0 {
					t.Errorf("messages after failure: %v %v", ms, err)
				}
				if _, ok, err := tx.Delivery(ctx, "c1", "SM1"); err != nil || ok {
					t.Errorf("delivery after failure: %v %v", ok, err)
				}
				if ids, err := tx.ClientConversations(ctx, "k1"); err != nil || len(ids) != 0 {
					t.Errorf("client conversations after failure: %v %v", ids, err)
				}
				return nil
			})
			if err != nil || !applied {
				t.Fatalf("update after failure: %v %v", applied, err)
			}
		},
		"a transaction reads its own writes": func(t *testing.T, s Store) {
			conv := Conversation{ID: "c2", ClientID: "k1", LineID: "main", Pseudonym: "C-X", Channel: events.ChannelWebChat, Open: true,
				StartedAt: at(9, 0, 0), LastActivityAt: at(9, 1, 0), Risk: events.RiskNone, Flags: []string{"escalated"}, Unread: 2}
			m1 := Message{ID: "m1", EventID: "ev1", Direction: DirectionIn, At: at(9, 0, 0), Body: sealed("k1", "m1"), Status: "received", Terms: sealed("k1", "terms m1")}
			m2 := Message{ID: "m0", EventID: "ev2", Direction: DirectionOut, Kind: events.SendReply, At: at(9, 1, 0), StaffID: "alex", Body: sealed("k1", "m0"), Status: "requested"}
			_, err := s.Update(ctx, Name, 1, func(tx Tx) error {
				projectiontest.Must(t, tx.PutConversation(ctx, Conversation{ID: "c1", ClientID: "k1", LineID: "main", StartedAt: at(8, 0, 0), LastActivityAt: at(8, 0, 0)}))
				projectiontest.Must(t, tx.PutConversation(ctx, conv))
				projectiontest.Must(t, tx.PutConversation(ctx, Conversation{ID: "c3", ClientID: "k2", LineID: "main", StartedAt: at(8, 0, 0), LastActivityAt: at(8, 0, 0)}))
				projectiontest.Must(t, tx.PutMessage(ctx, "c2", m1))
				projectiontest.Must(t, tx.PutMessage(ctx, "c2", m2))
				m1.Status = "changed" // keeps its place before m0
				projectiontest.Must(t, tx.PutMessage(ctx, "c2", m1))
				projectiontest.Must(t, tx.PutClient(ctx, "k1", Client{Erased: true}))
				projectiontest.Must(t, tx.PutDelivery(ctx, "c2", "SM1", Delivery{Status: "sent", Reason: "r"}))
				if got, ok, err := tx.Conversation(ctx, "c2"); err != nil || !ok || !reflect.DeepEqual(got, conv) {
					t.Errorf("conversation in tx:\n got %+v %v %v\nwant %+v", got, ok, err, conv)
				}
				if got, err := tx.ClientConversations(ctx, "k1"); err != nil || !reflect.DeepEqual(got, []string{"c1", "c2"}) {
					t.Errorf("client conversations in tx: %v %v", got, err)
				}
				if got, err := tx.Messages(ctx, "c2"); err != nil || !reflect.DeepEqual(got, []Message{m1, m2}) {
					t.Errorf("messages in tx:\n got %+v %v\nwant %+v", got, err, []Message{m1, m2})
				}
				if got, ok, err := tx.Message(ctx, "c2", "m0"); err != nil || !ok || !reflect.DeepEqual(got, m2) {
					t.Errorf("message in tx: %+v %v %v", got, ok, err)
				}
				if got, ok, err := tx.Client(ctx, "k1"); err != nil || !ok || !got.Erased {
					t.Errorf("client in tx: %+v %v %v", got, ok, err)
				}
				if got, ok, err := tx.Delivery(ctx, "c2", "SM1"); err != nil || !ok || got != (Delivery{Status: "sent", Reason: "r"}) {
					t.Errorf("delivery in tx: %+v %v %v", got, ok, err)
				}
				return nil
			})
			projectiontest.Must(t, err)
			if got, err := s.Get(ctx, "c2"); err != nil || !reflect.DeepEqual(got, conv) {
				t.Fatalf("after commit:\n got %+v %v\nwant %+v", got, err, conv)
			}
			if got, err := s.Messages(ctx, "c2"); err != nil || !reflect.DeepEqual(got, []Message{m1, m2}) {
				t.Fatalf("messages after commit:\n got %+v %v", got, err)
			}
			_, err = s.Update(ctx, Name, 2, func(tx Tx) error {
				if got, err := tx.ClientConversations(ctx, "k1"); err != nil || !reflect.DeepEqual(got, []string{"c1", "c2"}) {
					t.Errorf("client conversations after commit: %v %v", got, err)
				}
				return nil
			})
			projectiontest.Must(t, err)
		},
		"listings page without duplicates or gaps": func(t *testing.T, s Store) {
			v := NewView(s)
			envs, want := manyConversations(t, 23)
			fixture.ApplyAll(t, v, envs)
			projectiontest.Paging(t, want, func(size int, after Cursor) []Conversation {
				return mustList(t, v, Query{Limit: size, After: after, IncludeClosed: true})
			}, func(c Conversation) string { return c.ID })
			if got := mustList(t, v, Query{Limit: 1000, IncludeClosed: true}); len(got) != 23 {
				t.Fatalf("limit above the maximum: %d rows", len(got))
			}
		},
		"filters select by line, team, assignee and state": func(t *testing.T, s Store) {
			v := fixture.Scenario(t, s)
			for _, c := range []struct {
				q    Query
				want []string
			}{
				{Query{}, []string{"conv5", "conv4", "conv3", "conv1"}},
				{Query{IncludeClosed: true}, []string{"conv5", "conv4", "conv3", "conv2", "conv1"}},
				{Query{LineIDs: []string{"other"}}, []string{"conv4"}},
				{Query{LineIDs: []string{"main", "other"}, IncludeClosed: true}, []string{"conv5", "conv4", "conv3", "conv2", "conv1"}},
				{Query{LineIDs: []string{"nowhere"}}, nil},
				{Query{TeamID: "day"}, []string{"conv5", "conv1"}},
				{Query{AssigneeID: "sam"}, []string{"conv5"}},
				{Query{OnlyClosed: true}, []string{"conv2"}},
				{Query{OnlyClosed: true, LineIDs: []string{"other"}}, nil},
				{Query{AssigneeID: "alex"}, []string{"conv1"}},
				{Query{AssigneeID: "kim"}, nil},
				{Query{Unassigned: true}, []string{"conv4", "conv3"}},
				{Query{Unassigned: true, LineIDs: []string{"main"}, IncludeClosed: true}, []string{"conv3", "conv2"}},
				{Query{After: Cursor{At: at(10, 30, 1), ID: "conv3"}}, []string{"conv1"}},
			} {
				got := mustList(t, v, c.q)
				if !reflect.DeepEqual(ids(got), projections.NonEmpty(c.want)) && !(len(got) == 0 && len(c.want) == 0) {
					t.Errorf("list %+v: %v, want %v", c.q, ids(got), c.want)
				}
			}
			for _, q := range []Query{{Unassigned: true, AssigneeID: "alex"}, {Limit: -1}} {
				if _, err := v.List(ctx, q); !errors.Is(err, ErrBadQuery) {
					t.Errorf("list %+v: %v, want ErrBadQuery", q, err)
				}
			}
		},
		"unknown conversations are not found": func(t *testing.T, s Store) {
			v := fixture.Scenario(t, s)
			for _, id := range []string{"nope", "conv9"} {
				if _, err := v.Get(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Fatalf("get %s: %v", id, err)
				}
				if _, err := v.Messages(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Fatalf("messages of %s: %v", id, err)
				}
			}
		},
	})
}

// manyConversations starts n conversations on two lines, several with the
// same last activity, some closed, and returns the events and the ids in
// listing order (newest activity first, then greater id).
func manyConversations(t testing.TB, n int) ([]events.Envelope, []string) {
	s := &projectiontest.Script{T: t}
	for i := range n {
		id := fmt.Sprintf("c%02d", i)
		line := "main"
		if i%4 == 0 {
			line = "other"
		}
		s.Add(id, at(9, 0, 0), events.ConversationStarted{LineID: line, ClientID: "k" + id, Pseudonym: "C-" + id, Channel: events.ChannelSMS})
		s.Add(id, at(9, i/3, 0), events.MessageReceived{MessageID: "m" + id, LineID: line, ClientID: "k" + id, ReceivedAt: at(9, i/3, 0)})
		if i%5 == 0 {
			s.Add(id, at(10, 0, 0), events.ConversationClosed{ByStaffID: "sam"})
		}
	}
	want := make([]string, 0, n)
	for i := n - 1; i >= 0; i-- {
		want = append(want, fmt.Sprintf("c%02d", i))
	}
	return s.Envs, want
}

// assertScenario checks every conversation and message of the scenario.
func assertScenario(t testing.TB, v *View, eventID func(int) string) {
	t.Helper()
	ctx := context.Background()
	msgs := scenarioMessages(eventID)
	for id, want := range scenarioConversations() {
		got, err := v.Get(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\n got %+v\nwant %+v", id, got, want)
		}
		gotMsgs, err := v.Messages(ctx, id)
		if err != nil {
			t.Fatalf("messages of %s: %v", id, err)
		}
		if !reflect.DeepEqual(gotMsgs, msgs[id]) {
			t.Fatalf("messages of %s\n got %+v\nwant %+v", id, gotMsgs, msgs[id])
		}
	}
	rows := scenarioConversations()
	for _, c := range mustList(t, v, Query{IncludeClosed: true}) {
		if !reflect.DeepEqual(c, rows[c.ID]) {
			t.Fatalf("listed %s\n got %+v\nwant %+v", c.ID, c, rows[c.ID])
		}
	}
	if cp, err := v.Checkpoint(ctx); err != nil || cp == 0 {
		t.Fatalf("checkpoint %d, %v", cp, err)
	}
}

// TestSQLImportFailsWhole: a snapshot that PostgreSQL refuses half-way
// through the copy (a NUL byte in a text column, late in the messages)
// leaves the old rows and checkpoint exactly as they were: the delete and
// the rows copied before the failure roll back together.
func TestSQLImportFailsWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewSQLStore(projectiontest.MigratedPool(t))
	fixture.ApplyAll(t, NewView(s), scenario(t))
	before, err := s.Export(ctx, Name)
	projectiontest.Must(t, err)
	bad := before
	bad.Messages = maps.Clone(before.Messages)
	bad.Messages["conv1"] = append(slices.Clone(before.Messages["conv1"]), Message{ID: "m-nul", Status: "received\x00"})
	if err := s.Import(ctx, Name, bad, before.Checkpoint); err == nil {
		t.Fatal("PostgreSQL took a NUL byte")
	}
	got, err := s.Export(ctx, Name)
	projectiontest.Must(t, err)
	if !reflect.DeepEqual(got, before) {
		t.Fatalf("after a failed import\n got %+v\nwant %+v", got, before)
	}
}
