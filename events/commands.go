package events

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Every decision that changes a conversation is one command method here:
// it checks the conversation's state, then records its events, which the
// Conversations repository appends with the conversation's expected
// sequence. Where a decision must happen once (a message, a verdict, a
// page), its event id derives from what caused it, so a redelivery or a
// second replica records the same event and the log keeps one; and the
// command records nothing when the state shows it made already.

func (c *Conversation) record(p Payload, m Meta) error {
	return c.recording.record(NewID(), c.ID, p, m, c.apply)
}

// recordWithID is record with a deterministic event id.
func (c *Conversation) recordWithID(id string, p Payload, m Meta) error {
	return c.recording.record(id, c.ID, p, m, c.apply)
}

// markSaved forgets pending events once the log acknowledged them, and
// notes the sequence of each message received among them.
func (c *Conversation) markSaved(acks []Appended) {
	for i, p := range c.payloads {
		if m, ok := p.(MessageReceived); ok && i < len(acks) {
			c.Messages[m.MessageID] = acks[i].Seq
			c.LastInboundSeq = max(c.LastInboundSeq, acks[i].Seq)
		}
	}
	c.recording.markSaved(acks)
}

func (c *Conversation) mustBeOpen() error {
	if !c.Started {
		return fmt.Errorf("conversation %s: %w", c.ID, ErrNotFound)
	}
	if c.Closed {
		return fmt.Errorf("conversation %s: %w", c.ID, ErrClosed)
	}
	return nil
}

func (c *Conversation) escalation(id string) (*Escalation, error) {
	esc, ok := c.Escalations[id]
	if !ok {
		return nil, fmt.Errorf("escalation %s: %w", id, ErrNotFound)
	}
	return esc, nil
}

// Start records a new conversation between a client and a line. Its
// event id derives from the conversation's, so starting it again (a
// retried webhook) records nothing; a started conversation never changes
// client.
func (c *Conversation) Start(lineID, clientID, pseudonym, channel string, m Meta) error {
	if c.Started {
		if c.ClientID != clientID {
			return fmt.Errorf("%w: conversation %s belongs to another client", ErrInvalidEnvelope, c.ID)
		}
		return nil
	}
	return c.recordWithID("start-"+c.ID, ConversationStarted{LineID: lineID, ClientID: clientID, Pseudonym: pseudonym, Channel: channel}, m)
}

// Receive records one inbound message, its body sealed with the client's
// key and bound to messageID (the event's id: BodyAAD(messageID)). A
// message already received is not recorded again, even once the
// conversation closed. A new one joins an open conversation, or reopens
// one closed within reopenWithin (the line's reopen window) before it
// came, or one whose follow-up it answers (receiveFollowUps); a
// conversation closed longer ago refuses it with ErrClosed, and the
// message starts the client's next conversation.
func (c *Conversation) Receive(messageID, providerMessageID string, body Sealed, reopenWithin time.Duration, m Meta) error {
	if _, seen := c.Messages[messageID]; seen {
		return nil
	}
	if err := c.recall(messageID); err != nil {
		return err
	}
	if err := c.receiveFollowUps(messageID, reopenWithin, m); err != nil {
		return err
	}
	if err := c.mustBeOpen(); err != nil {
		return err
	}
	return c.recordWithID(messageID, MessageReceived{MessageID: messageID, LineID: c.LineID, ClientID: c.ClientID, Channel: c.Channel,
		ProviderMessageID: providerMessageID, Body: body, ReceivedAt: m.OccurredAt}, m)
}

// Verdict is triage's explainable decision on one message.
type Verdict struct {
	Risk           string
	Score          float64
	Matches        []TriageMatch
	LexiconVersion string
	Rule           string
	// Categories summarise the matches that scored: the signals the duty
	// worker is paged with.
	Categories []string
	// Terms are the client's words that scored, sealed by triage with the
	// client's key (a JSON list, TermsAAD of the message; empty when none
	// scored): the verdict, its escalation and a feedback mark carry them.
	Terms Sealed
	// Language is the client's language where triage could tell.
	Language string
}

