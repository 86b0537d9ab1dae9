package responsetimes

import (
	"context"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestWaitsCountFromTheClocksStart checks that a message that came while
// the line was closed is timed from the line's opening, as triage's
// response clock (and the unanswered escalation) times it: no breach
// before the opening, a breach once the target has passed after it, and
// a reply soon after the opening is a short wait.
func TestWaitsCountFromTheClocksStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opening := at(3, 8, 0, 0)
	s := &projectiontest.Script{T: t}
	clock := func(conv, messageID, kind string, when, from time.Time, target time.Duration) {
		s.Add(conv, when, events.ResponseClockStarted{ClockID: events.ClockID(messageID), Kind: kind, MessageID: messageID,
			LineID: "main", ReceivedAt: when, From: from, Due: from.Add(target)})
	}
	recv := func(conv, messageID string, when time.Time) {
		s.Add(conv, when, events.MessageReceived{MessageID: messageID, LineID: "main", Channel: events.ChannelSMS, ReceivedAt: when})
	}
	// conv1 writes at 23:30 while the line is closed; nobody has replied.
	recv("conv1", "m1", at(2, 23, 30, 0))
	clock("conv1", "m1", events.ClockFirstResponse, at(2, 23, 30, 1), opening, 5*time.Minute)
	// conv2 is answered by day, writes again at 22:00 while the line is
	// closed: its next-response clock counts from the opening too.
	recv("conv2", "m2", at(2, 10, 0, 0))
	clock("conv2", "m2", events.ClockFirstResponse, at(2, 10, 0, 1), at(2, 10, 0, 0), 5*time.Minute) // by day: from the message
	s.Add("conv2", at(2, 10, 1, 0), events.ReplyRequested{ReplyID: "r1", StaffID: "alex"})
	recv("conv2", "m3", at(2, 22, 0, 0))
	clock("conv2", "m3", events.ClockNextResponse, at(2, 22, 0, 1), opening, 10*time.Minute)

	rt := NewView(NewMemoryStore(), scenarioTargets)
	for _, e := range s.Envs {
		mustApply(t, rt, e)
	}
	read := func(now time.Time) Figures {
		t.Helper()
		rep, err := rt.Figures(ctx, "main", at(2, 0, 0, 0), at(4, 0, 0, 0), now)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Totals
	}
	for _, c := range []struct {
		name                   string
		now                    time.Time
		breaches, nextBreaches int64
	}{
		{"overnight, before the opening", at(3, 7, 0, 0), 0, 0},
		{"4 minutes after the opening", opening.Add(4 * time.Minute), 0, 0},
		{"6 minutes after the opening: the first target passed", opening.Add(6 * time.Minute), 1, 0},
		{"11 minutes after the opening: both targets passed", opening.Add(11 * time.Minute), 1, 1},
	} {
		if f := read(c.now); f.Breaches != c.breaches || f.NextBreaches != c.nextBreaches {
			t.Errorf("%s: breaches %d, next %d; want %d, %d", c.name, f.Breaches, f.NextBreaches, c.breaches, c.nextBreaches)
		}
	}

	// Replies soon after the opening are short waits, not a night's.
	for _, e := range []events.Envelope{
		s.Add("conv1", opening.Add(30*time.Second), events.ReplyRequested{ReplyID: "r2", StaffID: "alex"}),
		s.Add("conv2", opening.Add(3*time.Minute), events.ReplyRequested{ReplyID: "r3", StaffID: "alex"}),
	} {
		mustApply(t, rt, e)
	}
	f := read(at(3, 12, 0, 0))
	want := Figures{FirstReply: Quantiles{Count: 2, P50: 30 * time.Second, P90: time.Minute, P99: time.Minute},
		NextReply: Quantiles{Count: 1, P50: 3 * time.Minute, P90: 3 * time.Minute, P99: 3 * time.Minute}}
	if f.FirstReply != want.FirstReply || f.NextReply != want.NextReply || f.Breaches != 0 || f.NextBreaches != 0 {
		t.Fatalf("after the replies: first %+v next %+v breaches %d/%d; want first %+v next %+v and no breach",
			f.FirstReply, f.NextReply, f.Breaches, f.NextBreaches, want.FirstReply, want.NextReply)
	}
}

// TestAbandonedAfterIsTheLines checks that how long a client nobody
// answered may stay silent before the figures count the conversation as
// abandoned is the line's setting, not a constant.
func TestAbandonedAfterIsTheLines(t *testing.T) {
	t.Parallel()
	s := &projectiontest.Script{T: t}
	s.Add("conv1", at(2, 9, 0, 0), events.MessageReceived{MessageID: "m1", LineID: "main", Channel: events.ChannelSMS, ReceivedAt: at(2, 9, 0, 0)})
	for _, c := range []struct {
		name  string
		after time.Duration
		now   time.Time
		want  int64
	}{
		{"a day, read 27h later", 24 * time.Hour, at(3, 12, 0, 0), 1},
		{"two days, read 27h later", 48 * time.Hour, at(3, 12, 0, 0), 0},
		{"two hours, read 2h30m later", 2 * time.Hour, at(2, 11, 30, 0), 1},
		{"two hours, read 1h later", 2 * time.Hour, at(2, 10, 0, 0), 0},
		{"unset: only a close counts", 0, at(9, 0, 0, 0), 0},
	} {
		rt := NewView(NewMemoryStore(), map[string]Targets{"main": {FirstResponse: 5 * time.Minute, AbandonedAfter: c.after}})
		for _, e := range s.Envs {
			mustApply(t, rt, e)
		}
		rep, err := rt.Figures(context.Background(), "main", at(2, 0, 0, 0), at(3, 0, 0, 0), c.now)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Totals.NeverAnswered; got != c.want {
			t.Errorf("%s: never answered %d, want %d", c.name, got, c.want)
		}
	}
}

// TestNextReplyOwedAtTheCloseIsABreach checks that a client who wrote
// again after a reply and was closed without the next one counts as a
// next-response breach when the close came past the target, and not
// when it came within it.
func TestNextReplyOwedAtTheCloseIsABreach(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		closed time.Duration // after the client wrote again
		want   int64
	}{
		{"closed 20 minutes later", 20 * time.Minute, 1},
		{"closed 5 minutes later", 5 * time.Minute, 0},
	} {
		s := &projectiontest.Script{T: t}
		wrote := at(2, 10, 5, 0)
		s.Add("conv1", at(2, 10, 0, 0), events.MessageReceived{MessageID: "m1", LineID: "main", Channel: events.ChannelSMS, ReceivedAt: at(2, 10, 0, 0)})
		s.Add("conv1", at(2, 10, 1, 0), events.ReplyRequested{ReplyID: "r1", StaffID: "alex"})
		s.Add("conv1", wrote, events.MessageReceived{MessageID: "m2", LineID: "main", Channel: events.ChannelSMS, ReceivedAt: wrote})
		s.Add("conv1", wrote.Add(c.closed), events.ConversationClosed{ByStaffID: "alex", Outcome: "supported"})
		rt := NewView(NewMemoryStore(), scenarioTargets)
		for _, e := range s.Envs {
			mustApply(t, rt, e)
		}
		rep, err := rt.Figures(context.Background(), "main", at(2, 0, 0, 0), at(3, 0, 0, 0), at(2, 12, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Totals.NextBreaches; got != c.want {
			t.Errorf("%s: %d next-response breaches, want %d", c.name, got, c.want)
		}
	}
}
