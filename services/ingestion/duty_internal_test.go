package ingestion

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/sms"
)

func TestParseDutyReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		reply  sms.Reply
		client string
	}{
		{"1", sms.ReplyAcknowledge, ""},
		{" 2 \n", sms.ReplyDecline, ""},
		{"1 C-7Q2KX3", sms.ReplyAcknowledge, "C-7Q2KX3"},
		{"2 7q2kx3", sms.ReplyDecline, "C-7Q2KX3"},
		{"1 C-7Q2KX3 please", sms.ReplyOther, ""},
		{"1 C-7Q/2", sms.ReplyOther, ""},
		{"yes", sms.ReplyOther, ""},
		{"", sms.ReplyNone, ""},
	}
	for _, tt := range tests {
		reply, client := parseDutyReply(tt.body)
		if reply != tt.reply || client != tt.client {
			t.Errorf("parseDutyReply(%q) = %s %q, want %s %q", tt.body, reply, client, tt.reply, tt.client)
		}
	}
}

// TestPageIndexNewestFirstOncePerEscalation: pages come back newest first
// (of one moment, the last made first), an escalation once however often
// it is paged or redelivered, at most maxRecentPages.
func TestPageIndexNewestFirstOncePerEscalation(t *testing.T) {
	t.Parallel()
	x := NewPageIndex()
	at := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	page := func(seq uint64, esc string, when time.Time) {
		t.Helper()
		e, err := events.NewWithID(fmt.Sprintf("page-%d", seq), "cv-"+esc, events.EscalationPaged{EscalationID: esc, StaffID: "dana", Level: 0, Round: 1},
			events.Meta{OccurredAt: when})
		if err != nil {
			t.Fatal(err)
		}
		e.Sequence = seq
		if err := x.Handle(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	page(1, "a", at)
	page(2, "b", at)
	page(2, "b", at) // redelivered
	page(3, "c", at.Add(-time.Minute))
	page(4, "a", at.Add(time.Minute)) // a again, at the next round
	got := x.Recent("dana")
	if len(got) != 3 || got[0].EscalationID != "a" || got[1].EscalationID != "b" || got[2].EscalationID != "c" || got[1].ConversationID != "cv-b" {
		t.Fatalf("Recent = %+v, want a, b, c", got)
	}
	if x.applied() != 4 || len(x.Recent("robin")) != 0 {
		t.Fatalf("applied %d, robin's %v", x.applied(), x.Recent("robin"))
	}
	for i := range maxRecentPages + 5 {
		page(uint64(10+i), fmt.Sprintf("e%d", i), at.Add(time.Duration(i)*time.Hour))
	}
	if got := x.Recent("dana"); len(got) != maxRecentPages || got[0].EscalationID != fmt.Sprintf("e%d", maxRecentPages+4) {
		t.Fatalf("after many pages: %d, newest %s", len(got), got[0].EscalationID)
	}
}
