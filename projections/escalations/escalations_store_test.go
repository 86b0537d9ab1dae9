package escalations

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestStores runs the one store suite against every implementation.
func TestStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fixture.Stores(t, projectiontest.Cases[Store]{
		"reset empties rows and checkpoint": func(t *testing.T, s Store) {
			q := fixture.Reset(t, s)
			for id := range scenarioRows() {
				if _, err := q.Get(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Fatalf("get %s after reset: %v", id, err)
				}
			}
			if got := mustOpen(t, q, []string{"main", "other"}, 0, Cursor{}); len(got) != 0 {
				t.Fatalf("open after reset: %+v", got)
			}
			// The working state went too: an escalation raised in a
			// conversation started before the reset has no pseudonym.
			s2 := &projectiontest.Script{T: t}
			s2.Add("conv4", at(11, 0, 0), events.EscalationRaised{EscalationID: "esc9", LineID: "main", Reason: events.ReasonCrisis})
			fixture.ApplyAll(t, q, s2.Envs)
			if e, err := q.Get(ctx, "esc9"); err != nil || e.Pseudonym != "" {
				t.Fatalf("after reset: %+v, %v", e, err)
			}
		},
		"an imported snapshot reads as the events it came from": func(t *testing.T, s Store) {
			// Whatever s held before is replaced, checkpoint included.
			old := &projectiontest.Script{T: t}
			old.Add("stale", at(8, 0, 0), events.ConversationStarted{LineID: "main", Pseudonym: "C-OLD"})
			old.Add("stale", at(8, 0, 1), events.EscalationRaised{EscalationID: "old", LineID: "main", Reason: events.ReasonCrisis})
			fixture.ApplyAll(t, NewQueue(s), old.Envs)
			q, snap := projectiontest.ImportScenario[Snapshot](t, fixture, s, 2)
			if len(snap.Escalations) != len(scenarioRows()) || len(snap.Conversations) == 0 {
				t.Fatalf("snapshot of the scenario: %+v", snap)
			}
			if _, err := q.Get(ctx, "old"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("an escalation from before the import: %v", err)
			}
			// A page applied on top goes after the imported ones.
			open, err := q.Get(ctx, "esc1") // paged twice
			projectiontest.Must(t, err)
			page := &projectiontest.Script{T: t}
			page.Add(open.ConversationID, at(12, 0, 0), events.EscalationPaged{EscalationID: open.ID, StaffID: "kim", Level: 1, LevelName: "backup", Round: 1})
			page.Envs[0].Sequence = snap.Checkpoint + 1
			fixture.ApplyAll(t, q, page.Envs)
			e, err := q.Get(ctx, open.ID)
			projectiontest.Must(t, err)
			if len(open.Pages) != 2 || len(e.Pages) != 3 || !reflect.DeepEqual(e.Pages[:len(open.Pages)], open.Pages) || e.Pages[len(open.Pages)].StaffID != "kim" {
				t.Fatalf("pages after one on top of the import: %+v", e.Pages)
			}
		},
		"a rejected import changes nothing": func(t *testing.T, s Store) {
			q := fixture.Scenario(t, s)
			before, err := s.Export(ctx, Name)
			projectiontest.Must(t, err)
			twice := before
			twice.Escalations = append(slices.Clone(before.Escalations), before.Escalations[0])
			projectiontest.RejectedImports(t, s, Name, before, before.Checkpoint, []Snapshot{twice}, Snapshot{Checkpoint: before.Checkpoint - 1})
			assertScenario(t, q)
		},
		"a failed update changes nothing": func(t *testing.T, s Store) {
			projectiontest.FailedUpdate(t, s, Name, func(tx Tx) {
				projectiontest.Must(t, tx.PutConversation(ctx, "c1", Conversation{LineID: "main", Pseudonym: "C-X"}))
				projectiontest.Must(t, tx.PutEscalation(ctx, Escalation{ID: "e1", ConversationID: "c1", LineID: "main", Round: 1, RaisedAt: at(9, 0, 0)}))
				projectiontest.Must(t, tx.AddPage(ctx, "e1", 1, Page{StaffID: "sam", Round: 1, At: at(9, 0, 1)}))
			})
			if _, err := s.Get(ctx, "e1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get after failure: %v", err)
			}
			applied, err := s.Update(ctx, Name, 1, func(tx Tx) error {
				if _, ok, err := tx.Conversation(ctx, "c1"); err != nil || ok {
					t.Errorf("conversation after failure: %v %v", ok, err)
				}
				return nil
			})
			if err != nil || !applied {
				t.Fatalf("update after failure: %v %v", applied, err)
			}
		},
		"a transaction reads its own writes": func(t *testing.T, s Store) {
			want := Escalation{ID: "e1", ConversationID: "c1", LineID: "main", Pseudonym: "C-X", Reason: events.ReasonCrisis,
				Categories: []string{"a"}, Round: 1, RaisedAt: at(9, 0, 0),
				Pages: []Page{{StaffID: "sam", LevelName: "duty", Round: 1, At: at(9, 0, 1)}}}
			_, err := s.Update(ctx, Name, 1, func(tx Tx) error {
				projectiontest.Must(t, tx.PutConversation(ctx, "c1", Conversation{LineID: "main", Pseudonym: "C-X"}))
				projectiontest.Must(t, tx.PutEscalation(ctx, want))
				projectiontest.Must(t, tx.AddPage(ctx, "e1", 1, want.Pages[0]))
				got, ok, err := tx.Escalation(ctx, "e1")
				if err != nil || !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("in tx:\n got %+v %v %v\nwant %+v", got, ok, err, want)
				}
				projectiontest.Must(t, tx.DeleteConversation(ctx, "c1"))
				if _, ok, _ := tx.Conversation(ctx, "c1"); ok {
					t.Error("deleted conversation still read in tx")
				}
				return nil
			})
			projectiontest.Must(t, err)
			if got, err := s.Get(ctx, "e1"); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("after commit:\n got %+v %v\nwant %+v", got, err, want)
			}
		},
		"open pages through the queue without duplicates or gaps": func(t *testing.T, s Store) {
			q := NewQueue(s)
			envs, want := manyEscalations(t, 23)
			fixture.ApplyAll(t, q, envs)
			projectiontest.Paging(t, want, func(size int, after Cursor) []Escalation {
				return mustOpen(t, q, []string{"main", "other"}, size, after)
			}, func(e Escalation) string { return e.ID })
		},
		"acknowledged and exhausted escalations leave the open queue": func(t *testing.T, s Store) {
			q := NewQueue(s)
			sc := &projectiontest.Script{T: t}
			sc.Add("c", at(9, 0, 0), events.ConversationStarted{LineID: "main", Pseudonym: "C-Q"})
			for _, id := range []string{"a", "b", "c"} {
				sc.Add("c", at(9, 1, 0), events.EscalationRaised{EscalationID: id, LineID: "main", Reason: events.ReasonCrisis})
			}
			fixture.ApplyAll(t, q, sc.Envs)
			if got := ids(mustOpen(t, q, []string{"main"}, 10, Cursor{})); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
				t.Fatalf("open %v", got)
			}
			n := len(sc.Envs)
			sc.Add("c", at(9, 2, 0), events.EscalationAcknowledged{EscalationID: "a", StaffID: "sam"})
			sc.Add("c", at(9, 3, 0), events.EscalationExhausted{EscalationID: "c", Rounds: 2})
			fixture.ApplyAll(t, q, sc.Envs[n:])
			if got := ids(mustOpen(t, q, []string{"main"}, 10, Cursor{})); !reflect.DeepEqual(got, []string{"b"}) {
				t.Fatalf("open %v, want [b]", got)
			}
			for _, id := range []string{"a", "c"} {
				if e, err := q.Get(ctx, id); err != nil || e.Open() {
					t.Fatalf("get %s: %+v %v", id, e, err)
				}
			}
		},
		"open needs lines and get an id": func(t *testing.T, s Store) {
			q := fixture.Scenario(t, s)
			if got := mustOpen(t, q, nil, 10, Cursor{}); len(got) != 0 {
				t.Fatalf("open with no lines: %v", ids(got))
			}
			if got := mustOpen(t, q, []string{"nowhere"}, 10, Cursor{}); len(got) != 0 {
				t.Fatalf("open of an unknown line: %v", ids(got))
			}
			if _, err := q.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get unknown: %v", err)
			}
		},
	})
}

