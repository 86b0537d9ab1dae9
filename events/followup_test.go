package events_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// closedWithFollowUp is a conversation closed at closedAt with a
// follow-up due a day later (the line allows two weeks ahead).
func closedWithFollowUp(t *testing.T, closedAt time.Time) (*events.Conversation, events.FollowUp) {
	t.Helper()
	c := openConversation(t, "c-followup")
	plan := &events.FollowUpPlan{Consent: true, Due: closedAt.Add(24 * time.Hour), Within: 14 * 24 * time.Hour}
	if err := c.Close("alex", events.WrapUp{Outcome: "supported", SeenSeq: 2, FollowUp: plan}, testTaxonomy{}, events.Meta{OccurredAt: closedAt}); err != nil {
		t.Fatal(err)
	}
	if len(c.FollowUps) != 1 {
		t.Fatalf("%d follow-ups, want 1", len(c.FollowUps))
	}
	for _, f := range c.FollowUps {
		return c, f
	}
	panic("unreachable")
}

func pendingTypes(c *events.Conversation) []string {
	var types []string
	for _, e := range c.Pending() {
		types = append(types, e.Type)
	}
	return types
}

func TestCloseSchedulesAFollowUpTheClientAgreedTo(t *testing.T) {
	t.Parallel()
	closedAt := t0.Add(time.Hour)
	c, f := closedWithFollowUp(t, closedAt)
	if want := []string{events.TypeConversationClosed, events.TypeFollowUpScheduled}; !slices.Equal(pendingTypes(c), want) {
		t.Fatalf("recorded %v, want %v", pendingTypes(c), want)
	}
	if !f.Pending() || !f.DueAt.Equal(closedAt.Add(24*time.Hour)) || !f.ScheduledAt.Equal(closedAt) {
		t.Fatalf("follow-up %+v", f)
	}
}

func TestFollowUpRefusals(t *testing.T) {
	t.Parallel()
	at := t0.Add(time.Hour)
	const within = 14 * 24 * time.Hour
	tests := []struct {
		name    string
		channel string
		plan    events.FollowUpPlan
	}{
		{"without the client's consent", events.ChannelSMS, events.FollowUpPlan{Due: at.Add(time.Hour), Within: within}},
		{"in the past", events.ChannelSMS, events.FollowUpPlan{Consent: true, Due: at.Add(-time.Minute), Within: within}},
		{"now", events.ChannelSMS, events.FollowUpPlan{Consent: true, Due: at, Within: within}},
		{"beyond the line's maximum", events.ChannelSMS, events.FollowUpPlan{Consent: true, Due: at.Add(within + time.Minute), Within: within}},
		{"on a line without follow-ups", events.ChannelSMS, events.FollowUpPlan{Consent: true, Due: at.Add(time.Hour)}},
		{"to a web chat client", events.ChannelWebChat, events.FollowUpPlan{Consent: true, Due: at.Add(time.Hour), Within: within}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fold(t, "c-fu-refuse",
				events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: tt.channel},
				events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: events.Sealed{KeyID: "k1", Data: []byte{1}}, ReceivedAt: t0})
			plan := tt.plan
			err := c.Close("alex", events.WrapUp{Outcome: "supported", SeenSeq: 2, FollowUp: &plan}, testTaxonomy{}, events.Meta{OccurredAt: at})
			if !errors.Is(err, events.ErrInvalidCommand) {
				t.Fatalf("close: %v, want ErrInvalidCommand", err)
			}
		})
	}
}