// Arrival is when a message came relative to its line's opening hours,
// and the line's response targets.
type Arrival struct {
	OutOfHours bool
	// ClosedSince and NextOpen bound the closed period an out-of-hours
	// message came in (NextOpen zero: the line does not open again).
	ClosedSince, NextOpen time.Time
	// ReceivedAt is when the message came.
	ReceivedAt time.Time
	// Targets are the line's response targets (zero: no clock).
	Targets ResponseTargets
}

// Triage records triage's verdict on message messageID and what follows
// from it, once. The rules:
//   - every message gets its verdict recorded (risk, score, terms, rule,
//     lexicon version, whether it came out of hours);
//   - crisis, at any hour, raises an escalation (reason crisis), unless the
//     conversation already has an open crisis escalation: the duty worker
//     is already being paged for it; while a worker who acknowledged one
//     is answering, it raises an urgent notice to them instead (notice.go);
//   - out of hours, elevated risk raises an escalation (reason
//     out_of_hours): nobody is reading, and "when unsure, elevated" means
//     a person should look;
//   - out of hours, anything short of crisis records an out-of-hours
//     contact, so the client is told when the line opens and what to do in
//     an emergency (once per closed period: the notification service).
//   - a message nobody has answered yet starts a response clock, unless
//     one runs already (startClock).
//
// The verdict is recorded last. The log stores a batch's prefix if triage
// dies mid-append, and a message whose verdict is in the log is not
// triaged again (Triaged): with the verdict first, a crash right after it
// would lose the escalation, a missed page. Last, a redelivery finds no
// verdict and completes the batch (an escalation already raised is open,
// so it is not raised again).
func (c *Conversation) Triage(messageID string, v Verdict, a Arrival, m Meta) error {
	if c.Triaged(messageID) {
		return nil
	}
	if err := c.recall(messageID); err != nil {
		return err
	}
	switch {
	case v.Risk == RiskCrisis:
		if err := c.raiseCrisis(messageID, v, a, m); err != nil {
			return err
		}
	case a.OutOfHours && v.Risk == RiskElevated:
		if err := c.raise("esc-"+messageID, messageID, ReasonOutOfHours, v, m); err != nil {
			return err
		}
	}
	if a.OutOfHours && v.Risk != RiskCrisis {
		if err := c.recordWithID("ooh-"+messageID, OutOfHoursContactRecorded{MessageID: messageID, LineID: c.LineID,
			ClosedPeriod: a.ClosedSince.UTC().Format(time.RFC3339), NextOpen: a.NextOpen.UTC(), Language: v.Language}, m); err != nil {
			return err
		}
	}
	if err := c.startClock(messageID, a, m); err != nil {
		return err
	}
	matches := v.Matches
	if matches == nil {
		matches = []TriageMatch{}
	}
	return c.recordWithID("tri-"+messageID, MessageTriaged{MessageID: messageID, Risk: v.Risk, Score: v.Score, Matches: matches,
		Terms: v.Terms.Words(), LexiconVersion: v.LexiconVersion, Rule: v.Rule, OutOfHours: a.OutOfHours}, m)
}

// raise records an escalation unless an open one already covers it: one
// for the same reason, or a crisis one (someone is already being paged
// for this conversation).
func (c *Conversation) raise(escID, messageID, reason string, v Verdict, m Meta) error {
	if _, raised := c.Escalations[escID]; raised || c.covered(reason) {
		return nil
	}
	categories := v.Categories
	if categories == nil {
		categories = []string{}
	}
	return c.recordWithID(escID, EscalationRaised{EscalationID: escID, LineID: c.LineID, MessageID: messageID, Reason: reason, Risk: v.Risk,
		Categories: categories, Terms: v.Terms.Words()}, m)
}

// covered reports whether an open escalation covers a new one for reason:
// one for the same reason, or a crisis or manual one.
func (c *Conversation) covered(reason string) bool {
	for _, esc := range c.OpenEscalations() {
		if esc.Reason == reason || esc.Reason == ReasonCrisis || esc.Reason == ReasonManual {
			return true
		}
	}
	return false
}

