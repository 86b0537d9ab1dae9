package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/erasure"
	"github.com/helpline-org/helpline/internal/testbed"
)

// TestRetentionDryRunListsOpaqueIDsOnly: `clients retention --dry-run`
// says how many clients would go and lists their opaque client ids, never
// a number or a pseudonym, and erases nobody; the run then erases them.
func TestRetentionDryRunListsOpaqueIDsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testbed.Config(`number: "+442079460000", timezone: Europe/London, always_open: true, retention_days: 1`, "5m",
		testbed.On("duty", testbed.Member{ID: "dana", Name: "Dana Duty", Role: "duty", Phone: "+447700900101"}))
	b := testbed.New(t, cfg, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	rc := b.Text(t, "+447700900777", "+442079460000", "hello")
	b.Close(t, rc.ConversationID, "wes")
	b.Clock.Add(49 * time.Hour)
	job := erasure.NewRetention(b.Store, erasure.NewEraser(b.Keys, events.NewClients(b.Store), b.Clock.Now), erasure.Periods{"main": 24 * time.Hour}, b.Clock.Now)

	var out bytes.Buffer
	if err := runRetention(ctx, job, true, "retention", stdio{out: &out}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "1 clients would be erased (dry run)\n"+rc.ClientID+"\n"; got != want {
		t.Fatalf("dry run printed %q, want %q", got, want)
	}
	if regexp.MustCompile(`\+?\d{8,15}|C-[A-Za-z0-9]{6}`).MatchString(strings.ReplaceAll(out.String(), rc.ClientID, "")) || strings.Contains(out.String(), rc.Pseudonym) {
		t.Fatalf("the dry run shows a number or a pseudonym: %q", out.String())
	}
	if _, err := b.Keys.DataKey(ctx, rc.ClientID); err != nil {
		t.Fatalf("the dry run erased: %v", err)
	}
	out.Reset()
	if err := runRetention(ctx, job, false, "retention", stdio{out: &out}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "erased "+rc.ClientID+"\n1 clients erased (retention)\n"; got != want {
		t.Fatalf("the run printed %q, want %q", got, want)
	}
}
