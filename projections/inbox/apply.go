package inbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/schedule"
	"github.com/helpline-org/helpline/projections"
)

// apply changes the state for one event. Times are the events' own, so a
// replay gives the same rows. An event about a conversation the inbox does
// not hold (its start was never seen) changes nothing.
func apply(ctx context.Context, tx Tx, e events.Envelope, p events.Payload) error {
	at := projections.Stamp(e.OccurredAt)
	switch p := p.(type) {
	case events.ConversationStarted:
		return started(ctx, tx, e.AggregateID, p, at)
	case events.ConsentChanged:
		return consentChanged(ctx, tx, e.AggregateID, p)
	case events.ClientErased:
		return erased(ctx, tx, e.AggregateID)
	case events.ClientFlagged:
		return flagged(ctx, tx, e.AggregateID, p)
	}
	c, ok, err := tx.Conversation(ctx, e.AggregateID)
	if err != nil || !ok {
		return err
	}
	switch p := p.(type) {
	case events.MessageReceived:
		return received(ctx, tx, c, e, p)
	case events.ReplyRequested:
		return replyRequested(ctx, tx, c, e, p, at)
	case events.MessageTriaged:
		return triaged(ctx, tx, c, p)
	case events.OutOfHoursContactRecorded:
		return putConversation(ctx, tx, withFlag(c, FlagOutOfHours))
	case events.EscalationRaised:
		// The escalation's own categories are the signals, like triage's
		// (its terms are the verdict's, kept sealed on the message); its
		// risk counts towards the conversation's.
		c = withFlag(c, FlagEscalated)
		c.Risk = higherRisk(c.Risk, p.Risk)
		c.Categories = union(c.Categories, p.Categories)
		return putConversation(ctx, tx, c)
	case events.SurveyQuestionAsked:
		return surveyAsked(ctx, tx, c.ID, e, p.SendID, at)
	case events.MessageSent:
		return sendOutcome(ctx, tx, c.ID, e, p.SendID, p.Kind, p.Recipient, p.ProviderMessageID, "sent", "", at)
	case events.MessageSendFailed:
		return sendOutcome(ctx, tx, c.ID, e, p.SendID, p.Kind, p.Recipient, "", "failed", p.Reason, at)
	case events.ReplyBlocked:
		m, ok, err := tx.Message(ctx, c.ID, p.ReplyID)
		if err != nil || !ok || m.Direction != DirectionOut {
			return err
		}
		return tx.PutMessage(ctx, c.ID, advance(m, "blocked", p.Reason))
	case events.DeliveryStatusChanged:
		return delivered(ctx, tx, c.ID, p)
	case events.ConversationAssigned:
		c.AssigneeID, c.TeamID = p.AssigneeID, p.TeamID
		return putConversation(ctx, tx, c)
	case events.ConversationClosed:
		// Closing answers whatever the client wrote before it: the worker
		// read it to wrap up (a close is refused while a message came after
		// the page), so nothing stays unread; a message after the close
		// reopens and counts again.
		if c.Open {
			c.Open, c.ClosedAt, c.Outcome = false, at, p.Outcome
		}
		c.Unread = 0
		return putConversation(ctx, tx, c)
	case events.ConversationReopened:
		c.Open, c.ClosedAt, c.Outcome = true, time.Time{}, ""
		return putConversation(ctx, tx, c)
	case events.ConversationHandedOver:
		return handedOver(ctx, tx, c, e, p, at)
	case events.FollowUpAnswered:
		return putConversation(ctx, tx, withFlag(c, FlagFollowUpReply))
	}
	return nil
}

// started adds a conversation, with its client's consent and erasure as
// they are now: a client who texted STOP in an earlier conversation is
// still opted out in this one.
func started(ctx context.Context, tx Tx, id string, p events.ConversationStarted, at time.Time) error {
	if _, ok, err := tx.Conversation(ctx, id); err != nil || ok {
		return err // started once: a repeat changes nothing
	}
	cl, _, err := tx.Client(ctx, p.ClientID)
	if err != nil {
		return err
	}
	return putConversation(ctx, tx, Conversation{ID: id, LineID: p.LineID, ClientID: p.ClientID, Pseudonym: p.Pseudonym,
		Channel: p.Channel, Open: true, StartedAt: at, LastActivityAt: at, Risk: events.RiskNone,
		Consent: cl.Consent, Erased: cl.Erased, ClientFlags: slices.Clone(cl.Flags)})
}

