package events

import (
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/internal/schedule"
)

// Urgent notices: a crisis message while a worker is answering. The rules,
// in one place:
//   - an open crisis (or manual) escalation covers a new crisis message:
//     someone is being paged for the conversation already (raise);
//   - else, while a crisis or manual escalation of the conversation is
//     acknowledged and still worked (not exhausted, the conversation not
//     closed since it was acknowledged, and the acknowledgement or a staff
//     reply no older than AnsweringWindow), the worker who acknowledged
//     it is told at once by an urgent notice (UrgentNoticeRaised) instead
//     of a new escalation: nobody else is paged and the client is not told
//     again that someone was alerted, since someone is answering them;
//   - the notice's safety net: if no staff reply (or close) follows the
//     message by the notice's due time (its arrival plus the line's
//     Targets.Notice, the policy's acknowledgement timeout), the
//     conversation escalates as a new crisis escalation, "esc-<message>",
//     paged from the policy's first level passing over the worker who
//     was told in its first round (Escalation.PassOver): nobody goes
//     unpaged because a worker acknowledged and walked away;
//   - a crisis message that tells that worker nothing new raises no
//     notice: one whose signals a notice to them, not yet heeded, already
//     named (toldAlready): one "answer now" per stretch of the client's
//     messages;
//   - a crisis carried from earlier messages, with no signal of its own,
//     raises nothing once the crisis it continues was taken on (takenOn),
//     whether the worker is answering or has closed the conversation;
//   - with no window (Targets.Notice zero) a crisis message raises an
//     escalation as before.

// UrgentNotice is one urgent notice raised in a conversation.
type UrgentNotice struct {
	ID, EscalationID, MessageID, StaffID string
	Categories                           []string
	Due                                  time.Time
	// ProviderID is its SMS's id once the provider accepted it.
	ProviderID string
}

// NoticeUndelivered reports whether notice n's SMS could not reach the worker:
// the provider refused it, or reported it undelivered.
func (c *Conversation) NoticeUndelivered(n UrgentNotice) bool {
	if c.Sends[n.ID] == "failed" {
		return true
	}
	_, failed := c.Undelivered[n.ProviderID]
	return n.ProviderID != "" && failed
}

// NoticeBySMS returns the notice whose SMS had provider id sid, if any.
func (c *Conversation) NoticeBySMS(sid string) (UrgentNotice, bool) {
	for _, n := range c.UrgentNotices {
		if n.ProviderID != "" && n.ProviderID == sid {
			return n, true
		}
	}
	return UrgentNotice{}, false
}

// NoticeID is the id of the urgent notice a crisis message raises (and of
// its event, and of the send of its SMS).
func NoticeID(messageID string) string { return DerivedID("notice", messageID) }

// CrisisEscalationID is the id of the crisis escalation a message raises,
// at once or when its urgent notice went unheeded.
func CrisisEscalationID(messageID string) string { return "esc-" + messageID }

// AnsweringWindow is how recent the acknowledgement of a crisis
// escalation, or the last staff reply after it, must be at a new crisis
// message for the worker who acknowledged to count as answering the
// client (Worked). Past it they may have gone off shift or left the
// conversation, so the message pages the rota afresh rather than waiting
// out an urgent notice's window on them.
const AnsweringWindow = 30 * time.Minute

// Worked returns the latest crisis or manual escalation a worker
// acknowledged and is still working at at, if any: someone is answering
// the client. An acknowledgement with neither it nor a staff reply in the
// AnsweringWindow before at is no longer worked.
func (c *Conversation) Worked(at time.Time) *Escalation {
	for _, id := range slices.Backward(c.EscalationOrder) {
		esc := c.Escalations[id]
		if esc.Reason != ReasonCrisis && esc.Reason != ReasonManual || !esc.Acknowledged || esc.Exhausted {
			continue
		}
		if ValidateID(esc.AcknowledgedBy) != nil || !c.ClosedAt.IsZero() && !esc.AcknowledgedAt.After(c.ClosedAt) {
			continue // closed since it was taken on: the conversation starts afresh
		}
		if last := schedule.Latest(esc.AcknowledgedAt, c.LastReplyAt); at.Sub(last) > AnsweringWindow {
			continue // nobody has acted on it lately
		}
		return esc
	}
	return nil
}

// raiseCrisis raises the crisis escalation of message messageID, or the
// urgent notice that stands for it while a worker is answering (the
// rules above).
func (c *Conversation) raiseCrisis(messageID string, v Verdict, a Arrival, m Meta) error {
	escID, noticeID := CrisisEscalationID(messageID), NoticeID(messageID)
	if _, noticed := c.UrgentNotices[noticeID]; noticed {
		return nil
	}
	from := a.ReceivedAt
	if from.IsZero() {
		from = m.OccurredAt
	}
	if _, raised := c.Escalations[escID]; raised || c.covered(ReasonCrisis) {
		return c.raise(escID, messageID, ReasonCrisis, v, m)
	}
	if len(v.Categories) == 0 && c.takenOn() {
		return nil // carried on from a crisis someone took on (takenOn)
	}
	w := c.Worked(from)
	if w == nil || a.Targets.Notice <= 0 {
		return c.raise(escID, messageID, ReasonCrisis, v, m)
	}
	categories := v.Categories
	if categories == nil {
		categories = []string{}
	}
	if c.toldAlready(w, categories) {
		return nil
	}
	return c.recordWithID(noticeID, UrgentNoticeRaised{NoticeID: noticeID, EscalationID: w.ID, MessageID: messageID, StaffID: w.AcknowledgedBy,
		Categories: categories, Due: from.Add(a.Targets.Notice).UTC()}, m)
}

