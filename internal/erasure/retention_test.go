package erasure_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/erasure"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/testbed"
)

const (
	lineNumber = "+442079460000"
	config     = `
lines:
  - {id: main, number: "` + lineNumber + `", timezone: Europe/London, always_open: true, retention_days: 1}
  - {id: keep, number: "+442079460001", timezone: Europe/London, always_open: true}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "+447700900101"}
rota:
  - {line: main, level: duty, staff: dana}
policies:
  - {id: default, levels: [duty]}
`
)

// TestRetentionErasesOnlyClientsClosedLongerThanThePeriod: with a period
// of one day, a client whose conversation closed two days ago is erased
// (key destroyed, client.erased with reason retention), one closed an
// hour ago is not, nor one whose conversation is still open, nor one of a
// line that keeps its clients; the dry run lists the first only, and a
// second run erases nobody.
func TestRetentionErasesOnlyClientsClosedLongerThanThePeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := testbed.New(t, config, start)
	closeNow := func(conv string) { t.Helper(); b.Close(t, conv, "wes") }
	old := b.Text(t, "+447700900501", lineNumber, "hello")
	kept := b.Text(t, "+447700900504", "+442079460001", "hello")
	back := b.Text(t, "+447700900505", lineNumber, "hello")
	for _, c := range []string{old.ConversationID, kept.ConversationID, back.ConversationID} {
		closeNow(c)
	}
	// A client who came back after their conversation closed is not due.
	b.Clock.Add(time.Hour)
	b.Text(t, "+447700900505", lineNumber, "me again")
	b.Clock.Add(46 * time.Hour)
	recent := b.Text(t, "+447700900502", lineNumber, "hello")
	open := b.Text(t, "+447700900503", lineNumber, "hello")
	closeNow(recent.ConversationID)
	b.Clock.Add(time.Hour) // old closed 48h ago, recent an hour ago

	job := erasure.NewRetention(b.Store, erasure.NewEraser(b.Keys, events.NewClients(b.Store), b.Clock.Now),
		erasure.Periods{"main": 24 * time.Hour}, b.Clock.Now)
	due, err := job.Due(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(due, []string{old.ClientID}) {
		t.Fatalf("dry run lists %v, want only the client closed two days ago (%s)", due, old.ClientID)
	}
	for _, c := range []string{old.ClientID, recent.ClientID, open.ClientID, kept.ClientID, back.ClientID} {
		if _, err := b.Keys.DataKey(ctx, c); err != nil {
			t.Fatalf("the dry run touched %s: %v", c, err)
		}
	}

	erased, err := job.Run(ctx, "retention")
	if err != nil || !slices.Equal(erased, []string{old.ClientID}) {
		t.Fatalf("run erased %v, %v; want %s", erased, err, old.ClientID)
	}
	if _, err := b.Keys.DataKey(ctx, old.ClientID); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("the old client's key: %v, want erased", err)
	}
	for _, c := range []string{recent.ClientID, open.ClientID, kept.ClientID, back.ClientID} {
		if _, err := b.Keys.DataKey(ctx, c); err != nil {
			t.Fatalf("client %s was touched: %v", c, err)
		}
	}
	recorded := b.Events(t, events.AggregateClient, events.TypeClientErased)
	if len(recorded) != 1 || recorded[0].AggregateID != old.ClientID {
		t.Fatalf("client.erased events: %+v", recorded)
	}
	p, err := recorded[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if e := p.(events.ClientErased); e.Reason != erasure.ReasonRetention || e.ByStaffID != "retention" {
		t.Fatalf("recorded %+v", e)
	}
	if again, err := job.Run(ctx, "retention"); err != nil || len(again) != 0 {
		t.Fatalf("a second run erased %v, %v; want nobody", again, err)
	}
}