// received adds a client's message, sealed as it came, and counts it
// unread until a worker replies.
func received(ctx context.Context, tx Tx, c Conversation, e events.Envelope, p events.MessageReceived) error {
	if _, ok, err := tx.Message(ctx, c.ID, p.MessageID); err != nil || ok {
		return err
	}
	m := Message{ID: p.MessageID, EventID: e.ID, Direction: DirectionIn, At: projections.Stamp(p.ReceivedAt), Body: projections.SealedCopy(p.Body), Status: "received"}
	if m.At.IsZero() {
		m.At = projections.Stamp(e.OccurredAt)
	}
	if c.Erased {
		m.Body = events.Sealed{} // the key is gone: nothing to keep
	}
	if err := tx.PutMessage(ctx, c.ID, m); err != nil {
		return err
	}
	c.Unread++
	c.LastActivityAt = schedule.Latest(c.LastActivityAt, m.At)
	c.LastInboundSeq = max(c.LastInboundSeq, e.Sequence)
	return putConversation(ctx, tx, c)
}

// replyRequested adds a worker's reply and marks the client's messages
// read: a worker has answered them.
func replyRequested(ctx context.Context, tx Tx, c Conversation, e events.Envelope, p events.ReplyRequested, at time.Time) error {
	if _, ok, err := tx.Message(ctx, c.ID, p.ReplyID); err != nil || ok {
		return err
	}
	m := Message{ID: p.ReplyID, EventID: e.ID, Direction: DirectionOut, Kind: events.SendReply, At: at,
		StaffID: p.StaffID, SenderName: p.SenderName, Body: projections.SealedCopy(p.Body), Status: "requested"}
	if c.Erased {
		m.Body = events.Sealed{}
	}
	if err := tx.PutMessage(ctx, c.ID, m); err != nil {
		return err
	}
	c.Unread = 0
	c.LastActivityAt = schedule.Latest(c.LastActivityAt, at)
	return putConversation(ctx, tx, c)
}

// handedOver gives the conversation to its new assignee and keeps the
// hand-over's note, sealed, among its messages, where the new assignee
// reads it.
func handedOver(ctx context.Context, tx Tx, c Conversation, e events.Envelope, p events.ConversationHandedOver, at time.Time) error {
	if _, ok, err := tx.Message(ctx, c.ID, e.ID); err != nil || ok {
		return err
	}
	to := p.AssigneeID
	if to == "" {
		to = NoteToTeam + p.TeamID
	}
	m := Message{ID: e.ID, EventID: e.ID, Direction: DirectionNote, Kind: KindHandOver, At: at, StaffID: p.ByStaffID, SenderName: to,
		Body: projections.SealedCopy(p.Note), Status: "handed_over"}
	if c.Erased {
		m.Body = events.Sealed{}
	}
	if err := tx.PutMessage(ctx, c.ID, m); err != nil {
		return err
	}
	c.AssigneeID, c.TeamID = p.AssigneeID, p.TeamID
	return putConversation(ctx, tx, c)
}

// triaged records triage's verdict on a message (its terms still sealed)
// and raises the conversation's risk, flags and signals.
func triaged(ctx context.Context, tx Tx, c Conversation, p events.MessageTriaged) error {
	var cats []string
	for _, mt := range p.Matches {
		cats = union(cats, []string{mt.Category})
	}
	m, ok, err := tx.Message(ctx, c.ID, p.MessageID)
	if err != nil {
		return err
	}
	if ok && m.Direction == DirectionIn {
		m.Risk, m.Terms = p.Risk, projections.SealedCopy(p.Terms)
		if c.Erased {
			m.Terms = events.Sealed{} // the key is gone: nothing to keep
		}
		if err := tx.PutMessage(ctx, c.ID, m); err != nil {
			return err
		}
	}
	c.Risk = higherRisk(c.Risk, p.Risk)
	c.Categories = union(c.Categories, cats)
	if p.OutOfHours {
		c = withFlag(c, FlagOutOfHours)
	}
	return putConversation(ctx, tx, c)
}

