package responsetimes

import (
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// scenarioTargets: line "main" must answer a new conversation within 5
// minutes, and a client writing again after a reply within 10; a client
// nobody answered who is silent a day has abandoned.
var scenarioTargets = map[string]Targets{"main": {FirstResponse: 5 * time.Minute, NextResponse: 10 * time.Minute, AbandonedAfter: 24 * time.Hour}}

// scenario is a day of line "main" (Monday 2 March 2026, UTC) plus one
// message to another line, in stream order.
func scenario(t testing.TB) []events.Envelope {
	s := &projectiontest.Script{T: t}
	recv := func(conv, line string, when time.Time) {
		s.Add(conv, when, events.MessageReceived{MessageID: events.NewID(), LineID: line, Channel: events.ChannelSMS, ReceivedAt: when})
	}
	reply := func(conv string, when time.Time) {
		s.Add(conv, when, events.ReplyRequested{ReplyID: events.NewID(), StaffID: "alex"})
	}
	clock := func(conv, messageID, kind string, when, from time.Time) {
		s.Add(conv, when, events.ResponseClockStarted{ClockID: events.ClockID(messageID), Kind: kind, MessageID: messageID,
			LineID: "main", From: from, Due: from.Add(scenarioTargets["main"].FirstResponse)})
	}
	// 09:00 hour: H writes once and never again, and nobody answers.
	recv("convh", "main", at(2, 9, 0, 0))
	// 10:00 hour.
	recv("conva", "main", at(2, 10, 0, 0))
	recv("other1", "other", at(2, 10, 5, 0)) // another line: not in main's figures
	reply("conva", at(2, 10, 0, 40))         // A: 40s
	recv("conva", "main", at(2, 10, 2, 0))   // A writes again: the next-response clock starts
	recv("conva", "main", at(2, 10, 3, 0))   // and again: not restarted
	reply("conva", at(2, 10, 14, 0))         // A's next reply: 12m, a next-response breach
	recv("convb", "main", at(2, 10, 20, 0))
	recv("convb", "main", at(2, 10, 25, 0)) // B's second message: volume, not a new clock
	reply("convb", at(2, 10, 27, 0))        // B: 7m, a breach
	recv("convb", "main", at(2, 10, 30, 0)) // B writes again and is never answered
	// 11:00 hour.
	recv("convc", "main", at(2, 11, 10, 0))
	s.Add("convc", at(2, 11, 10, 5), events.EscalationRaised{EscalationID: "esc1", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis})
	s.Add("convc", at(2, 11, 10, 10), events.EscalationPaged{EscalationID: "esc1", StaffID: "sam", Round: 1})
	s.Add("convc", at(2, 11, 11, 10), events.EscalationPaged{EscalationID: "esc1", Level: 1, StaffID: "kim", Round: 1})        // re-page: clock not restarted
	s.Add("convc", at(2, 11, 11, 40), events.EscalationAcknowledged{EscalationID: "esc1", StaffID: "sam", Via: events.AckSMS}) // 90s after the first page
	reply("convc", at(2, 11, 12, 0))                                                                                           // C: 2m
	reply("convc", at(2, 11, 20, 0))                                                                                           // C's second reply: not a first reply
	recv("conve", "main", at(2, 11, 30, 0))
	reply("conve", at(2, 11, 35, 0))                                               // E: exactly 5m, the target: not a breach
	s.Add("conva", at(2, 11, 40, 0), events.ConversationClosed{ByStaffID: "alex"}) // a version 1 close: no wrap-up
	s.Add("conve", at(2, 11, 50, 0), events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"reason:family", "risk:low"}})
	// 12:00 hour: G writes twice, 4 minutes apart, and is closed at 12:30
	// without a reply. E writes again at 12:10, which reopens it.
	recv("convg", "main", at(2, 12, 0, 0))
	recv("convg", "main", at(2, 12, 4, 0))
	s.Add("conve", at(2, 12, 10, 0), events.ConversationReopened{MessageID: "me2"})
	recv("conve", "main", at(2, 12, 10, 0))
	s.Add("convg", at(2, 12, 30, 0), events.ConversationClosed{ByStaffID: "alex", Outcome: "no_contact", Categories: []string{"reason:other", "risk:none"}})
	// G's client answers the post-contact survey: 2 to the first question,
	// twice (the second no answer: a question is asked once), and 4 to the
	// second; A's client answers 2 to the first. Neither reopens.
	s.Add("convg", at(2, 12, 45, 0), events.SurveyAnswered{QuestionID: "helped", Question: 0, Option: 2, MessageID: "sg1"})
	s.Add("convg", at(2, 12, 46, 0), events.SurveyAnswered{QuestionID: "helped", Question: 0, Option: 1, MessageID: "sg2"})
	s.Add("convg", at(2, 12, 47, 0), events.SurveyAnswered{QuestionID: "rating", Question: 1, Option: 4, MessageID: "sg3"})
	s.Add("conva", at(2, 12, 50, 0), events.SurveyAnswered{QuestionID: "helped", Question: 0, Option: 2, MessageID: "sa1"})
	// 23:00 hour: out of hours, answered next morning.
	recv("convd", "main", at(2, 23, 30, 0))
	s.Add("convd", at(2, 23, 30, 1), events.OutOfHoursContactRecorded{MessageID: "m", LineID: "main", ClosedPeriod: "x", NextOpen: at(3, 8, 0, 0)})
	s.Add("convd", at(2, 23, 30, 2), events.MessageTriaged{MessageID: "m", Risk: events.RiskNone, OutOfHours: true}) // the same message: counted once
	clock("convd", "m", events.ClockFirstResponse, at(2, 23, 30, 2), at(3, 8, 0, 0))                                 // the wait counts from the opening
	reply("convd", at(3, 8, 0, 30))                                                                                  // D: 30s after the opening, counted on 2 March
	// 23:00 hour: a crisis while the line is closed. Triage raises an
	// escalation instead of recording an out-of-hours contact; nobody
	// acknowledges after every round, and nobody ever replies.
	recv("convf", "main", at(2, 23, 40, 0))
	s.Add("convf", at(2, 23, 40, 5), events.EscalationRaised{EscalationID: "esc2", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis})
	s.Add("convf", at(2, 23, 40, 6), events.MessageTriaged{MessageID: "mf", Risk: events.RiskCrisis, OutOfHours: true})
	clock("convf", "mf", events.ClockFirstResponse, at(2, 23, 40, 6), at(3, 8, 0, 0))
	s.Add("convf", at(2, 23, 40, 10), events.EscalationPaged{EscalationID: "esc2", StaffID: "sam", Round: 1})
	s.Add("convf", at(2, 23, 55, 0), events.EscalationExhausted{EscalationID: "esc2", Rounds: 3})
	return s.Envs
}

