package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/views"
)

// TestClientFlagRules: a worker flags the client of a conversation they
// may read, with a reason (sealed with the client's key) and a last day;
// bad input is refused saying why and records nothing; the inbox and the
// conversation show the flag until its last day ends (the clock moved by
// hand), and not after.
func TestClientFlagRules(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900811", "it's me again")
	ctx := context.Background()
	b.assign(t, conv, "wes", "")
	// The clock is Monday 7 December 2026, 09:00 in London (GMT).
	flag := func(a app.Actor, id, kind, reason, until string) error {
		return b.app.Commands.FlagClient.Handle(ctx, app.FlagClient{Actor: a, ConversationID: conv, FlagID: id, Kind: kind, Reason: reason, Until: until})
	}
	for _, c := range []struct {
		name                   string
		actor                  app.Actor
		id, kind, reason, date string
		want                   error
	}{
		{"no kind", wes, "f1", "", "calls many times a night", "2026-12-08", app.ErrBadRequest},
		{"unknown kind", wes, "f1", "blocked", "calls many times a night", "2026-12-08", app.ErrBadRequest},
		{"no reason", wes, "f1", events.FlagFrequent, "   ", "2026-12-08", app.ErrBadRequest},
		{"long reason", wes, "f1", events.FlagFrequent, strings.Repeat("x", 501), "2026-12-08", app.ErrBadRequest},
		{"not a date", wes, "f1", events.FlagFrequent, "calls many times a night", "next week", app.ErrBadRequest},
		{"ended already", wes, "f1", events.FlagFrequent, "calls many times a night", "2026-12-06", app.ErrBadRequest},
		{"over a year", wes, "f1", events.FlagFrequent, "calls many times a night", "2027-12-31", app.ErrBadRequest},
		{"bad flag id", wes, "no spaces", events.FlagFrequent, "calls many times a night", "2026-12-08", app.ErrBadRequest},
		{"flag id too long", wes, strings.Repeat("f", 41), events.FlagFrequent, "calls many times a night", "2026-12-08", app.ErrBadRequest},
		{"not theirs", nia, "f1", events.FlagFrequent, "calls many times a night", "2026-12-08", app.ErrForbidden},
		{"a manager", mia, "f1", events.FlagFrequent, "calls many times a night", "2026-12-08", app.ErrForbidden},
	} {
		if err := flag(c.actor, c.id, c.kind, c.reason, c.date); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if got := b.Events(t, events.AggregateClient, events.TypeClientFlagged); len(got) != 0 {
		t.Fatalf("refused flags recorded %d events", len(got))
	}

	reason := "raised concerns about a partner; check in on safety"
	for range 2 { // a double submission is one flag
		if err := flag(wes, "f1", events.FlagSafeguarding, reason, "2026-12-08"); err != nil {
			t.Fatal(err)
		}
	}
	got := b.Events(t, events.AggregateClient, events.TypeClientFlagged)
	if len(got) != 1 {
		t.Fatalf("%d flag events for one flag id", len(got))
	}
	p, err := got[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	f := p.(events.ClientFlagged)
	end := time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC) // the end of the 8th in London
	if f.Kind != events.FlagSafeguarding || !f.Until.Equal(end) || f.ByStaffID != "wes" || f.LineID != "main" {
		t.Fatalf("flag event %+v", f)
	}
	if bytes.Contains(f.Reason.Data, []byte("partner")) || bytes.Contains(got[0].Payload, []byte("partner")) {
		t.Fatal("the flag's reason is in the log in plain text")
	}
	if plain, err := b.Keys.Open(ctx, f.Reason.KeyID, f.Reason.Data, events.FlagReasonAAD("f1")); err != nil || string(plain) != reason {
		t.Fatalf("the sealed reason opens to %q, %v", plain, err)
	}

	b.catchUp(t)
	want := []views.ClientFlag{{Kind: events.FlagSafeguarding, Until: end}}
	shown := func() []views.ClientFlag {
		t.Helper()
		l, err := b.app.Queries.Inbox.Handle(ctx, app.Inbox{Actor: wes})
		if err != nil || len(l.Conversations) != 1 {
			t.Fatalf("inbox: %+v, %v", l, err)
		}
		c, err := b.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: wes, ConversationID: conv, Via: "page"})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.ClientFlags) != len(l.Conversations[0].ClientFlags) {
			t.Fatalf("the inbox shows %v, the conversation %v", l.Conversations[0].ClientFlags, c.ClientFlags)
		}
		return l.Conversations[0].ClientFlags
	}
	if s := shown(); len(s) != 1 || s[0].Kind != want[0].Kind || !s[0].Until.Equal(end) {
		t.Fatalf("while current the inbox shows %v, want %v", s, want)
	}
	b.Clock.Add(end.Sub(b.Clock.Now()) - time.Second) // the last second of its last day
	if s := shown(); len(s) != 1 {
		t.Fatalf("at its last second the inbox shows %v, want the flag", s)
	}
	b.Clock.Add(time.Second)
	if s := shown(); len(s) != 0 {
		t.Fatalf("after its end the inbox shows %v, want no flag", s)
	}
}
