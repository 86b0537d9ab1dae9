package inbox

import (
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// sealed is a stand-in ciphertext: the store keeps whatever the event
// carries, and these tests never open it.
func sealed(client, what string) events.Sealed {
	return events.Sealed{KeyID: client, Data: []byte("ciphertext of " + what)}
}

// scenario: four conversations of three clients on lines "main" and
// "other": crisis, replies with delivery callbacks early, late and in
// order, out of hours with an auto-reply, STOP (and HELP, which changes
// nothing) carried into the client's next conversation, a blocked and a
// failed reply, assignment, closing and an erased client (whose sealed
// bodies and terms the projection drops).
func scenario(t testing.TB) []events.Envelope {
	s := &projectiontest.Script{T: t}
	started := func(conv, client, line, pseudonym string, h, m, sec int) {
		s.Add(conv, at(h, m, sec), events.ConversationStarted{LineID: line, ClientID: client, Pseudonym: pseudonym, Channel: events.ChannelSMS})
	}
	in := func(conv, client, line, msg string, h, m, sec int) {
		s.Add(conv, at(h, m, sec), events.MessageReceived{MessageID: msg, LineID: line, ClientID: client, Channel: events.ChannelSMS,
			ProviderMessageID: "SMin" + msg, Body: sealed(client, msg), ReceivedAt: at(h, m, sec)})
	}
	reply := func(conv, client, id string, h, m, sec int) {
		s.Add(conv, at(h, m, sec), events.ReplyRequested{ReplyID: id, StaffID: "alex", SenderName: "Alex", Body: sealed(client, id)})
	}
	status := func(conv, sid, st string, code, h, m, sec int) {
		s.Add(conv, at(h, m, sec), events.DeliveryStatusChanged{ProviderMessageID: sid, Status: st, ErrorCode: code})
	}

	// conv1 (cA): crisis, escalated; reply r1 whose "sent" callback is in
	// the log before the send, then delivered, then a late "sent".
	started("conv1", "cA", "main", "C-AAAA", 10, 0, 0)
	in("conv1", "cA", "main", "m1", 10, 0, 1)
	s.Add("conv1", at(10, 0, 2), events.MessageTriaged{MessageID: "m1", Risk: events.RiskCrisis, Score: 3,
		Matches: []events.TriageMatch{{Category: "overdose_means", Language: "en", Weight: 3}}, Terms: sealed("cA", "terms m1"), LexiconVersion: "v1"})
	s.Add("conv1", at(10, 0, 3), events.EscalationRaised{EscalationID: "e1", LineID: "main", MessageID: "m1", Reason: events.ReasonCrisis,
		Risk: events.RiskCrisis, Categories: []string{"overdose_means"}, Terms: sealed("cA", "terms m1")})
	s.Add("conv1", at(10, 0, 4), events.MessageSent{SendID: "e1", Kind: events.SendPage, Recipient: "sam", ProviderMessageID: "SMpage"}) // a page: not a message
	reply("conv1", "cA", "r1", 10, 2, 0)
	status("conv1", "SMr1", "sent", 0, 10, 2, 1)
	s.Add("conv1", at(10, 2, 2), events.MessageSent{SendID: "r1", Kind: events.SendReply, Recipient: "client", ProviderMessageID: "SMr1"})
	status("conv1", "SMr1", "delivered", 0, 10, 2, 3)
	status("conv1", "SMr1", "sent", 0, 10, 2, 4)
	in("conv1", "cA", "main", "m2", 10, 3, 0)
	s.Add("conv1", at(10, 4, 0), events.ConversationAssigned{AssigneeID: "alex", TeamID: "day", ByStaffID: "sam"})

	// conv2 (cB): out of hours, an auto-reply, STOP, a blocked reply, HELP,
	// closed.
	started("conv2", "cB", "main", "C-BBBB", 10, 5, 0)
	in("conv2", "cB", "main", "m3", 10, 5, 1)
	s.Add("conv2", at(10, 5, 2), events.MessageTriaged{MessageID: "m3", Risk: events.RiskElevated, OutOfHours: true,
		Matches: []events.TriageMatch{{Category: "despair", Language: "en", Weight: 1}, {Category: "despair", Language: "en", Weight: 1}},
		Terms:   sealed("cB", "terms m3")})
	s.Add("conv2", at(10, 5, 3), events.OutOfHoursContactRecorded{MessageID: "m3", LineID: "main", ClosedPeriod: "p1", NextOpen: at(18, 0, 0)})
	s.Add("conv2", at(10, 5, 4), events.MessageSent{SendID: "ooh-conv2", Kind: events.SendAutoReply, Recipient: "client", ProviderMessageID: "SMooh"})
	s.Add("cB", at(10, 6, 0), events.ConsentChanged{LineID: "main", Consent: events.ConsentOptedOut, Keyword: sealed("cB", "STOP"), MessageID: "m3"})
	reply("conv2", "cB", "r2", 10, 8, 0)
	s.Add("conv2", at(10, 8, 1), events.ReplyBlocked{ReplyID: "r2", Reason: "client opted out"})
	s.Add("cB", at(10, 9, 0), events.ConsentChanged{LineID: "main", Consent: events.ConsentHelpRequested, Keyword: sealed("cB", "HELP")})
	s.Add("conv2", at(10, 20, 0), events.ConversationClosed{ByStaffID: "sam", Outcome: "supported", Categories: []string{"risk:low"}})

	// conv4 (cC, other line): a reply the provider refuses, then the
	// client is erased.
	started("conv4", "cC", "other", "C-CCCC", 10, 10, 0)
	in("conv4", "cC", "other", "m5", 10, 10, 1)
	s.Add("conv4", at(10, 10, 2), events.MessageTriaged{MessageID: "m5", Risk: events.RiskElevated,
		Matches: []events.TriageMatch{{Category: "despair", Language: "en", Weight: 1}}, Terms: sealed("cC", "terms m5")})
	reply("conv4", "cC", "r3", 10, 11, 0)
	s.Add("conv4", at(10, 11, 1), events.MessageSendFailed{SendID: "r3", Kind: events.SendReply, Recipient: "client", Reason: "invalid number", Code: 21211})

	// cB is flagged (the flag is on conv2, and on conv3 from its start).
	s.Add("cB", at(10, 25, 0), events.ClientFlagged{FlagID: "f1", LineID: "main", Kind: events.FlagSafeguarding, Reason: sealed("cB", "f1"),
		Until: at(12, 0, 0), ByStaffID: "alex"})

	// conv3 (cB again): still opted out from conv2.
	started("conv3", "cB", "main", "C-BBBB", 10, 30, 0)
	in("conv3", "cB", "main", "m4", 10, 30, 1)

	s.Add("cC", at(10, 40, 0), events.ClientErased{ByStaffID: "admin", Reason: "client request"})
	in("conv4", "cC", "other", "m6", 10, 40, 1)                                                            // in flight when the key went: no body kept
	s.Add("conv9", at(10, 41, 0), events.MessageReceived{MessageID: "m9", LineID: "main", ClientID: "cZ"}) // never started: ignored

	// conv5 (cD): assigned, closed with m7 unread (the close reads it),
	// reopened by a message (unread again: 1), handed over with a note.
	started("conv5", "cD", "main", "C-DDDD", 11, 0, 0)
	in("conv5", "cD", "main", "m7", 11, 0, 1)
	s.Add("conv5", at(11, 1, 0), events.ConversationAssigned{AssigneeID: "alex", ByStaffID: "alex"})
	s.Add("conv5", at(11, 2, 0), events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"risk:low"}})
	s.Add("conv5", at(11, 3, 0), events.ConversationReopened{MessageID: "m8"})
	in("conv5", "cD", "main", "m8", 11, 3, 0)
	s.Add("conv5", at(11, 4, 0), events.ConversationHandedOver{HandOverID: "h1", FromStaffID: "alex", AssigneeID: "sam", TeamID: "day",
		ByStaffID: "alex", Note: sealed("cD", "h1")})
	return s.Envs
}