// RecordPage records that staffID was paged for an escalation at a step
// of its policy (providerMessageID: the page SMS's id). A page already
// recorded at that step is not recorded again.
func (c *Conversation) RecordPage(escalationID string, round, level int, levelName, staffID, providerMessageID string, m Meta) error {
	return c.RecordRulePage(RulePage{EscalationID: escalationID, Round: round, Level: level, LevelName: levelName, StaffID: staffID,
		Channel: PageBySMS, Last: true, ProviderID: providerMessageID}, m)
}

// RulePage is one page by one of a person's notification rules.
type RulePage struct {
	EscalationID string
	Round, Level int
	LevelName    string
	StaffID      string
	// Rule is which of their rules (from 0); Last, whether their last.
	Rule int
	Last bool
	// Channel is PageBySMS or PageByCall; ProviderID the message's or the
	// call's sid.
	Channel    string
	ProviderID string
}

func (p RulePage) suffix() string {
	if p.Rule == 0 {
		return "" // the ids of pages before notification rules
	}
	return "-r" + strconv.Itoa(p.Rule)
}

// RecordRulePage records that staffID was paged by one of their rules at
// a step of the policy. A rule already recorded at that step (or a later
// one of theirs) is not recorded again.
func (c *Conversation) RecordRulePage(p RulePage, m Meta) error {
	esc, err := c.escalation(p.EscalationID)
	if err != nil {
		return err
	}
	if p.Channel != PageBySMS && p.Channel != PageByCall {
		return fmt.Errorf("%w: page channel %q", ErrInvalidCommand, p.Channel)
	}
	if n, ok := esc.Notice(p.Round, p.Level, p.StaffID); ok && n.Rule >= p.Rule {
		return nil
	}
	return c.recordWithID("page-"+p.EscalationID+"-"+Step(p.Round, p.Level)+"-"+p.StaffID+p.suffix(), EscalationPaged{
		EscalationID: p.EscalationID, Level: p.Level, LevelName: p.LevelName, StaffID: p.StaffID, Round: p.Round,
		ProviderMessageID: p.ProviderID, Channel: p.Channel, Rule: p.Rule, Last: p.Last}, m)
}

// RecordCallStatus records a provider's status callback for a page call.
// It decides nothing: the same callback again is the same event.
func (c *Conversation) RecordCallStatus(providerCallID, status string, errorCode int, m Meta) error {
	return c.recordWithID("call-"+strings.ToLower(providerCallID)+"-"+status, CallStatusChanged{ProviderCallID: providerCallID,
		Status: status, ErrorCode: errorCode}, m)
}

// RecordPageFailed records that the provider refused for good to page
// staffID (a wrong or unreachable work phone) at a step, with its reason.
func (c *Conversation) RecordPageFailed(escalationID string, round, level int, staffID, reason string, code int, m Meta) error {
	return c.RecordRulePageFailed(RulePage{EscalationID: escalationID, Round: round, Level: level, StaffID: staffID}, reason, code, m)
}

// RecordRulePageFailed records that a page by one of a person's rules
// failed (refused by the provider, not delivered, not answered), with
// the reason and the provider's error code; once per rule and step.
func (c *Conversation) RecordRulePageFailed(p RulePage, reason string, code int, m Meta) error {
	if _, err := c.escalation(p.EscalationID); err != nil {
		return err
	}
	return c.recordWithID("pagefail-"+p.EscalationID+"-"+Step(p.Round, p.Level)+"-"+p.StaffID+p.suffix(), MessageSendFailed{SendID: p.EscalationID,
		Kind: SendPage, Recipient: p.StaffID, Reason: reason, Code: code}, m)
}