// scenarioNow is when the scenario's report is read: the next day at noon.
var scenarioNow = at(3, 12, 0, 0)

// scenarioReport is the scenario's report for main over 2-3 March, by hand.
//
// Received: H 1, A 3, B 3, C 1, E 2, G 2, D 1, F 1 = 14 (the other line's
// message is not main's). Out of hours: D's (its contact record and its
// verdict mark the same message: one) and F's crisis (a verdict out of
// hours, no contact record) = 2, share 2/14.
//
// First replies, each into its bucket (upper bound), waits counted from
// the clock's start: D wrote at 23:30 while the line was closed, its clock
// counts from the opening at 08:00, so D waited 30s, not 8h0m30s.
// A 40s -> 45s; B 7m -> 7m; C 2m -> 2m; E 5m -> 5m; D 30s -> 30s.
// Sorted: 30s, 45s, 2m, 5m, 7m; n = 5. Nearest rank ceil(q*n):
// p50 rank 3 -> 2m; p90 rank ceil(4.5) = 5 -> 7m; p99 rank ceil(4.95) = 5 -> 7m.
// Breaches (over 5m): B = 1 (E, at exactly 5m, is not; nor D); F (its
// clock from 08:00) and H, still waiting at read time (scenarioNow, 3
// March 12:00) past the target; G, closed unanswered 30m after it wrote
// = 4.
//
// Next replies: A's, 10:02 to 10:14 = 12m -> bucket 15m, a next-response
// breach (over 10m); C's second reply follows no message of C's: none.
// B wrote again at 10:30, and E at 12:10 after its close reopened it:
// both still wait at read time, breaches. = 3.
//
// Exhausted: esc2, paged at 23:40:10 and never acknowledged = 1, counted
// in the hour of its first page.
//
// Acknowledgement: first page 11:10:10, ack by SMS 11:11:40 = 90s ->
// bucket 90s; n = 1, so p50 = p90 = p99 = 90s, the same by SMS.
//
// Conversations opened: H, A, B, C, E, G, D, F = 8. Never answered: G
// (closed, no reply; it wrote for 4m -> band "5 min") and H (silent for
// 27h, over a day, at read time; wrote once -> band "once"); F, silent
// for 12h20m, is still waiting, not abandoned = 2. Closed: A (version 1,
// no outcome) and G (no_contact; reason:other, risk:none); E's close no
// longer counts once it reopened. Survey: G answered helped 2 (its
// second answer to the same question is not counted) and rating 4, A
// helped 2.
//
// Everything is counted in the hour the client wrote or the page went, so
// all of it falls on 2 March; 3 March is empty. Volume by hour of week:
// Monday 9h = 1 (H), 10h = 6 (A, B three each), 11h = 2 (C, E), 12h = 3
// (G twice, E), 23h = 2 (D, F).
func scenarioReport() Report {
	day := Figures{
		Received: 14, OutOfHours: 2, OutOfHoursShare: 2.0 / 14, Breaches: 4, NextBreaches: 3, Exhausted: 1,
		FirstReply:    Quantiles{Count: 5, P50: 2 * time.Minute, P90: 7 * time.Minute, P99: 7 * time.Minute},
		NextReply:     Quantiles{Count: 1, P50: 15 * time.Minute, P90: 15 * time.Minute, P99: 15 * time.Minute},
		Ack:           Quantiles{Count: 1, P50: 90 * time.Second, P90: 90 * time.Second, P99: 90 * time.Second},
		AckSMS:        Quantiles{Count: 1, P50: 90 * time.Second, P90: 90 * time.Second, P99: 90 * time.Second},
		Conversations: 8, NeverAnswered: 2, Abandoned: [NumAbandonBands]int64{1, 1, 0, 0, 0},
		Outcomes:   map[string]int64{NoOutcome: 1, "no_contact": 1},
		Categories: map[string]int64{"reason:other": 1, "risk:none": 1},
		Survey:     map[string]int64{"helped:2": 2, "rating:4": 1},
	}
	r := Report{LineID: "main", From: at(2, 0, 0, 0), To: at(4, 0, 0, 0), Totals: day,
		Days: []DayFigures{{Day: at(2, 0, 0, 0), Figures: day}, {Day: at(3, 0, 0, 0)}}}
	r.HourOfWeek[time.Monday][9] = 1
	r.HourOfWeek[time.Monday][10] = 6
	r.HourOfWeek[time.Monday][11] = 2
	r.HourOfWeek[time.Monday][12] = 3
	r.HourOfWeek[time.Monday][23] = 2
	return r
}
