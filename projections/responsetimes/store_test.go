package responsetimes

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestStores runs the one store suite against every implementation.
func TestStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fixture.Stores(t, projectiontest.Cases[Store]{
		"checkpoint moves with the update": func(t *testing.T, s Store) {
			calls := 0
			write := func(tx Tx) error {
				calls++
				return tx.AddCounts(ctx, "l", at(2, 10, 1, 0), Counts{Received: 1})
			}
			mustUpdate(t, s, "p", 5, write, true)
			mustUpdate(t, s, "p", 5, write, false) // same sequence: skipped
			mustUpdate(t, s, "p", 3, write, false) // older: skipped
			if calls != 1 {
				t.Fatalf("fn called %d times, want 1", calls)
			}
			if cp, _ := s.Checkpoint(ctx, "p"); cp != 5 {
				t.Fatalf("checkpoint %d, want 5", cp)
			}
			if cp, _ := s.Checkpoint(ctx, "q"); cp != 0 {
				t.Fatalf("other checkpoint %d, want 0", cp)
			}
			hours := mustHours(t, s, "l")
			if len(hours) != 1 || hours[0].Counts.Received != 1 || !hours[0].Start.Equal(at(2, 10, 0, 0)) {
				t.Fatalf("hours %+v", hours)
			}
		},
		"a failed update changes nothing": func(t *testing.T, s Store) {
			projectiontest.FailedUpdate(t, s, "p", func(tx Tx) {
				projectiontest.Must(t, tx.AddCounts(ctx, "l", at(2, 10, 0, 0), Counts{Received: 1}))
				projectiontest.Must(t, tx.PutConversation(ctx, "c1", Conversation{LineID: "l", OpenedAt: at(2, 10, 0, 0)}))
			})
			if hours := mustHours(t, s, "l"); len(hours) != 0 {
				t.Fatalf("hours after failure: %+v", hours)
			}
			mustUpdate(t, s, "p", 1, func(tx Tx) error {
				if _, ok, err := tx.Conversation(ctx, "c1"); err != nil || ok {
					t.Errorf("conversation after failure: %v %v", ok, err)
				}
				return nil
			}, true)
		},
		"working state reads its own writes": func(t *testing.T, s Store) {
			received := at(2, 10, 0, 0)
			open := Conversation{LineID: "l", OpenedAt: received, LastInAt: received, MessagesIn: 1, Categories: []string{}}
			mustUpdate(t, s, "p", 1, func(tx Tx) error {
				projectiontest.Must(t, tx.PutConversation(ctx, "c1", open))
				got, ok, err := tx.Conversation(ctx, "c1")
				if err != nil || !ok || got.LineID != "l" || !got.OpenedAt.Equal(received) {
					t.Errorf("in tx: %+v %v %v", got, ok, err)
				}
				projectiontest.Must(t, tx.PutPendingAck(ctx, "e1", PendingAck{LineID: "l"}))
				return nil
			}, true)
			// Every field survives the round trip; an empty list reads as nil.
			wrapped := Conversation{LineID: "l", OpenedAt: received, LastInAt: at(2, 10, 9, 0), Replied: true, FirstReplyWait: 90*time.Second + 7*time.Millisecond,
				NextSince: at(2, 10, 9, 0), MessagesIn: 3, MessagesOut: 2, Escalated: true, Exhausted: true, Closed: true, ClosedAt: at(2, 11, 0, 0),
				Outcome: "resolved", Categories: []string{"reason:housing", "risk:low"}, Survey: []string{"helped:1", "rating:4"}}
			mustUpdate(t, s, "p", 2, func(tx Tx) error {
				got, ok, err := tx.Conversation(ctx, "c1")
				open.Categories = nil
				if err != nil || !ok || !reflect.DeepEqual(got, open) {
					t.Errorf("after commit: %+v %v %v, want %+v", got, ok, err, open)
				}
				ack, ok, err := tx.PendingAck(ctx, "e1")
				if err != nil || !ok || ack.LineID != "l" || !ack.PagedAt.IsZero() {
					t.Errorf("ack: %+v %v %v", ack, ok, err)
				}
				projectiontest.Must(t, tx.PutConversation(ctx, "c1", wrapped))
				projectiontest.Must(t, tx.DeletePendingAck(ctx, "e1"))
				if _, ok, _ := tx.PendingAck(ctx, "e1"); ok {
					t.Error("deleted ack still read in tx")
				}
				return nil
			}, true)
			mustUpdate(t, s, "p", 3, func(tx Tx) error {
				got, ok, _ := tx.Conversation(ctx, "c1")
				if !ok || !reflect.DeepEqual(got, wrapped) {
					t.Errorf("wrapped up: %+v %v, want %+v", got, ok, wrapped)
				}
				if _, ok, _ := tx.PendingAck(ctx, "e1"); ok {
					t.Error("deleted ack still there")
				}
				return nil
			}, true)
			convs, err := s.Conversations(ctx, "l", at(2, 0, 0, 0), at(3, 0, 0, 0))
			if err != nil || !reflect.DeepEqual(convs, []Conversation{wrapped}) {
				t.Fatalf("conversations: %+v %v", convs, err)
			}
		},
		"a conversation written again is listed once, where it opened last": func(t *testing.T, s Store) {
			put := func(seq uint64, c Conversation) {
				mustUpdate(t, s, "p", seq, func(tx Tx) error { return tx.PutConversation(ctx, "c1", c) }, true)
			}
			put(1, Conversation{LineID: "l", OpenedAt: at(2, 10, 0, 0), MessagesIn: 1})
			put(2, Conversation{LineID: "l", OpenedAt: at(2, 10, 0, 0), MessagesIn: 2})
			put(3, Conversation{LineID: "l", OpenedAt: at(4, 10, 0, 0), MessagesIn: 3})
			list := func(from, to time.Time) []int64 {
				convs, err := s.Conversations(ctx, "l", from, to)
				projectiontest.Must(t, err)
				var n []int64
				for _, c := range convs {
					n = append(n, c.MessagesIn)
				}
				return n
			}
			if got := list(at(2, 0, 0, 0), at(3, 0, 0, 0)); len(got) != 0 {
				t.Fatalf("the day it no longer opened lists %v", got)
			}
			if got := list(at(1, 0, 0, 0), at(9, 0, 0, 0)); !slices.Equal(got, []int64{3}) {
				t.Fatalf("the whole range lists %v, want [3]", got)
			}
		},
		"conversations are listed by line and range, in the order they opened": func(t *testing.T, s Store) {
			mustUpdate(t, s, "p", 1, func(tx Tx) error {
				for id, c := range map[string]Conversation{
					"late": {LineID: "l", OpenedAt: at(2, 23, 0, 0)}, "early": {LineID: "l", OpenedAt: at(2, 1, 0, 0)},
					"tie-b": {LineID: "l", OpenedAt: at(2, 5, 0, 0), MessagesIn: 2}, "tie-a": {LineID: "l", OpenedAt: at(2, 5, 0, 0), MessagesIn: 1},
					"next-day": {LineID: "l", OpenedAt: at(3, 0, 0, 0)}, "other": {LineID: "o", OpenedAt: at(2, 5, 0, 0)},
				} {
					projectiontest.Must(t, tx.PutConversation(ctx, id, c))
				}
				return nil
			}, true)
			convs, err := s.Conversations(ctx, "l", at(2, 0, 0, 0), at(3, 0, 0, 0))
			projectiontest.Must(t, err)
			var got []string
			for _, c := range convs {
				got = append(got, fmt.Sprintf("%02d:%d", c.OpenedAt.Hour(), c.MessagesIn))
			}
			if want := []string{"01:0", "05:1", "05:2", "23:0"}; !slices.Equal(got, want) {
				t.Fatalf("conversations %v, want %v", got, want)
			}
		},
		"figures and histograms merge per line and hour": func(t *testing.T, s Store) {
			mustUpdate(t, s, "p", 1, func(tx Tx) error {
				projectiontest.Must(t, tx.AddCounts(ctx, "l", at(2, 10, 5, 0), Counts{Received: 2, OutOfHours: 1}))
				projectiontest.Must(t, tx.AddCounts(ctx, "l", at(2, 10, 59, 59), Counts{Breaches: 1}))
				projectiontest.Must(t, tx.Observe(ctx, "l", at(2, 10, 30, 0), MetricFirstReply, 3))
				projectiontest.Must(t, tx.Observe(ctx, "l", at(2, 10, 30, 0), MetricFirstReply, 3))
				projectiontest.Must(t, tx.Observe(ctx, "l", at(2, 11, 0, 0), MetricAck, NumBuckets-1))
				projectiontest.Must(t, tx.AddCounts(ctx, "other", at(2, 10, 0, 0), Counts{Received: 7}))
				return nil
			}, true)
			mustUpdate(t, s, "p", 2, func(tx Tx) error {
				return tx.Observe(ctx, "l", at(2, 10, 0, 0), MetricFirstReply, 4)
			}, true)
			var h10, h11 Hour
			h10 = Hour{LineID: "l", Start: at(2, 10, 0, 0), Counts: Counts{Received: 2, OutOfHours: 1, Breaches: 1}}
			h10.FirstReply[3], h10.FirstReply[4] = 2, 1
			h11 = Hour{LineID: "l", Start: at(2, 11, 0, 0)}
			h11.Ack[NumBuckets-1] = 1
			if got := mustHours(t, s, "l"); !reflect.DeepEqual(got, []Hour{h10, h11}) {
				t.Fatalf("hours\n got %+v\nwant %+v", got, []Hour{h10, h11})
			}
			got, err := s.Hours(ctx, "l", at(2, 11, 0, 0), at(2, 12, 0, 0))
			if err != nil || !reflect.DeepEqual(got, []Hour{h11}) {
				t.Fatalf("range: %+v %v", got, err)
			}
		},
		"a conversation still waiting breaches at read time, once past its target": func(t *testing.T, s Store) {
			rt := NewView(s, scenarioTargets)
			e, err := events.New("waiting", events.MessageReceived{MessageID: "w1", LineID: "main", Channel: events.ChannelSMS, ReceivedAt: at(2, 10, 0, 0)},
				events.Meta{OccurredAt: at(2, 10, 0, 0)})
			projectiontest.Must(t, err)
			e.Sequence = 1
			mustApply(t, rt, e)
			if rep, err := rt.Figures(ctx, "main", at(2, 0, 0, 0), at(3, 0, 0, 0), at(2, 10, 0, 0)); err != nil || rep.Totals.Conversations != 1 {
				t.Fatalf("a conversation of one message: %+v, %v", rep.Totals, err)
			}
			breaches := func(now time.Time) int64 {
				t.Helper()
				rep, err := rt.Figures(ctx, "main", at(2, 0, 0, 0), at(3, 0, 0, 0), now)
				projectiontest.Must(t, err)
				return rep.Totals.Breaches
			}
			if n := breaches(at(2, 10, 5, 0)); n != 0 {
				t.Fatalf("at the target: %d breaches, want 0", n)
			}
			if n := breaches(at(2, 10, 5, 1)); n != 1 {
				t.Fatalf("past the target, no reply yet: %d breaches, want 1", n)
			}
			rep, err := rt.Figures(ctx, "main", at(2, 0, 0, 0), at(3, 0, 0, 0), at(2, 11, 0, 0))
			projectiontest.Must(t, err)
			if rep.Days[0].Breaches != 1 || rep.Totals.FirstReply.Count != 0 {
				t.Fatalf("day %+v", rep.Days[0])
			}
			// Another line's target does not apply; a line without one has none.
			if rep, _ := rt.Figures(ctx, "other", at(2, 0, 0, 0), at(3, 0, 0, 0), at(9, 0, 0, 0)); rep.Totals.Breaches != 0 {
				t.Fatalf("other line: %+v", rep.Totals)
			}
		},
		"reset empties state and checkpoint": func(t *testing.T, s Store) {
			mustUpdate(t, s, "p", 9, func(tx Tx) error {
				projectiontest.Must(t, tx.AddCounts(ctx, "l", at(2, 10, 0, 0), Counts{Received: 1}))
				return tx.PutConversation(ctx, "c1", Conversation{LineID: "l", OpenedAt: at(2, 10, 0, 0)})
			}, true)
			if err := s.Reset(ctx, "p"); err != nil {
				t.Fatal(err)
			}
			if cp, _ := s.Checkpoint(ctx, "p"); cp != 0 {
				t.Fatalf("checkpoint %d after reset", cp)
			}
			if hours := mustHours(t, s, "l"); len(hours) != 0 {
				t.Fatalf("hours after reset: %+v", hours)
			}
			mustUpdate(t, s, "p", 1, func(tx Tx) error {
				if _, ok, _ := tx.Conversation(ctx, "c1"); ok {
					t.Error("conversation survived reset")
				}
				return nil
			}, true)
		},
		"an imported snapshot reads as the events it came from": func(t *testing.T, s Store) {
			// Whatever s held before is replaced, checkpoint included.
			mustUpdate(t, s, Name, 3, func(tx Tx) error {
				projectiontest.Must(t, tx.AddCounts(ctx, "main", at(2, 9, 0, 0), Counts{Received: 5}))
				return tx.PutConversation(ctx, "stale", Conversation{LineID: "main", OpenedAt: at(2, 9, 0, 0)})
			}, true)
			rt, snap := projectiontest.ImportScenario[Snapshot](t, fixture, s, 3)
			if len(snap.Hours) == 0 || len(snap.Acks) != 0 || len(snap.Conversations) == 0 || snap.Checkpoint == 0 {
				t.Fatalf("snapshot of the scenario: %+v", snap)
			}
			// Importing again changes nothing; events after it apply on top.
			projectiontest.Must(t, s.Import(ctx, Name, snap, snap.Checkpoint))
			e, err := events.New("conve", events.ConversationClosed{ByStaffID: "alex"}, events.Meta{OccurredAt: at(2, 12, 0, 0)})
			projectiontest.Must(t, err)
			e.Sequence = snap.Checkpoint + 1
			mustApply(t, rt, e)
			after, err := s.Export(ctx, Name)
			projectiontest.Must(t, err)
			if c := after.Conversations["conve"]; !c.Closed || snap.Conversations["conve"].Closed || after.Checkpoint != e.Sequence {
				t.Fatalf("after a close on top of the import: %+v", after)
			}
		},
		"a rejected import changes nothing": func(t *testing.T, s Store) {
			rt := fixture.Scenario(t, s)
			before, err := s.Export(ctx, Name)
			projectiontest.Must(t, err)
			twice := before
			twice.Hours = append(slices.Clone(before.Hours), before.Hours[0])
			// The projection moved on past older since the rebuild began
			// at 1: the swap would move it back.
			older := Snapshot{Checkpoint: before.Checkpoint - 1}
			projectiontest.RejectedImports(t, s, Name, before, before.Checkpoint, []Snapshot{twice}, older)
			assertReport(t, rt, scenarioReport())
			// Unmoved since the rebuild began, a snapshot may go back (the
			// log was replaced, or a projection reads fewer events now).
			projectiontest.Must(t, s.Import(ctx, Name, older, before.Checkpoint))
			if cp, _ := s.Checkpoint(ctx, Name); cp != older.Checkpoint {
				t.Fatalf("checkpoint %d, want %d", cp, older.Checkpoint)
			}
		},
	})
}

func mustUpdate(t testing.TB, s Store, name string, seq uint64, fn func(Tx) error, want bool) {
	t.Helper()
	applied, err := s.Update(context.Background(), name, seq, fn)
	if err != nil {
		t.Fatal(err)
	}
	if applied != want {
		t.Fatalf("update seq %d: applied %v, want %v", seq, applied, want)
	}
}

func mustApply(t testing.TB, rt *View, e events.Envelope) {
	t.Helper()
	if ok, err := rt.Apply(context.Background(), e); err != nil || (!ok && relevant[e.Type]) {
		t.Fatalf("apply seq %d: %v %v", e.Sequence, ok, err)
	}
}

func mustHours(t testing.TB, s Store, line string) []Hour {
	t.Helper()
	hours, err := s.Hours(context.Background(), line, time.Time{}, at(31, 0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return hours
}

func assertReport(t testing.TB, rt *View, want Report) {
	t.Helper()
	got, err := rt.Figures(context.Background(), want.LineID, want.From, want.To, scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("report\n got %+v\nwant %+v", got, want)
	}
}
