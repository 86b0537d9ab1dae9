package events

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"time"
)

// A page is an action with an outside effect, and the provider (Twilio)
// takes no idempotency key: a pager that dies after the provider accepted
// a page and before the page is recorded cannot tell, on its restart or on
// a redelivery, whether the page left. So the pager records its intent
// first (PageAttempted, with a reference the page's text carries), then
// asks the provider, then records the page (EscalationPaged, with the
// provider's sid). Whoever finds an attempt without its page asks the
// provider whether a message carrying the reference left since the
// attempt: found, the page is recorded and not sent again; not found, or
// the provider cannot say, it is sent (a duplicate page is far better
// than a missed one).

// PageAttempted records that the pager is about to page a staff member at
// a step of an escalation by one of their notification rules: the
// provider is asked next. Ref is the attempt's reference, which the page's
// text carries, so the provider's list of messages to the person shows
// whether the page left. It holds no number and no content.
type PageAttempted struct {
	EscalationID string `json:"escalation_id"`
	Round        int    `json:"round"`
	Level        int    `json:"level"`
	StaffID      string `json:"staff_id"`
	// Rule is which of the person's notification rules; Channel, PageBySMS
	// or PageByCall.
	Rule    int    `json:"rule"`
	Channel string `json:"channel"`
	Ref     string `json:"ref"`
}

var _ = register(AggregateConversation, TypePageAttempted, 1,
	"The pager is about to page a staff member (an SMS or a call, by one of their notification rules), with the reference the page's text carries: recorded before the provider is asked, so a pager that dies before recording the page can ask the provider whether it left.",
	func() Payload {
		return PageAttempted{EscalationID: "e1", Round: 1, Level: 0, StaffID: "sam", Rule: 0, Channel: PageBySMS, Ref: "P7Q2KX3AB"}
	})

// Attempt is a page attempted at a step of an escalation.
type Attempt struct {
	Ref     string
	Channel string
	// At is when it was recorded (the pager's clock).
	At time.Time
}

func attemptKey(step, staffID string, rule int) string {
	return noticeKey(step, staffID) + "/" + strconv.Itoa(rule)
}

// Attempt returns the page attempted to staffID at (round, level) by their
// rule, if one was recorded.
func (e *Escalation) Attempt(round, level int, staffID string, rule int) (Attempt, bool) {
	a, ok := e.Attempts[attemptKey(Step(round, level), staffID, rule)]
	return a, ok
}

// AttemptRef is the reference of the page to p's person at p's step by p's
// rule in conversation convID: deterministic (a second replica or a
// redelivery makes the same), unique to the attempt, and neither a number
// nor content. "P" and 9 characters of base32 (45 bits of a SHA-256).
func AttemptRef(convID string, p RulePage) string {
	sum := sha256.Sum256([]byte(convID + "/" + p.EscalationID + "/" + attemptKey(Step(p.Round, p.Level), p.StaffID, p.Rule)))
	return "P" + base32.StdEncoding.EncodeToString(sum[:])[:9]
}

// RecordPageAttempt records the intent to page p's person at p's step by
// p's rule (PageAttempted, with AttemptRef), before the provider is asked.
// Nothing is recorded when the attempt is recorded already (a redelivery,
// another replica) or the person was paged there by that rule or a later
// one.
func (c *Conversation) RecordPageAttempt(p RulePage, m Meta) error {
	esc, err := c.escalation(p.EscalationID)
	if err != nil {
		return err
	}
	if _, ok := esc.Attempt(p.Round, p.Level, p.StaffID, p.Rule); ok {
		return nil
	}
	if n, ok := esc.Notice(p.Round, p.Level, p.StaffID); ok && n.Rule >= p.Rule {
		return nil
	}
	return c.recordWithID("pageatt-"+p.EscalationID+"-"+Step(p.Round, p.Level)+"-"+p.StaffID+p.suffix(), PageAttempted{
		EscalationID: p.EscalationID, Round: p.Round, Level: p.Level, StaffID: p.StaffID, Rule: p.Rule, Channel: p.Channel,
		Ref: AttemptRef(c.ID, p)}, m)
}

func (c *Conversation) applyAttempt(p PageAttempted, at time.Time) {
	esc := c.Escalations[p.EscalationID]
	if esc == nil {
		return
	}
	k := attemptKey(Step(p.Round, p.Level), p.StaffID, p.Rule)
	if _, seen := esc.Attempts[k]; !seen {
		esc.Attempts[k] = Attempt{Ref: p.Ref, Channel: p.Channel, At: at}
	}
}