// scenarioConversations are the scenario's conversations, by hand.
func scenarioConversations() map[string]Conversation {
	return map[string]Conversation{
		"conv1": {ID: "conv1", LineID: "main", Pseudonym: "C-AAAA", Channel: events.ChannelSMS, ClientID: "cA", TeamID: "day", AssigneeID: "alex",
			Open: true, StartedAt: at(10, 0, 0), LastActivityAt: at(10, 3, 0), Unread: 1, Risk: events.RiskCrisis,
			Flags: []string{"crisis", "escalated"}, Categories: []string{"overdose_means"}, LastInboundSeq: 11},
		"conv2": {ID: "conv2", LineID: "main", Pseudonym: "C-BBBB", Channel: events.ChannelSMS, ClientID: "cB",
			StartedAt: at(10, 5, 0), LastActivityAt: at(10, 8, 0), ClosedAt: at(10, 20, 0), Risk: events.RiskElevated,
			Flags: []string{"elevated", "opted_out", "out_of_hours"}, Categories: []string{"despair"},
			Consent: events.ConsentOptedOut, ClientFlags: []ClientFlag{{Kind: events.FlagSafeguarding, Until: at(12, 0, 0)}}, LastInboundSeq: 14, Outcome: "supported"},
		"conv3": {ID: "conv3", LineID: "main", Pseudonym: "C-BBBB", Channel: events.ChannelSMS, ClientID: "cB",
			Open: true, StartedAt: at(10, 30, 0), LastActivityAt: at(10, 30, 1), Unread: 1, Risk: events.RiskNone,
			Flags: []string{"opted_out"}, Consent: events.ConsentOptedOut, ClientFlags: []ClientFlag{{Kind: events.FlagSafeguarding, Until: at(12, 0, 0)}}, LastInboundSeq: 30},
		"conv4": {ID: "conv4", LineID: "other", Pseudonym: "C-CCCC", Channel: events.ChannelSMS, ClientID: "cC",
			Open: true, StartedAt: at(10, 10, 0), LastActivityAt: at(10, 40, 1), Unread: 1, Risk: events.RiskElevated,
			Flags: []string{"elevated", "erased"}, Categories: []string{"despair"}, Erased: true, LastInboundSeq: 32},
		"conv5": {ID: "conv5", LineID: "main", Pseudonym: "C-DDDD", Channel: events.ChannelSMS, ClientID: "cD", TeamID: "day", AssigneeID: "sam",
			Open: true, StartedAt: at(11, 0, 0), LastActivityAt: at(11, 3, 0), Unread: 1, Risk: events.RiskNone, LastInboundSeq: 39},
	}
}

