package app_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/views"
)

// wrapUp is a wrap-up the default taxonomy accepts.
var wrapUp = app.Close{Outcome: "supported", Categories: []string{"reason:mental_health", "risk:low", "action:listened"}}

// seen is the last_message_seq of conv's page as actor reads it now.
func (b *bed) seen(t *testing.T, actor app.Actor, conv string) uint64 {
	t.Helper()
	c, err := b.app.Queries.ReadConversation.Handle(context.Background(), app.ReadConversation{Actor: actor, ConversationID: conv, Via: "page"})
	if err != nil {
		t.Fatal(err)
	}
	return c.LastMessageSeq
}

// closing is wrapUp by actor on conv, having seen seq.
func closing(actor app.Actor, conv string, seq uint64) app.Close {
	cmd := wrapUp
	cmd.Actor, cmd.ConversationID, cmd.SeenSeq = actor, conv, seq
	return cmd
}

// closeAs closes conv as actor with wrapUp, having seen the page as it is.
func (b *bed) closeAs(t *testing.T, actor app.Actor, conv string) error {
	t.Helper()
	return b.app.Commands.Close.Handle(context.Background(), closing(actor, conv, b.seen(t, actor, conv)))
}

// history is the types of a conversation's events, in order.
func (b *bed) history(t *testing.T, conv string) []string {
	t.Helper()
	var out []string
	for _, e := range b.Events(t, events.AggregateConversation, "") {
		if e.AggregateID == conv {
			out = append(out, e.Type)
		}
	}
	return out
}

func inboxIDs(t *testing.T, b *bed, actor app.Actor, state string) []string {
	t.Helper()
	l, err := b.app.Queries.Inbox.Handle(context.Background(), app.Inbox{Actor: actor, State: state})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range l.Conversations {
		out = append(out, c.ID)
	}
	return out
}

func TestCloseWithOutcome(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900901", "thank you, that helped")
	b.assign(t, conv, "wes", "day")
	if err := b.closeAs(t, wes, conv); err != nil {
		t.Fatal(err)
	}
	b.catchUp(t)
	c, err := b.inbox.Get(context.Background(), conv)
	if err != nil || c.Open || c.Outcome != "supported" {
		t.Fatalf("inbox after close: %+v, %v", c, err)
	}
	closed := b.Events(t, events.AggregateConversation, events.TypeConversationClosed)
	p, _ := closed[len(closed)-1].Decode()
	if got := p.(events.ConversationClosed); got.ByStaffID != "wes" || !slices.Equal(got.Categories, []string{"action:listened", "reason:mental_health", "risk:low"}) {
		t.Fatalf("closed: %+v", got)
	}
	// The inbox lists open conversations by default, closed ones on request.
	if ids := inboxIDs(t, b, wes, ""); slices.Contains(ids, conv) {
		t.Errorf("the open inbox lists the closed conversation: %v", ids)
	}
	if ids := inboxIDs(t, b, wes, app.StateClosed); !slices.Equal(ids, []string{conv}) {
		t.Errorf("closed inbox: %v, want %s", ids, conv)
	}
	if ids := inboxIDs(t, b, dana, app.StateAll); !slices.Contains(ids, conv) {
		t.Errorf("all: %v", ids)
	}
	if _, err := b.app.Queries.Inbox.Handle(context.Background(), app.Inbox{Actor: wes, State: "shut"}); !errors.Is(err, app.ErrBadRequest) {
		t.Errorf("unknown state: %v", err)
	}
}

// TestCloseAfterAMessageThePageDidNotShow: a message that came after the
// worker's page was loaded refuses the close, and nothing changes.
func TestCloseAfterAMessageThePageDidNotShow(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900902", "ok, bye")
	seq := b.seen(t, dana, conv)
	b.Text(t, "+447700900902", lineNumber, "actually, one more thing")
	before := b.history(t, conv)
	if err := b.app.Commands.Close.Handle(context.Background(), closing(dana, conv, seq)); !errors.Is(err, events.ErrNewMessage) {
		t.Fatalf("close over an unread message: %v, want ErrNewMessage", err)
	}
	if after := b.history(t, conv); !slices.Equal(after, before) {
		t.Fatalf("a refused close changed the log: %v, then %v", before, after)
	}
}

// racing is the conversation repository with a client's message arriving
// between the close's read of the conversation and its append.
type racing struct {
	app.Conversations
	once    sync.Once
	message func()
}

func (r *racing) Update(ctx context.Context, id string, decide func(*events.Conversation) error) (events.Saved[*events.Conversation], error) {
	return r.Conversations.Update(ctx, id, func(c *events.Conversation) error {
		r.once.Do(r.message) // after the load, before the append
		return decide(c)
	})
}

func TestCloseRacingANewMessageIsRefused(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900903", "ok, bye")
	seq := b.seen(t, dana, conv)
	convs, err := events.NewConversations(b.Store, 8)
	if err != nil {
		t.Fatal(err)
	}
	r := &racing{Conversations: convs, message: func() { b.Text(t, "+447700900903", lineNumber, "wait, I am not safe") }}
	a := app.New(app.Deps{Conversations: r, Audit: b.Store, Keys: b.Keys, Inbox: b.inbox, Queue: b.queue, Staff: b.staff, File: b.File,
		Now: b.Clock.Now, Logger: zerolog.Nop()})
	if err := a.Commands.Close.Handle(context.Background(), closing(dana, conv, seq)); !errors.Is(err, events.ErrNewMessage) {
		t.Fatalf("close racing a message: %v, want ErrNewMessage", err)
	}
	h := b.history(t, conv)
	if slices.Contains(h, events.TypeConversationClosed) || h[len(h)-1] != events.TypeMessageReceived {
		t.Fatalf("history %v: the message must be in and the close not", h)
	}
}