// surveyAsked lists a survey question where it was asked, before its
// send's outcome: the client's answer and the next question come after it
// whatever order the sends' outcomes reach the log in.
func surveyAsked(ctx context.Context, tx Tx, convID string, e events.Envelope, sendID string, at time.Time) error {
	if _, ok, err := tx.Message(ctx, convID, sendID); err != nil || ok {
		return err
	}
	return tx.PutMessage(ctx, convID, Message{ID: sendID, EventID: e.ID, Direction: DirectionOut, Kind: events.SendAutoReply, At: at, Status: "requested"})
}

// sendOutcome records what became of an SMS to the client: a reply's
// status, or an auto-reply (whose text the log does not carry) as an
// outbound message without a body. Pages to staff are not messages of the
// conversation.
func sendOutcome(ctx context.Context, tx Tx, convID string, e events.Envelope, sendID, kind, recipient, providerID, status, reason string, at time.Time) error {
	if recipient != "client" {
		return nil
	}
	m, ok, err := tx.Message(ctx, convID, sendID)
	if err != nil {
		return err
	}
	switch {
	case ok && m.Direction != DirectionOut:
		return nil
	case !ok && kind != events.SendAutoReply:
		return nil // a reply the inbox never saw requested
	case !ok:
		m = Message{ID: sendID, EventID: e.ID, Direction: DirectionOut, Kind: events.SendAutoReply, At: at, Status: "requested"}
	}
	m = advance(m, status, reason)
	if providerID != "" {
		m.ProviderMessageID = providerID
		d, ok, err := tx.Delivery(ctx, convID, providerID)
		if err != nil {
			return err
		}
		if ok {
			m = advance(m, d.Status, d.Reason) // the callback came first
		}
	}
	return tx.PutMessage(ctx, convID, m)
}

// delivered records a provider's delivery callback, both by provider id
// (the send it reports on may not be in the log yet) and on the message.
func delivered(ctx context.Context, tx Tx, convID string, p events.DeliveryStatusChanged) error {
	if p.ProviderMessageID == "" {
		return nil
	}
	reason := ""
	if p.ErrorCode != 0 {
		reason = fmt.Sprintf("provider error %d", p.ErrorCode)
	}
	d, _, err := tx.Delivery(ctx, convID, p.ProviderMessageID)
	if err != nil {
		return err
	}
	next := advance(Message{Status: d.Status, Reason: d.Reason}, p.Status, reason)
	if err := tx.PutDelivery(ctx, convID, p.ProviderMessageID, Delivery{Status: next.Status, Reason: next.Reason}); err != nil {
		return err
	}
	msgs, err := tx.Messages(ctx, convID)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Direction == DirectionOut && m.ProviderMessageID == p.ProviderMessageID {
			return tx.PutMessage(ctx, convID, advance(m, p.Status, reason))
		}
	}
	return nil
}

// consentChanged keeps the client's opt-in state and copies it to every
// conversation of the client. HELP changes nothing.
func consentChanged(ctx context.Context, tx Tx, clientID string, p events.ConsentChanged) error {
	if p.Consent != events.ConsentOptedOut && p.Consent != events.ConsentOptedIn {
		return nil
	}
	return updateClient(ctx, tx, clientID, func(cl *Client) { cl.Consent = p.Consent }, func(c *Conversation) { c.Consent = p.Consent })
}

// flagged adds a staff flag to the client and each of its conversations,
// once: a redelivered event changes nothing.
func flagged(ctx context.Context, tx Tx, clientID string, p events.ClientFlagged) error {
	f := ClientFlag{Kind: p.Kind, Until: p.Until.UTC()}
	add := func(fs []ClientFlag) []ClientFlag {
		if slices.Contains(fs, f) {
			return fs
		}
		return append(slices.Clone(fs), f)
	}
	return updateClient(ctx, tx, clientID, func(cl *Client) { cl.Flags = add(cl.Flags) }, func(c *Conversation) { c.ClientFlags = add(c.ClientFlags) })
}