// RecordUndeliveredPages records, as failed pages with the provider's
// status and error code, the pages of escalationID's current step that the
// provider reported undelivered or failed (once each).
func (c *Conversation) RecordUndeliveredPages(escalationID string, m Meta) error {
	esc, err := c.escalation(escalationID)
	if err != nil {
		return err
	}
	sids := slices.Sorted(maps.Keys(c.Pages))
	for _, sid := range sids {
		ref, st := c.Pages[sid], c.Undelivered[sid]
		if ref.EscalationID != esc.ID || ref.Round != esc.Round || ref.Level != esc.Level || st.Status == "" {
			continue
		}
		p := RulePage{EscalationID: esc.ID, Round: ref.Round, Level: ref.Level, StaffID: ref.StaffID, Rule: ref.Rule}
		if err := c.RecordRulePageFailed(p, st.Status, st.ErrorCode, m); err != nil {
			return err
		}
	}
	return nil
}

// ReEscalate records the move of an open escalation from fromLevel to the
// step (round, toLevel), for reason. An escalation already at or past
// that step (another replica moved it) records nothing.
func (c *Conversation) ReEscalate(escalationID string, fromLevel, toLevel, round int, reason string, m Meta) error {
	esc, err := c.escalation(escalationID)
	if err != nil {
		return err
	}
	if !esc.Open() || esc.Round > round || esc.Round == round && esc.Level >= toLevel {
		return nil
	}
	return c.recordWithID("reesc-"+escalationID+"-"+Step(round, toLevel), EscalationReEscalated{EscalationID: escalationID,
		FromLevel: fromLevel, ToLevel: toLevel, Round: round, Reason: reason}, m)
}

// Exhaust records that every step of the policy was paged, rounds times,
// without an acknowledgement. An escalation acknowledged or exhausted
// meanwhile records nothing.
func (c *Conversation) Exhaust(escalationID string, rounds int, m Meta) error {
	esc, err := c.escalation(escalationID)
	if err != nil {
		return err
	}
	if !esc.Open() {
		return nil
	}
	return c.recordWithID("exhausted-"+escalationID, EscalationExhausted{EscalationID: escalationID, Rounds: rounds}, m)
}

// Acknowledge records that staffID takes escalationID on in the console.
// Only the first acknowledgement counts: a later one gets
// *AlreadyAcknowledgedError.
func (c *Conversation) Acknowledge(escalationID, staffID string, m Meta) error {
	return c.AcknowledgeVia(escalationID, staffID, AckConsole, m)
}

// AcknowledgeVia records that staffID takes escalationID on, and how (one
// of AckConsole, AckReply, AckSMS, AckCall). Only the first
// acknowledgement counts: a later one, whichever way it came, gets
// *AlreadyAcknowledgedError naming who was first.
func (c *Conversation) AcknowledgeVia(escalationID, staffID, via string, m Meta) error {
	esc, err := c.escalation(escalationID)
	if err != nil {
		return err
	}
	if err := validAck(staffID, via); err != nil {
		return err
	}
	if esc.Acknowledged {
		return &AlreadyAcknowledgedError{StaffID: esc.AcknowledgedBy, At: esc.AcknowledgedAt}
	}
	return c.record(EscalationAcknowledged{EscalationID: escalationID, StaffID: staffID, Via: via}, m)
}

func validAck(staffID, via string) error {
	if err := ValidateID(staffID); err != nil {
		return fmt.Errorf("staff id: %w", err)
	}
	if !slices.Contains([]string{AckConsole, AckReply, AckSMS, AckCall}, via) {
		return fmt.Errorf("%w: acknowledged via %q", ErrInvalidCommand, via)
	}
	return nil
}