func TestMessageAfterCloseReopensWithinTheWindowOnly(t *testing.T) {
	t.Parallel()
	b := newBed(t)
	const client = "+447700900904"
	conv := b.conversation(t, client, "thanks")
	if err := b.closeAs(t, dana, conv); err != nil {
		t.Fatal(err)
	}
	b.Clock.Add(23 * time.Hour)
	if rc := b.Text(t, client, lineNumber, "me again"); rc.ConversationID != conv {
		t.Fatalf("within the window the message went to %s, want %s reopened", rc.ConversationID, conv)
	}
	b.catchUp(t)
	if c, err := b.inbox.Get(context.Background(), conv); err != nil || !c.Open || c.Outcome != "" {
		t.Fatalf("reopened conversation in the inbox: %+v, %v", c, err)
	}
	if ids := inboxIDs(t, b, dana, ""); !slices.Contains(ids, conv) {
		t.Fatalf("the reopened conversation is not in the open inbox: %v", ids)
	}
	if err := b.closeAs(t, dana, conv); err != nil {
		t.Fatal(err)
	}
	b.Clock.Add(25 * time.Hour)
	rc := b.Text(t, client, lineNumber, "hello, it's been a while")
	if rc.ConversationID == conv {
		t.Fatal("after the window the message reopened the old conversation")
	}
	if h := b.history(t, conv); h[len(h)-1] != events.TypeConversationClosed {
		t.Fatalf("the old conversation changed after the window: %v", h)
	}
}

func TestHandOverNoteIsVisibleToTheNewAssignee(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900905", "can we talk tomorrow?")
	ctx := context.Background()
	b.assign(t, conv, "wes", "day")
	const note = "Prefers texts after 6pm; safety plan agreed."
	id, err := b.app.Commands.HandOver.Handle(ctx, app.HandOver{Actor: wes, ConversationID: conv, HandOverID: "h1", AssigneeID: "nia", Note: note})
	if err != nil || id != "h1" {
		t.Fatalf("hand over: %q, %v", id, err)
	}
	if _, err := b.app.Commands.HandOver.Handle(ctx, app.HandOver{Actor: wes, ConversationID: conv, HandOverID: "h1", AssigneeID: "nia", Note: note}); err != nil {
		t.Fatalf("a repeated hand-over: %v", err)
	}
	b.catchUp(t)
	if n := len(b.Events(t, events.AggregateConversation, events.TypeConversationHandedOver)); n != 1 {
		t.Fatalf("%d hand-overs recorded, want 1", n)
	}
	c, err := b.app.Queries.ReadConversation.Handle(ctx, app.ReadConversation{Actor: nia, ConversationID: conv, Via: "page"})
	if err != nil {
		t.Fatalf("the new assignee reads: %v", err)
	}
	i := slices.IndexFunc(c.Messages, func(m views.Message) bool { return m.Direction == inbox.DirectionNote })
	if c.AssigneeID != "nia" || i < 0 || c.Messages[i].Text != note || c.Messages[i].SenderName != "Wes Worker" || c.Messages[i].To != "Nia Night" {
		t.Fatalf("the new assignee sees %+v", c)
	}
	if audits := b.audits(t); audits[len(audits)-1].MessagesDisclosed != 2 {
		t.Errorf("the note was not counted as content read: %+v", audits[len(audits)-1])
	}
}

func TestBadWrapUpsAndHandOversChangeNothing(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900906", "hello")
	ctx := context.Background()
	b.assign(t, conv, "wes", "day")
	seq := b.seen(t, wes, conv)
	before := b.history(t, conv)
	closeWith := func(outcome string, seq uint64, cats ...string) error {
		return b.app.Commands.Close.Handle(ctx, app.Close{Actor: wes, ConversationID: conv, Outcome: outcome, Categories: cats, SeenSeq: seq})
	}
	handTo := func(who, team, note string) error {
		_, err := b.app.Commands.HandOver.Handle(ctx, app.HandOver{Actor: wes, ConversationID: conv, AssigneeID: who, TeamID: team, Note: note})
		return err
	}
	for name, err := range map[string]error{
		"unknown outcome":          closeWith("vanished", seq, "reason:family", "risk:low"),
		"unknown category":         closeWith("supported", seq, "reason:family", "risk:low", "mood:blue"),
		"missing required group":   closeWith("supported", seq, "reason:family"),
		"no sequence":              closeWith("supported", 0, "reason:family", "risk:low"),
		"empty note":               handTo("nia", "", "   "),
		"unknown assignee":         handTo("zed", "", "over to you"),
		"a manager":                handTo("mia", "", "over to you"),
		"unknown team":             handTo("", "moon", "over to you"),
		"nobody":                   handTo("", "", "over to you"),
		"theirs already":           handTo("wes", "", "over to you"),
		"a note far too long":      handTo("nia", "", string(make([]byte, 600))),
		"a worker of another team": nil,
	} {
		if name == "a worker of another team" {
			_, err = b.app.Commands.HandOver.Handle(ctx, app.HandOver{Actor: nia, ConversationID: conv, AssigneeID: "nia", Note: "mine now"})
			if !errors.Is(err, app.ErrForbidden) {
				t.Errorf("%s: %v, want ErrForbidden", name, err)
			}
			continue
		}
		if !errors.Is(err, app.ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
	if after := b.history(t, conv); !slices.Equal(after, before) {
		t.Fatalf("refused commands changed the log: %v, then %v", before, after)
	}
}