// erased marks the client and its conversations erased and drops every
// sealed body and sealed list of terms they hold (crypto-shredding: the
// key is gone, and the projection keeps nothing of the content, not even
// ciphertext).
func erased(ctx context.Context, tx Tx, clientID string) error {
	err := updateClient(ctx, tx, clientID, func(cl *Client) { cl.Erased = true }, func(c *Conversation) { c.Erased = true })
	if err != nil {
		return err
	}
	ids, err := tx.ClientConversations(ctx, clientID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		msgs, err := tx.Messages(ctx, id)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Body.KeyID == "" && len(m.Body.Data) == 0 && m.Terms.KeyID == "" && len(m.Terms.Data) == 0 {
				continue
			}
			m.Body, m.Terms = events.Sealed{}, events.Sealed{}
			if err := tx.PutMessage(ctx, id, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// updateClient changes a client's state and each of its conversations.
func updateClient(ctx context.Context, tx Tx, clientID string, fc func(*Client), fconv func(*Conversation)) error {
	cl, _, err := tx.Client(ctx, clientID)
	if err != nil {
		return err
	}
	fc(&cl)
	if err := tx.PutClient(ctx, clientID, cl); err != nil {
		return err
	}
	ids, err := tx.ClientConversations(ctx, clientID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, ok, err := tx.Conversation(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		fconv(&c)
		if err := putConversation(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

// putConversation writes c with its flags worked out again.
func putConversation(ctx context.Context, tx Tx, c Conversation) error {
	c.Flags = flagsOf(c)
	return tx.PutConversation(ctx, c)
}

// flagsOf returns c's flags, sorted: those recorded once for good (out of
// hours, escalated), a follow-up's reply while it is open, and those that
// follow its state (risk, consent, erasure).
func flagsOf(c Conversation) []string {
	var out []string
	for _, f := range c.Flags {
		if f == FlagOutOfHours || f == FlagEscalated || f == FlagFollowUpReply && c.Open {
			out = append(out, f)
		}
	}
	if c.Risk == events.RiskElevated || c.Risk == events.RiskCrisis {
		out = append(out, c.Risk)
	}
	if c.Consent == events.ConsentOptedOut {
		out = append(out, FlagOptedOut)
	}
	if c.Erased {
		out = append(out, FlagErased)
	}
	slices.Sort(out)
	return projections.NonEmpty(slices.Compact(out))
}

// withFlag returns c with flag f set.
func withFlag(c Conversation, f string) Conversation {
	c.Flags = union(c.Flags, []string{f})
	return c
}

// riskRank orders triage's risks; anything unknown counts as none.
var riskRank = map[string]int{events.RiskNone: 0, events.RiskElevated: 1, events.RiskCrisis: 2}

// higherRisk returns the higher of two risks.
func higherRisk(a, b string) string {
	if _, known := riskRank[a]; !known {
		a = events.RiskNone
	}
	if riskRank[b] > riskRank[a] {
		return b
	}
	return a
}

// statusRank orders a send's statuses so that a late callback never moves
// a message back (Twilio may report "sent" after "delivered"). Outcomes
// share the top rank but "read", which comes after delivery. Anything
// unknown ranks with "queued".
var statusRank = map[string]int{
	"requested": 0,
	"queued":    1, "accepted": 1, "scheduled": 1,
	"sending":   2,
	"sent":      3,
	"delivered": 4, "undelivered": 4, "failed": 4, "canceled": 4, "partially_delivered": 4, "blocked": 4,
	"read": 5,
}

func rankOf(status string) int {
	if r, ok := statusRank[status]; ok {
		return r
	}
	return 1
}

// advance returns m with status (and reason, when given) unless m already
// has a later status.
func advance(m Message, status, reason string) Message {
	if status == "" || (m.Status != "" && rankOf(status) < rankOf(m.Status)) {
		return m
	}
	if status != m.Status {
		m.Reason = ""
	}
	m.Status = status
	if reason != "" {
		m.Reason = reason
	}
	return m
}

// union returns the sorted set of a and b, without empty strings; nil when
// empty.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, s := range slices.Concat(a, b) {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return projections.NonEmpty(slices.Compact(out))
}