// Decline records that staffID, paged for escalationID, cannot take it on.
// Once everyone paged at the escalation's current step declined (or their
// page failed), the step is refused (Escalation.StepRefused) and the pager
// moves on at once. A decline after someone acknowledged gets
// *AlreadyAcknowledgedError naming who; declining twice at a step records
// it once; an exhausted escalation records nothing.
func (c *Conversation) Decline(escalationID, staffID, via string, m Meta) error {
	esc, err := c.escalation(escalationID)
	if err != nil {
		return err
	}
	if esc.Acknowledged {
		return &AlreadyAcknowledgedError{StaffID: esc.AcknowledgedBy, At: esc.AcknowledgedAt}
	}
	if err := validAck(staffID, via); err != nil {
		return err
	}
	if esc.Exhausted {
		return nil
	}
	return c.recordWithID(DerivedID("decline", escalationID, Step(esc.Round, esc.Level), staffID), EscalationDeclined{EscalationID: escalationID,
		StaffID: staffID, Round: esc.Round, Level: esc.Level, Via: via}, m)
}

// Assign records that a worker (and optionally a team) answers the
// conversation.
func (c *Conversation) Assign(assigneeID, teamID, byStaffID string, m Meta) error {
	if err := c.mustBeOpen(); err != nil {
		return err
	}
	if err := ValidateID(assigneeID); err != nil {
		return fmt.Errorf("assignee: %w", err)
	}
	return c.record(ConversationAssigned{AssigneeID: assigneeID, TeamID: teamID, ByStaffID: byStaffID}, m)
}

// ReplyEventID is the id of the event that requests reply replyID: its
// body is sealed bound to it (BodyAAD(ReplyEventID(replyID))).
func ReplyEventID(replyID string) string { return "rq-" + replyID }

// RequestReply records a worker's reply for the SMS bridge to send, once
// per reply id. On WhatsApp it is refused (OutsideWindowError) more than
// 24 hours after the client's latest message. A worker answering the client has taken the conversation
// on: every escalation open when the reply came is acknowledged by them
// (via AckReply), so nobody else is paged for it.
func (c *Conversation) RequestReply(replyID, staffID, senderName string, body Sealed, m Meta) error {
	if _, requested := c.Replies[replyID]; requested || c.Sends[replyID] != "" {
		return nil
	}
	if err := c.mustBeOpen(); err != nil {
		return err
	}
	if len(body.Data) == 0 {
		return fmt.Errorf("%w: empty reply", ErrInvalidEnvelope)
	}
	if err := c.replyWindowOpen(m.OccurredAt); err != nil {
		return err
	}
	if err := c.recordWithID(ReplyEventID(replyID), ReplyRequested{ReplyID: replyID, StaffID: staffID, SenderName: senderName, Body: body}, m); err != nil {
		return err
	}
	return c.AcknowledgeReplied(m)
}

// AcknowledgeReplied acknowledges, by the replying worker (via AckReply),
// each escalation a worker's reply came in while it was open. RequestReply
// does so itself; the notification service runs it for a reply appended
// otherwise. Once acknowledged (by anyone) nothing more is recorded.
func (c *Conversation) AcknowledgeReplied(m Meta) error {
	for _, esc := range c.OpenEscalations() {
		if esc.RepliedBy == "" || ValidateID(esc.RepliedBy) != nil {
			continue
		}
		if err := c.recordWithID(DerivedID("ack-reply", esc.ID), EscalationAcknowledged{EscalationID: esc.ID, StaffID: esc.RepliedBy, Via: AckReply}, m); err != nil {
			return err
		}
	}
	return nil
}

// Recipients of a send other than a staff member.
const RecipientClient = "client"

// RecordSent records an SMS (a reply, an auto-reply) the provider
// accepted for the client, once per send id.
func (c *Conversation) RecordSent(sendID, kind, providerMessageID string, m Meta) error {
	if c.Sends[sendID] != "" {
		return nil
	}
	return c.recordWithID("sent-"+sendID, MessageSent{SendID: sendID, Kind: kind, Recipient: RecipientClient, ProviderMessageID: providerMessageID}, m)
}

// RecordSendFailed records a send to the client the provider refused for
// good, with the reason for staff to see, once per send id.
func (c *Conversation) RecordSendFailed(sendID, kind, reason string, code int, m Meta) error {
	if c.Sends[sendID] != "" {
		return nil
	}
	return c.recordWithID("failed-"+sendID, MessageSendFailed{SendID: sendID, Kind: kind, Recipient: RecipientClient, Reason: reason, Code: code}, m)
}