// takenOn reports whether the conversation's latest crisis or manual
// escalation was acknowledged: someone took the crisis on (they may have
// closed the conversation since, or be answering it now).
//
// A crisis verdict that names no signal of its own is carried from the
// conversation's earlier messages (triage's crisis_ongoing: a client in
// crisis goes on writing, "ok", "at home", "thanks, bye"). Once that crisis
// was taken on, a carried one raises nothing new: no urgent notice to the
// worker answering (they know; the console shows it, and the response
// clock runs), and no fresh escalation after they closed the conversation
// (a "thanks, bye" a few minutes after the close paged the duty worker
// again). While the crisis escalation is open it covers the message as
// any other; an exhausted one (nobody answered) is not taken on, so the
// carried crisis pages again.
func (c *Conversation) takenOn() bool {
	for _, id := range slices.Backward(c.EscalationOrder) {
		if esc := c.Escalations[id]; esc.Reason == ReasonCrisis || esc.Reason == ReasonManual {
			return esc.Acknowledged
		}
	}
	return false
}

// toldAlready reports whether a crisis message with these categories (its
// own signals) tells the worker answering escalation w nothing new, so
// that no urgent notice is raised for it: a notice to them not yet
// heeded (no staff reply or close since its message) reached them and
// named every one of categories. That notice's safety net covers it (its
// due time is the earlier). Without this the worker's phone got one
// "URGENT" SMS for each message a client in crisis wrote; a message with
// a signal no pending notice named is still told.
func (c *Conversation) toldAlready(w *Escalation, categories []string) bool {
	for _, n := range c.UrgentNotices {
		if n.EscalationID != w.ID || n.StaffID != w.AcknowledgedBy || c.Heeded(n) || c.NoticeUndelivered(n) {
			continue
		}
		if !slices.ContainsFunc(categories, func(cat string) bool { return !slices.Contains(n.Categories, cat) }) {
			return true
		}
	}
	return false
}

// Heeded reports whether a staff reply or a close followed the message of
// notice n.
func (c *Conversation) Heeded(n UrgentNotice) bool {
	seq := c.Messages[n.MessageID]
	return seq != 0 && c.StoppedSeq > seq
}

// EscalateUnheeded is an urgent notice's safety net: once past its due
// time (at m.OccurredAt), or at once when its SMS could not reach the
// worker (refused, or reported undelivered),
// with no staff reply or close after its message, it raises the
// message's crisis escalation, once. An escalation open for
// the conversation covers it as for any crisis message (raise).
func (c *Conversation) EscalateUnheeded(noticeID string, m Meta) error {
	n, ok := c.UrgentNotices[noticeID]
	if !ok {
		return fmt.Errorf("urgent notice %s: %w", noticeID, ErrNotFound)
	}
	if m.OccurredAt.Before(n.Due) && !c.NoticeUndelivered(n) || c.Heeded(n) {
		return nil // not yet due (a notice that could not reach the worker is due at once), or answered
	}
	v, _ := c.Verdict(n.MessageID)
	return c.raise(CrisisEscalationID(n.MessageID), n.MessageID, ReasonCrisis,
		Verdict{Risk: RiskCrisis, Categories: n.Categories, Terms: v.Terms}, m)
}

// RecordNoticeSent records that the provider accepted notice noticeID's
// SMS to the worker it tells, once.
func (c *Conversation) RecordNoticeSent(noticeID, providerMessageID string, m Meta) error {
	n, ok := c.UrgentNotices[noticeID]
	if !ok {
		return fmt.Errorf("urgent notice %s: %w", noticeID, ErrNotFound)
	}
	if c.Sends[noticeID] != "" {
		return nil
	}
	return c.recordWithID("sent-"+noticeID, MessageSent{SendID: noticeID, Kind: SendPage, Recipient: n.StaffID, ProviderMessageID: providerMessageID}, m)
}

// RecordNoticeFailed records that notice noticeID's SMS could not be sent
// for good (the provider refused it, or the worker has no work phone),
// once: its safety net is due at once (EscalateUnheeded).
func (c *Conversation) RecordNoticeFailed(noticeID, reason string, code int, m Meta) error {
	n, ok := c.UrgentNotices[noticeID]
	if !ok {
		return fmt.Errorf("urgent notice %s: %w", noticeID, ErrNotFound)
	}
	if c.Sends[noticeID] != "" {
		return nil
	}
	return c.recordWithID("failed-"+noticeID, MessageSendFailed{SendID: noticeID, Kind: SendPage, Recipient: n.StaffID, Reason: reason, Code: code}, m)
}

func (c *Conversation) applyNotice(p UrgentNoticeRaised) {
	c.UrgentNotices[p.NoticeID] = UrgentNotice{ID: p.NoticeID, EscalationID: p.EscalationID, MessageID: p.MessageID, StaffID: p.StaffID,
		Categories: slices.Clone(p.Categories), Due: p.Due}
}