// scenarioMessages are the scenario's messages, by hand, in log order.
// eventID names the scenario's envelope ids.
func scenarioMessages(eventID func(int) string) map[string][]Message {
	in := func(id string, ev int, h, m, sec int, client string) Message {
		return Message{ID: id, EventID: eventID(ev), Direction: DirectionIn, At: at(h, m, sec), Body: sealed(client, id), Status: "received"}
	}
	out := func(id string, ev int, h, m, sec int, client, status, reason string) Message {
		return Message{ID: id, EventID: eventID(ev), Direction: DirectionOut, Kind: events.SendReply, At: at(h, m, sec),
			StaffID: "alex", SenderName: "Alex", Body: sealed(client, id), Status: status, Reason: reason}
	}
	m1 := in("m1", 2, 10, 0, 1, "cA")
	m1.Risk, m1.Terms = events.RiskCrisis, sealed("cA", "terms m1")
	r1 := out("r1", 6, 10, 2, 0, "cA", "delivered", "")
	r1.ProviderMessageID = "SMr1"
	m3 := in("m3", 14, 10, 5, 1, "cB")
	m3.Risk, m3.Terms = events.RiskElevated, sealed("cB", "terms m3")
	m5, r3, m6 := in("m5", 24, 10, 10, 1, "cC"), out("r3", 26, 10, 11, 0, "cC", "failed", "invalid number"), in("m6", 32, 10, 40, 1, "cC")
	m5.Body, r3.Body, m6.Body = events.Sealed{}, events.Sealed{}, events.Sealed{}
	m5.Risk = events.RiskElevated // its sealed terms went with the key
	return map[string][]Message{
		"conv1": {m1, r1, in("m2", 11, 10, 3, 0, "cA")},
		"conv2": {m3,
			{ID: "ooh-conv2", EventID: eventID(17), Direction: DirectionOut, Kind: events.SendAutoReply, At: at(10, 5, 4), Status: "sent", ProviderMessageID: "SMooh"},
			out("r2", 19, 10, 8, 0, "cB", "blocked", "client opted out")},
		"conv3": {in("m4", 30, 10, 30, 1, "cB")},
		"conv4": {m5, r3, m6},
		"conv5": {in("m7", 35, 11, 0, 1, "cD"), in("m8", 39, 11, 3, 0, "cD"),
			{ID: eventID(40), EventID: eventID(40), Direction: DirectionNote, Kind: KindHandOver, At: at(11, 4, 0), StaffID: "alex",
				SenderName: "sam", Body: sealed("cD", "h1"), Status: "handed_over"}},
	}
}
