package inbox

import (
	"context"
	"slices"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestFollowUpReplyIsMarkedWhileOpen: a conversation closed with a
// follow-up, the follow-up sent, the client's reply reopening it: the row
// is open, flagged follow_up_reply, with the follow-up among its messages
// as an automatic one; closed again, the mark goes.
func TestFollowUpReplyIsMarkedWhileOpen(t *testing.T) {
	t.Parallel()
	s := &projectiontest.Script{T: t}
	s.Add("conv6", at(12, 0, 0), events.ConversationStarted{LineID: "main", ClientID: "cE", Pseudonym: "C-EEEE", Channel: events.ChannelSMS})
	s.Add("conv6", at(12, 0, 1), events.MessageReceived{MessageID: "m10", LineID: "main", ClientID: "cE", Channel: events.ChannelSMS,
		Body: sealed("cE", "m10"), ReceivedAt: at(12, 0, 1)})
	s.Add("conv6", at(12, 1, 0), events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"risk:low"}})
	s.Add("conv6", at(12, 1, 0), events.FollowUpScheduled{FollowUpID: "fu1", DueAt: at(14, 0, 0), ByStaffID: "alex"})
	s.Add("conv6", at(14, 0, 0), events.MessageSent{SendID: events.FollowUpSendID("fu1"), Kind: events.SendAutoReply, Recipient: "client", ProviderMessageID: "SMfu"})
	s.Add("conv6", at(15, 0, 0), events.ConversationReopened{MessageID: "m11"})
	s.Add("conv6", at(15, 0, 0), events.FollowUpAnswered{FollowUpID: "fu1", MessageID: "m11"})
	s.Add("conv6", at(15, 0, 0), events.MessageReceived{MessageID: "m11", LineID: "main", ClientID: "cE", Channel: events.ChannelSMS,
		Body: sealed("cE", "m11"), ReceivedAt: at(15, 0, 0)})
	v := NewView(NewMemoryStore())
	projectiontest.ApplyAll(t, v, s.Envs, relevant)
	ctx := context.Background()
	c, err := v.Get(ctx, "conv6")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Open || c.Unread != 1 || !slices.Equal(c.Flags, []string{FlagFollowUpReply}) {
		t.Fatalf("after the reply: open %v, unread %d, flags %v; want open, 1 (the close read what came before), [%s]", c.Open, c.Unread, c.Flags, FlagFollowUpReply)
	}
	msgs, err := v.Messages(ctx, "conv6")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[1].ID != events.FollowUpSendID("fu1") || msgs[1].Kind != events.SendAutoReply || msgs[1].Status != "sent" {
		t.Fatalf("messages %+v: want the follow-up between the two messages, sent", msgs)
	}

	s.Add("conv6", at(16, 0, 0), events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"risk:low"}})
	projectiontest.ApplyAll(t, v, s.Envs[len(s.Envs)-1:], relevant)
	if c, err = v.Get(ctx, "conv6"); err != nil || c.Open || len(c.Flags) != 0 {
		t.Fatalf("closed again: open %v, flags %v (%v); want closed, no flags", c.Open, c.Flags, err)
	}
}