// manyEscalations raises n open escalations on two lines, several in the
// same instant, out of id order, and returns the events and the ids in
// queue order.
func manyEscalations(t testing.TB, n int) ([]events.Envelope, []string) {
	s := &projectiontest.Script{T: t}
	s.Add("c", at(8, 0, 0), events.ConversationStarted{LineID: "main", Pseudonym: "C-M"})
	want := make([]string, 0, n)
	for i := n - 1; i >= 0; i-- { // raised newest id first
		id := fmt.Sprintf("e%02d", i)
		line := "main"
		if i%4 == 0 {
			line = "other"
		}
		s.Add("c", at(9, i/3, 0), events.EscalationRaised{EscalationID: id, LineID: line, Reason: events.ReasonCrisis})
	}
	for i := range n {
		want = append(want, fmt.Sprintf("e%02d", i))
	}
	return s.Envs, want
}

func ids(es []Escalation) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func mustOpen(t testing.TB, q *Queue, lines []string, limit int, after Cursor) []Escalation {
	t.Helper()
	got, err := q.Open(context.Background(), lines, limit, after)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// assertScenario checks every row of the scenario and the open queues.
func assertScenario(t testing.TB, q *Queue) {
	t.Helper()
	ctx := context.Background()
	rows := scenarioRows()
	for id, want := range rows {
		got, err := q.Get(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\n got %+v\nwant %+v", id, got, want)
		}
	}
	for _, c := range []struct {
		lines []string
		want  []string
	}{
		{[]string{"main"}, []string{"esc4", "esc5"}},
		{[]string{"other"}, []string{"esc3", "esc6"}},
		{[]string{"main", "other"}, []string{"esc3", "esc6", "esc4", "esc5"}},
	} {
		got := mustOpen(t, q, c.lines, 0, Cursor{})
		if !reflect.DeepEqual(ids(got), c.want) {
			t.Fatalf("open %v: %v, want %v", c.lines, ids(got), c.want)
		}
		for _, e := range got {
			if !reflect.DeepEqual(e, rows[e.ID]) {
				t.Fatalf("open row %s\n got %+v\nwant %+v", e.ID, e, rows[e.ID])
			}
		}
	}
	if cp, err := q.Checkpoint(ctx); err != nil || cp == 0 {
		t.Fatalf("checkpoint %d, %v", cp, err)
	}
}
