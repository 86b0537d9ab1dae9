package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/projections"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console/app"
)

// The use cases run here on the real platform (embedded NATS, the event
// store, the keyring, the projections on memory stores), without HTTP:
// what a port adds is decoding and encoding only.

const lineNumber = "+442079460000"

const config = `
lines:
  - {id: main, name: Test Line, number: "` + lineNumber + `", timezone: Europe/London, always_open: true, first_response_target: 1h}
staff:
  - {id: dana, name: Dana Duty, role: duty, teams: [day]}
  - {id: bo, name: Bo Backup, role: duty, teams: [day]}
  - {id: wes, name: Wes Worker, role: worker, teams: [day]}
  - {id: nia, name: Nia Night, role: worker, teams: [night]}
  - {id: mia, name: Mia Manager, role: manager}
  - {id: ada, name: Ada Admin, role: admin}
`

const password = testbed.Password

// Actors, as a session would make them.
var (
	dana = app.Actor{ID: "dana", Name: "Dana Duty", Role: events.RoleDuty}
	bo   = app.Actor{ID: "bo", Name: "Bo Backup", Role: events.RoleDuty}
	wes  = app.Actor{ID: "wes", Name: "Wes Worker", Role: events.RoleWorker}
	nia  = app.Actor{ID: "nia", Name: "Nia Night", Role: events.RoleWorker}
	mia  = app.Actor{ID: "mia", Name: "Mia Manager", Role: events.RoleManager}
	ada  = app.Actor{ID: "ada", Name: "Ada Admin", Role: events.RoleAdmin}
)

type bed struct {
	*testbed.Bed
	app     app.Application
	staff   *app.Staff
	inbox   *inbox.View
	queue   *escalations.Queue
	runners []*projections.Runner
}

func newBed(t *testing.T) *bed {
	t.Helper()
	ctx := context.Background()
	b := &bed{Bed: testbed.New(t, config, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))}
	b.inbox, b.queue = inbox.NewView(inbox.NewMemoryStore()), escalations.NewQueue(escalations.NewMemoryStore())
	times := responsetimes.NewView(responsetimes.NewMemoryStore(), map[string]responsetimes.Targets{"main": {FirstResponse: time.Hour}})
	for _, p := range []projections.Projection{b.inbox, b.queue, times} {
		b.runners = append(b.runners, projections.NewRunner(b.Store, p, zerolog.Nop()))
	}
	b.staff = app.NewStaff(b.Store, nil, b.File, b.Clock.Now, zerolog.Nop())
	convs, err := events.NewConversations(b.Store, 64)
	if err != nil {
		t.Fatal(err)
	}
	b.app = app.New(app.Deps{Conversations: convs, Clients: events.NewClients(b.Store), Audit: b.Store, Keys: b.Keys, Inbox: b.inbox, Queue: b.queue,
		Figures: times, Staff: b.staff, File: b.File, Now: b.Clock.Now, Logger: zerolog.Nop()})
	for _, a := range []app.Actor{dana, bo, wes, nia, mia, ada} {
		b.Register(t, a.ID, a.Name, a.Role, testbed.PasswordHash(app.HashPassword))
	}
	if err := b.staff.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

// catchUp applies the log to the projections.
func (b *bed) catchUp(t *testing.T) {
	t.Helper()
	for _, r := range b.runners {
		if _, err := r.Replay(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// opened opens most tests: a bed on which the client from has texted
// body; it returns the bed and that conversation's id.
func opened(t *testing.T, from, body string) (*bed, string) {
	t.Helper()
	b := newBed(t)
	return b, b.conversation(t, from, body)
}

// conversation brings an SMS in from a client and returns its
// conversation's id, the projections caught up.
func (b *bed) conversation(t *testing.T, from, body string) string {
	t.Helper()
	rc := b.Text(t, from, lineNumber, body)
	b.catchUp(t)
	return rc.ConversationID
}

// escalate raises an escalation in a conversation, as triage would.
func (b *bed) escalate(t *testing.T, conversationID, escalationID string) {
	t.Helper()
	e, err := events.New(conversationID, events.EscalationRaised{EscalationID: escalationID, LineID: "main", Reason: events.ReasonCrisis,
		Risk: events.RiskCrisis}, events.Meta{OccurredAt: b.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store.Append(context.Background(), events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
	b.catchUp(t)
}

// record changes a conversation as another service would: through a
// repository of its own, so the application's must read the change from
// the log.
func (b *bed) record(t *testing.T, conversationID string, fn func(*events.Conversation) error) {
	t.Helper()
	convs, err := events.NewConversations(b.Store, 8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convs.Update(context.Background(), conversationID, fn); err != nil {
		t.Fatal(err)
	}
}

// assign gives a conversation to a worker, as a duty worker would.
func (b *bed) assign(t *testing.T, conversationID, to, team string) {
	t.Helper()
	if err := b.app.Commands.Assign.Handle(context.Background(), app.Assign{Actor: dana, ConversationID: conversationID, AssigneeID: to, TeamID: team}); err != nil {
		t.Fatal(err)
	}
	b.catchUp(t)
}

// audits returns the content_read records, oldest first.
func (b *bed) audits(t *testing.T) []events.ContentRead {
	t.Helper()
	var out []events.ContentRead
	for _, r := range testbed.Readings(t, b.Store) {
		out = append(out, r.ContentRead)
	}
	return out
}
