package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
)

// TestReadingContentIsAudited: every reading that discloses content
// leaves one audit record first; a refused reading leaves none.
func TestReadingContentIsAudited(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900801", "I cannot sleep again")
	ctx := context.Background()
	b.assign(t, conv, "wes", "day")
	read := func(q app.ReadConversation) error {
		c, err := b.app.Queries.ReadConversation.Handle(ctx, q)
		if err == nil && (len(c.Messages) != 1 || c.Messages[0].Text != "I cannot sleep again" || c.AssigneeName != "Wes Worker") {
			t.Fatalf("read %+v", c)
		}
		return err
	}
	for _, c := range []struct {
		name string
		q    app.ReadConversation
		want error
	}{
		{"the assignee", app.ReadConversation{Actor: wes, ConversationID: conv, Via: "api"}, nil},
		{"a duty worker", app.ReadConversation{Actor: dana, ConversationID: conv, Via: "page"}, nil},
		{"another team's worker", app.ReadConversation{Actor: nia, ConversationID: conv, Via: "api"}, app.ErrForbidden},
		{"an admin without break-glass", app.ReadConversation{Actor: ada, ConversationID: conv, Via: "page"}, app.ErrForbidden},
		{"break-glass without a reason", app.ReadConversation{Actor: ada, ConversationID: conv, Via: "page", BreakGlass: true, Reason: " short "}, app.ErrBadRequest},
		{"break-glass with a reason", app.ReadConversation{Actor: ada, ConversationID: conv, Via: "api", BreakGlass: true, Reason: "Police safeguarding request"}, nil},
	} {
		if err := read(c.q); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	want := []events.ContentRead{
		{ConversationID: conv, Role: events.RoleWorker, Via: "api", MessagesDisclosed: 1},
		{ConversationID: conv, Role: events.RoleDuty, Via: "page", MessagesDisclosed: 1},
		{ConversationID: conv, Role: events.RoleAdmin, Via: "api", BreakGlassReason: "Police safeguarding request", MessagesDisclosed: 1},
	}
	got := b.audits(t)
	if len(got) != len(want) {
		t.Fatalf("audit %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	l, err := b.app.Queries.Audit.Handle(ctx, app.Audit{Limit: 2})
	if err != nil || len(l.Records) != 2 || l.Next == "" || l.Records[0].StaffName != "Wes Worker" {
		t.Fatalf("audit trail page: %+v, %v", l, err)
	}
}

// TestInboxIsWhatEachMayRead: a worker's inbox is their own and their
// teams' conversations; a duty worker's is every conversation of the
// lines.
func TestInboxIsWhatEachMayRead(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	mine := b.conversation(t, "+447700900802", "one")
	team := b.conversation(t, "+447700900803", "two")
	other := b.conversation(t, "+447700900804", "three")
	b.assign(t, mine, "wes", "")
	b.assign(t, team, "bo", "day")
	b.assign(t, other, "nia", "night")
	for _, c := range []struct {
		a    app.Actor
		want []string
	}{
		{wes, []string{mine, team}},
		{nia, []string{other}},
		{dana, []string{mine, team, other}},
	} {
		l, err := b.app.Queries.Inbox.Handle(ctx, app.Inbox{Actor: c.a})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, conv := range l.Conversations {
			got[conv.ID] = true
		}
		if len(got) != len(c.want) {
			t.Errorf("%s sees %v, want %v", c.a.ID, got, c.want)
		}
		for _, id := range c.want {
			if !got[id] {
				t.Errorf("%s does not see %s", c.a.ID, id)
			}
		}
	}
	if _, err := b.app.Queries.Inbox.Handle(ctx, app.Inbox{Actor: wes, Cursor: "garbage"}); !errors.Is(err, app.ErrBadRequest) {
		t.Fatalf("bad cursor: %v", err)
	}
}

// TestReplyRules: a reply is checked before anything is recorded, and a
// repeated reply id is one reply.
func TestReplyRules(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900805", "is anyone there")
	ctx := context.Background()
	b.assign(t, conv, "wes", "")
	for _, c := range []struct {
		name string
		cmd  app.Reply
		want error
	}{
		{"empty", app.Reply{Actor: wes, ConversationID: conv, Body: "  "}, app.ErrBadRequest},
		{"too long", app.Reply{Actor: wes, ConversationID: conv, Body: strings.Repeat("x", 1601)}, app.ErrBadRequest},
		{"bad reply id", app.Reply{Actor: wes, ConversationID: conv, ReplyID: "no spaces", Body: "hi"}, app.ErrBadRequest},
		{"not theirs", app.Reply{Actor: nia, ConversationID: conv, Body: "hi"}, app.ErrForbidden},
		{"no such conversation", app.Reply{Actor: wes, ConversationID: "../x", Body: "hi"}, app.ErrNotFound},
	} {
		if _, err := b.app.Commands.Reply.Handle(ctx, c.cmd); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	for range 2 {
		id, err := b.app.Commands.Reply.Handle(ctx, app.Reply{Actor: wes, ConversationID: conv, ReplyID: "r1", Body: "We are here."})
		if err != nil || id != "r1" {
			t.Fatalf("reply: %q, %v", id, err)
		}
	}
	replies := b.Events(t, events.AggregateConversation, events.TypeReplyRequested)
	if len(replies) != 1 {
		t.Fatalf("%d reply events for one reply id", len(replies))
	}
	p, err := replies[0].Decode()
	if r, ok := p.(events.ReplyRequested); err != nil || !ok || r.SenderName != "Wes" || r.StaffID != "wes" {
		t.Fatalf("reply event %+v, %v: want signed with the first name only", p, err)
	}
}

// TestAutoRepliedConversationOpens: an out-of-hours auto-reply is stored
// without a body on purpose; the conversation still opens, showing the
// auto-reply as automatic with the line's text, and the audit record
// counts only the content shown, written once it was.
func TestAutoRepliedConversationOpens(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900805", "hello")
	ctx := context.Background()
	b.record(t, conv, func(c *events.Conversation) error {
		return c.RecordSent("ooh-"+conv+"-0a1b2c", events.SendAutoReply, "SM0123", events.Meta{OccurredAt: b.Clock.Now()})
	})
	b.catchUp(t)
	c, err := b.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: dana, ConversationID: conv, Via: "page"})
	if err != nil {
		t.Fatalf("a conversation with an auto-reply: %v", err)
	}
	if len(c.Messages) != 2 || c.Messages[0].Text != "hello" {
		t.Fatalf("messages %+v, want the client's and the auto-reply", c.Messages)
	}
	auto := c.Messages[1]
	if !auto.Automatic || auto.AutoReply != "out of hours" || !strings.Contains(auto.Text, "We are closed now") {
		t.Fatalf("auto-reply shown as %+v, want automatic, out of hours, with the line's text", auto)
	}
	want := []events.ContentRead{{ConversationID: conv, Role: events.RoleDuty, Via: "page", MessagesDisclosed: 1}}
	if got := b.audits(t); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("audit %+v, want %+v", got, want)
	}
}

// TestBackgroundRefreshesRecordAReadingOncePerView: a page left open
// refreshes itself; the first showing is recorded, a refresh that shows
// the same messages is not (until ReadingInterval has passed), a refresh
// that shows a new message is, and a reading the person asks for always
// is. Every showing of content still has a record covering it.
func TestBackgroundRefreshesRecordAReadingOncePerView(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	ctx := context.Background()
	const client = "+447700900811"
	conv := b.conversation(t, client, "I cannot sleep again")
	read := func(background bool) {
		t.Helper()
		if _, err := b.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: dana, ConversationID: conv, Via: "page", Background: background}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(want int, after string) {
		t.Helper()
		if got := len(b.audits(t)); got != want {
			t.Fatalf("after %s: %d audit records, want %d", after, got, want)
		}
	}
	read(false)
	count(1, "the page opened")
	for range 20 {
		read(true)
	}
	count(1, "20 background refreshes showing the same message")
	b.conversation(t, client, "still awake")
	read(true)
	count(2, "a refresh that shows a new message")
	read(true)
	count(2, "a refresh after it")
	b.Clock.Add(app.ReadingInterval - time.Second)
	read(true)
	count(2, "a refresh within the interval")
	b.Clock.Add(time.Second)
	read(true)
	count(3, "a refresh once the interval has passed")
	read(false)
	count(4, "the person opening the page again")
	// Another person's refresh is their own reading.
	if _, err := b.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: bo, ConversationID: conv, Via: "page", Background: true}); err != nil {
		t.Fatal(err)
	}
	count(5, "another duty worker's first (background) showing")
}
