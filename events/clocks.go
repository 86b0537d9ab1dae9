package events

import "time"

// Response clocks. The rules, in one place:
//   - a client's message that nobody has answered yet starts a clock, if
//     none runs: the first-response clock until a worker first replied,
//     the next-response clock after that. Later messages do not push a
//     running clock back;
//   - the wait counts from the message, or, for a message that came while
//     the line was closed, from the line's next opening (triage works it
//     out from the line's hours, as for the out-of-hours contact);
//   - a worker's reply stops the clock, and so does closing the
//     conversation;
//   - a clock past its due time escalates (reason unanswered), once,
//     unless someone is being paged for the conversation already.
//
// The clock is state folded from events (response_clock_started, then
// reply_requested or closed), so a restart or a rebuild gives the same
// answer; its timer (triage's bucket) only says when to look.

// ResponseTargets are a line's response targets: how long a client may
// wait for a worker's first reply, and for the next one after writing
// again; Notice, how long a worker answering a crisis has to answer the
// client's next crisis message before the conversation escalates again
// (notice.go).
type ResponseTargets struct{ First, Next, Notice time.Duration }

// ResponseClock is a conversation's running response clock; the zero
// value is none.
type ResponseClock struct {
	ID, Kind, MessageID string
	// From is when the wait counts from; Due is when it is past target.
	From, Due time.Time
}

// Running reports whether the clock runs.
func (k ResponseClock) Running() bool { return k.ID != "" }

// ClockID is the id of the clock message messageID starts (and of the
// event that starts it).
func ClockID(messageID string) string { return DerivedID("clock", messageID) }

// UnansweredEscalationID is the id of the escalation an expired clock
// raises.
func UnansweredEscalationID(clockID string) string { return "esc-unanswered-" + clockID }

// stopClock is a worker's reply or the close, event e: whatever clock ran
// stops.
func (c *Conversation) stopClock(e Envelope) {
	c.Clock = ResponseClock{}
	c.StoppedSeq = max(c.StoppedSeq, e.Sequence)
}

// startClock starts a response clock for message messageID (Triage) if
// the rules above say so.
func (c *Conversation) startClock(messageID string, a Arrival, m Meta) error {
	if !c.Started || c.Closed || c.Clock.Running() {
		return nil
	}
	// Triaged late, after a worker's reply or the close: answered already.
	if seq := c.Messages[messageID]; seq != 0 && seq < c.StoppedSeq {
		return nil
	}
	kind, target := ClockFirstResponse, a.Targets.First
	if !c.FirstReplyAt.IsZero() {
		kind, target = ClockNextResponse, a.Targets.Next
	}
	from := a.ReceivedAt
	if a.OutOfHours {
		from = a.NextOpen
	}
	if target <= 0 || from.IsZero() {
		return nil // no target, or a line that never opens again
	}
	id := ClockID(messageID)
	return c.recordWithID(id, ResponseClockStarted{ClockID: id, Kind: kind, MessageID: messageID, LineID: c.LineID,
		ReceivedAt: a.ReceivedAt.UTC(), From: from.UTC(), Due: from.Add(target).UTC(), TargetSeconds: int64(target / time.Second)}, m)
}

// EscalateUnanswered raises an escalation (reason unanswered) for the
// response clock clockID once it is past due (at m.OccurredAt) and still
// running, once. Nothing is raised for a clock stopped or replaced, before
// its due time, or while someone is being paged for the conversation
// already (an escalation open: raised and neither acknowledged nor
// exhausted). An empty clockID is a first-response timer set before clocks
// were events: the conversation escalates if nobody has answered it.
func (c *Conversation) EscalateUnanswered(clockID string, m Meta) error {
	if clockID == "" {
		return c.escalateUnansweredLegacy(m)
	}
	if !c.Clock.Running() || c.Clock.ID != clockID || c.Closed || m.OccurredAt.Before(c.Clock.Due) {
		return nil
	}
	escID := UnansweredEscalationID(clockID)
	if _, raised := c.Escalations[escID]; raised || len(c.OpenEscalations()) > 0 {
		return nil
	}
	return c.raise(escID, c.Clock.MessageID, ReasonUnanswered, Verdict{Risk: RiskNone}, m)
}

func (c *Conversation) escalateUnansweredLegacy(m Meta) error {
	escID := "esc-unanswered-" + c.ID
	if _, raised := c.Escalations[escID]; raised {
		return nil // a timer fired twice
	}
	if !c.Started || !c.FirstReplyAt.IsZero() || c.Closed || len(c.OpenEscalations()) > 0 {
		return nil
	}
	return c.raise(escID, "", ReasonUnanswered, Verdict{Risk: RiskNone}, m)
}