// TestReplyToAFollowUpReopensOutsideTheWindow: the follow-up is sent two
// days after the close; the client's reply a day after it, long past the
// line's reopen window, reopens the conversation and marks the follow-up
// answered (before the message, so a batch cut short keeps the mark); a
// second message is an ordinary one.
func TestReplyToAFollowUpReopensOutsideTheWindow(t *testing.T) {
	t.Parallel()
	closedAt := t0.Add(time.Hour)
	c, f := closedWithFollowUp(t, closedAt)
	sentAt := closedAt.Add(48 * time.Hour)
	if err := c.RecordSent(events.FollowUpSendID(f.ID), events.SendAutoReply, "SM-fu", events.Meta{OccurredAt: sentAt}); err != nil {
		t.Fatal(err)
	}
	if got := c.FollowUps[f.ID]; got.Outcome != "sent" || !got.SentAt.Equal(sentAt) {
		t.Fatalf("after the send: %+v", got)
	}
	body := events.Sealed{KeyID: "k1", Data: []byte{2}}
	if err := c.Receive("m2", "SM2", body, time.Hour, events.Meta{OccurredAt: sentAt.Add(24 * time.Hour)}); err != nil {
		t.Fatalf("reply to the follow-up: %v", err)
	}
	want := []string{events.TypeConversationClosed, events.TypeFollowUpScheduled, events.TypeMessageSent,
		events.TypeConversationReopened, events.TypeFollowUpAnswered, events.TypeMessageReceived}
	if got := pendingTypes(c); !slices.Equal(got, want) || c.Closed || !c.FollowUps[f.ID].Answered {
		t.Fatalf("recorded %v (closed %v, answered %v), want %v", got, c.Closed, c.FollowUps[f.ID].Answered, want)
	}
	if err := c.Receive("m3", "SM3", body, time.Hour, events.Meta{OccurredAt: sentAt.Add(25 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := pendingTypes(c); len(got) != len(want)+1 || got[len(got)-1] != events.TypeMessageReceived {
		t.Fatalf("a second message recorded %v", got[len(want):])
	}
}

func TestReplyAfterTheFollowUpWindowStartsANewConversation(t *testing.T) {
	t.Parallel()
	closedAt := t0.Add(time.Hour)
	c, f := closedWithFollowUp(t, closedAt)
	sentAt := closedAt.Add(24 * time.Hour)
	if err := c.RecordSent(events.FollowUpSendID(f.ID), events.SendAutoReply, "SM-fu", events.Meta{OccurredAt: sentAt}); err != nil {
		t.Fatal(err)
	}
	late := events.Meta{OccurredAt: sentAt.Add(events.FollowUpReplyWindow + time.Minute)}
	if err := c.Receive("m2", "SM2", events.Sealed{KeyID: "k1", Data: []byte{2}}, time.Hour, late); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("a reply after the window: %v, want ErrClosed", err)
	}
}

// TestClientComingBackCancelsThePendingFollowUp: a message within the
// reopen window, before the follow-up is due, reopens the conversation
// and cancels it; the send then finds nothing pending.
func TestClientComingBackCancelsThePendingFollowUp(t *testing.T) {
	t.Parallel()
	closedAt := t0.Add(time.Hour)
	c, f := closedWithFollowUp(t, closedAt)
	if err := c.Receive("m2", "SM2", events.Sealed{KeyID: "k1", Data: []byte{2}}, 24*time.Hour, events.Meta{OccurredAt: closedAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want := []string{events.TypeConversationClosed, events.TypeFollowUpScheduled, events.TypeConversationReopened,
		events.TypeFollowUpCancelled, events.TypeMessageReceived}
	if got := pendingTypes(c); !slices.Equal(got, want) {
		t.Fatalf("recorded %v, want %v", got, want)
	}
	if got := c.FollowUps[f.ID]; got.Pending() || got.Reason != events.FollowUpClientReturned {
		t.Fatalf("follow-up %+v, want cancelled as the client came back", got)
	}
}

func TestCancelFollowUpOnce(t *testing.T) {
	t.Parallel()
	c, f := closedWithFollowUp(t, t0.Add(time.Hour))
	m := events.Meta{OccurredAt: t0.Add(2 * time.Hour)}
	for range 2 {
		if err := c.CancelFollowUp(f.ID, events.FollowUpOptedOut, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := pendingTypes(c); len(got) != 3 || got[2] != events.TypeFollowUpCancelled {
		t.Fatalf("recorded %v, want one cancellation", got)
	}
	if err := c.CancelFollowUp("nope", events.FollowUpOptedOut, m); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("unknown follow-up: %v", err)
	}
	// A send recorded after the cancellation does not make it sent.
	if err := c.RecordSent(events.FollowUpSendID(f.ID), events.SendAutoReply, "SM", m); err != nil {
		t.Fatal(err)
	}
	if got := c.FollowUps[f.ID]; got.Outcome != "cancelled" || !got.SentAt.IsZero() {
		t.Fatalf("follow-up %+v", got)
	}
}