// BlockSend records that a send to the client did not happen (the client
// opted out, or was erased), with the reason, once per send id.
func (c *Conversation) BlockSend(sendID, reason string, m Meta) error {
	if c.Sends[sendID] != "" {
		return nil
	}
	return c.recordWithID("blocked-"+sendID, ReplyBlocked{ReplyID: sendID, Reason: reason}, m)
}

// RecordDeliveryStatus records a provider's delivery status callback for
// one of the conversation's messages. It decides nothing: the same
// callback again is the same event (its id derives from the message and
// the status).
func (c *Conversation) RecordDeliveryStatus(providerMessageID, status string, errorCode int, m Meta) error {
	return c.recordWithID("dlv-"+strings.ToLower(providerMessageID)+"-"+status, DeliveryStatusChanged{ProviderMessageID: providerMessageID,
		Status: status, ErrorCode: errorCode}, m)
}

// EscalateByHand records a staff member's escalation of the conversation,
// with a reason code (ManualReasons) and, optionally, the message that
// prompted it: a crisis-level escalation that notification pages like any
// other. While another escalation is open someone is already being paged,
// so it records nothing and says so (ErrAlreadyEscalated). The id derives
// from the request's (requestID: one per button press), so a retried
// request records it once.
func (c *Conversation) EscalateByHand(requestID, staffID, reason, messageID string, m Meta) error {
	if err := c.mustBeOpen(); err != nil {
		return err
	}
	if !slices.Contains(ManualReasons, reason) {
		return fmt.Errorf("%w: reason %q (one of %s)", ErrInvalidCommand, reason, strings.Join(ManualReasons, ", "))
	}
	if messageID != "" {
		if err := c.recall(messageID); err != nil {
			return err
		}
		if _, ok := c.Messages[messageID]; !ok {
			return fmt.Errorf("message %s: %w", messageID, ErrNotFound)
		}
	}
	escID := "esc-manual-" + requestID
	if _, raised := c.Escalations[escID]; raised {
		return nil
	}
	if open := c.OpenEscalations(); len(open) > 0 {
		return fmt.Errorf("conversation %s (%s): %w", c.ID, open[0].ID, ErrAlreadyEscalated)
	}
	if err := c.recordWithID(escID+"-by", EscalationRequested{EscalationID: escID, StaffID: staffID, Reason: reason, MessageID: messageID}, m); err != nil {
		return err
	}
	return c.recordWithID(escID, EscalationRaised{EscalationID: escID, LineID: c.LineID, MessageID: messageID, Reason: ReasonManual,
		Risk: RiskCrisis, Categories: []string{reason}, Terms: NoWords()}, m)
}

// RecordTriageFeedback records a staff member's mark on triage's verdict on
// one message (FeedbackMissed or FeedbackFalseAlarm), copying the verdict
// as it was. Marking the same message the same way twice records it once
// per staff member.
func (c *Conversation) RecordTriageFeedback(messageID, staffID, feedback string, m Meta) error {
	if !c.Started {
		return fmt.Errorf("conversation %s: %w", c.ID, ErrNotFound)
	}
	if feedback != FeedbackMissed && feedback != FeedbackFalseAlarm {
		return fmt.Errorf("%w: feedback %q (missed or false_alarm)", ErrInvalidCommand, feedback)
	}
	v, ok := c.Verdict(messageID)
	if !ok && c.mayHaveForgotten(messageID) {
		return forgottenError(c, messageID)
	}
	if !ok {
		return fmt.Errorf("verdict on message %s: %w", messageID, ErrNotFound)
	}
	return c.recordWithID(DerivedID("triage-feedback", c.ID, messageID, staffID, feedback), TriageFeedbackRecorded{MessageID: messageID, StaffID: staffID,
		Feedback: feedback, Risk: v.Risk, Rule: v.Rule, LexiconVersion: v.LexiconVersion, Signals: v.Signals, Terms: v.Terms.Words()}, m)
}
