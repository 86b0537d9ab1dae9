package events

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Errors from conversation commands.
var (
	ErrNotFound            = errors.New("not found")
	ErrClosed              = errors.New("conversation is closed")
	ErrAlreadyAcknowledged = errors.New("already acknowledged")
	// ErrAlreadyEscalated: someone is already being paged for the
	// conversation, so a manual escalation adds nothing.
	ErrAlreadyEscalated = errors.New("an escalation is already open")
	// ErrInvalidCommand: a command's argument is not one the domain
	// accepts (an unknown reason code, an unknown feedback).
	ErrInvalidCommand = errors.New("invalid command")
)

// AlreadyAcknowledgedError tells a duty worker who got there first.
type AlreadyAcknowledgedError struct {
	StaffID string
	At      time.Time
}

func (e *AlreadyAcknowledgedError) Error() string {
	return fmt.Sprintf("already acknowledged by %s at %s", e.StaffID, e.At.UTC().Format(time.RFC3339))
}

// Unwrap lets callers test with errors.Is(err, ErrAlreadyAcknowledged).
func (e *AlreadyAcknowledgedError) Unwrap() error { return ErrAlreadyAcknowledged }

// Escalation is the state of one escalation within a conversation.
type Escalation struct {
	ID         string
	Reason     string
	Categories []string
	RaisedAt   time.Time
	Level      int
	Round      int
	// StepAt is when the escalation reached its current step (raised or
	// re-escalated).
	StepAt          time.Time
	LastPagedAt     time.Time
	Pages           int
	Acknowledged    bool
	AcknowledgedBy  string
	AcknowledgedAt  time.Time
	AcknowledgedVia string
	Exhausted       bool
	// RepliedBy is the first staff member whose reply to the client came
	// while the escalation was open: they have taken it on
	// (Conversation.AcknowledgeReplied).
	RepliedBy string
	// PassOver is who an unheeded urgent notice told about the message
	// that raised the escalation: the pager passes over them in its first
	// round, since they did not answer (notice.go).
	PassOver string
	// Refused records, by Step(round, level), who declined or whose page
	// was not delivered: a step everyone paged at refused moves on at once.
	Refused map[string][]string
	// Declined records, by step, who declined (a subset of Refused).
	Declined map[string][]string
	// Paged records which staff were paged at which step of the policy,
	// keyed by Step(round, level), so a redelivered event or a restarted
	// timer can tell whether a step still needs its page.
	Paged map[string][]string
	// Notices holds, by noticeKey(step, staff), each paged person's latest
	// page at the step: which of their notification rules, and whether it
	// failed.
	Notices map[string]Notice
	// Attempts holds the pages attempted, by step, staff and rule
	// (pageattempt.go): recorded before the provider is asked.
	Attempts map[string]Attempt
}

// Notice is a person's latest page at one step of an escalation.
type Notice struct {
	// Rule is which of their notification rules it was (from 0), Channel
	// how it went (PageBySMS, PageByCall).
	Rule    int
	Channel string
	// Last: it was their last rule. Failed: the provider reported it not
	// delivered (an SMS) or not answered (a call).
	Last, Failed bool
	// FirstAt is when the person was first paged at the step: their rules'
	// delays count from it.
	FirstAt time.Time
}

func noticeKey(step, staffID string) string { return step + "/" + staffID }

// Notice returns staffID's latest page at (round, level), if they were
// paged there.
func (e *Escalation) Notice(round, level int, staffID string) (Notice, bool) {
	n, ok := e.Notices[noticeKey(Step(round, level), staffID)]
	return n, ok
}

// Step names one step of an escalation policy.
func Step(round, level int) string { return fmt.Sprintf("r%d-l%d", round, level) }

// PagedAtStep reports whether staffID was paged at (round, level).
func (e *Escalation) PagedAtStep(round, level int, staffID string) bool {
	for _, s := range e.Paged[Step(round, level)] {
		if s == staffID {
			return true
		}
	}
	return false
}

// StepRefused reports whether everyone paged at (round, level) declined
// or could not be reached: nobody at that step will take it on.
func (e *Escalation) StepRefused(round, level int) bool {
	step := Step(round, level)
	paged := e.Paged[step]
	if len(paged) == 0 {
		return false
	}
	for _, s := range paged {
		if !slices.Contains(e.Refused[step], s) {
			return false
		}
	}
	return true
}

// RefusalReason says why a refused step is moved on from: "declined" when
// anyone paged at it declined, else "undelivered".
func (e *Escalation) RefusalReason(round, level int) string {
	if len(e.Declined[Step(round, level)]) > 0 {
		return "declined"
	}
	return "undelivered"
}

// PageRef names one page SMS: the escalation, step and staff member it
// paged.
type PageRef struct {
	EscalationID string
	Round, Level int
	StaffID      string
	// Rule is which of the person's rules it was; Last, whether their last.
	Rule int
	Last bool
}

// Open reports whether the escalation still needs someone.
func (e *Escalation) Open() bool { return !e.Acknowledged && !e.Exhausted }

// Conversation is the state of one conversation, folded from its events.
// Apply only changes state; command methods validate, then record events
// that the repository appends with the conversation's Version as the
// expected sequence.
type Conversation struct {
	ID        string
	LineID    string
	ClientID  string
	Pseudonym string
	Channel   string
	Started   bool
	Closed    bool
	// ClosedAt is when it was last closed (zero while it never was); a
	// client's message within the line's reopen window after it reopens
	// the conversation.
	ClosedAt   time.Time
	AssigneeID string
	TeamID     string
	// LastInboundSeq is the stream sequence of the latest client message:
	// a close on a page that did not show it is refused.
	LastInboundSeq uint64
	// HandOvers holds the event ids of the hand-overs recorded, so a
	// retried request records one.
	HandOvers map[string]bool

	Received      int
	LastInboundAt time.Time
	FirstReplyAt  time.Time
	// StartedAt is when the conversation started; LastReplyAt when a
	// worker last asked for a reply to be sent: a client waits while
	// LastInboundAt is after it.
	StartedAt       time.Time
	LastReplyAt     time.Time
	Escalations     map[string]*Escalation
	EscalationOrder []string
	// Sends maps a send id (reply id, auto-reply id) to its outcome:
	// "sent", "failed" or "blocked", so a send is never repeated once
	// recorded.
	Sends map[string]string
	// Replies holds worker replies not yet sent, failed or blocked.
	Replies map[string]ReplyRequested
	// Messages maps the id of each of the latest messages received (and
	// survey answers) to the stream sequence of its event (0 while
	// recorded and not yet appended): at least the latest keptMessages,
	// at most twice as many. An older id leaves a hash in forgotten, so a
	// message sent again however long after is still found (recall.go).
	Messages map[string]uint64
	// MessagesSeen counts the message ids ever added to Messages.
	MessagesSeen int
	// forgotten holds the sorted hashes of the ids forgotten from Messages
	// and verdicts; it is never changed in place (clones share it). whole
	// is set on a conversation folded to forget nothing (LoadWhole).
	forgotten []uint32
	whole     bool
	// verdicts holds each triaged message's verdict (of those in Messages
	// and those urgent notices are about), content-free (risk,
	// rule, versions, signals), interned (keptVerdict), and verdictTerms
	// the sealed matched words of those that have any: what a staff
	// member's feedback on it copies (Verdict), and that the message was
	// triaged, so a redelivered message is not triaged (escalated, paged)
	// twice (Triaged).
	verdicts     map[string]keptVerdict
	verdictTerms map[string]Sealed
	// Recent lists the latest verdicts, oldest first, at most
	// RecentVerdicts of them: triage reads a message with its
	// conversation's recent state.
	Recent []RecentVerdict
	// Pages maps each page SMS's provider id to the page it was, so a
	// delivery status names who could not be reached.
	Pages map[string]PageRef
	// Undelivered holds the provider's failure statuses by message id: a
	// callback may come before the page it is about is recorded.
	Undelivered map[string]DeliveryStatusChanged
	// Clock is the response clock running, if any (clocks.go).
	Clock ResponseClock
	// StoppedSeq is the log sequence of the latest worker reply or close,
	// which stopped any clock: a message before it needs none.
	StoppedSeq uint64
	// Survey is the post-contact survey so far (survey.go).
	Survey SurveyState
	// Language is the language triage last read the client's words in
	// ("" until a verdict matched any): automatic texts sent later (the
	// survey) are in it.
	Language string
	// FollowUps are the check-ins scheduled at closes, by id
	// (followup.go); followUpOrder, their ids as scheduled.
	FollowUps     map[string]FollowUp
	followUpOrder []string
	// UrgentNotices are the urgent notices raised, by id (notice.go).
	UrgentNotices map[string]UrgentNotice

	recording
}

// NewConversation returns an empty conversation with the given id.
func NewConversation(id string) *Conversation {
	return &Conversation{ID: id, Escalations: map[string]*Escalation{}, Sends: map[string]string{}, Replies: map[string]ReplyRequested{},
		Messages: map[string]uint64{}, HandOvers: map[string]bool{}, verdicts: map[string]keptVerdict{}, verdictTerms: map[string]Sealed{}, Pages: map[string]PageRef{}, Undelivered: map[string]DeliveryStatusChanged{},
		FollowUps: map[string]FollowUp{}, UrgentNotices: map[string]UrgentNotice{}}
}

// newWholeConversation is NewConversation for a fold that forgets no
// message (LoadConversationWhole).
func newWholeConversation(id string) *Conversation {
	c := NewConversation(id)
	c.whole = true
	return c
}

// Clone returns a deep copy: changing the copy (applying events, recording
// commands) never changes c, and the other way round. Byte slices of
// sealed bodies are copied too.
func (c *Conversation) Clone() *Conversation {
	out := *c
	out.Escalations = make(map[string]*Escalation, len(c.Escalations))
	for id, esc := range c.Escalations {
		out.Escalations[id] = esc.clone()
	}
	out.EscalationOrder = slices.Clone(c.EscalationOrder)
	out.Sends = maps.Clone(c.Sends)
	out.Replies = make(map[string]ReplyRequested, len(c.Replies))
	for id, r := range c.Replies {
		r.Body.Data = bytes.Clone(r.Body.Data)
		out.Replies[id] = r
	}
	out.Messages = maps.Clone(c.Messages) // forgotten is never changed in place: shared
	out.HandOvers = maps.Clone(c.HandOvers)
	out.verdicts = maps.Clone(c.verdicts) // interned values: never changed
	out.verdictTerms = make(map[string]Sealed, len(c.verdictTerms))
	for id, t := range c.verdictTerms {
		t.Data = bytes.Clone(t.Data)
		out.verdictTerms[id] = t
	}
	out.Pages = maps.Clone(c.Pages)
	out.Undelivered = maps.Clone(c.Undelivered)
	out.Recent = slices.Clone(c.Recent)
	out.FollowUps, out.followUpOrder = maps.Clone(c.FollowUps), slices.Clone(c.followUpOrder)
	out.UrgentNotices = make(map[string]UrgentNotice, len(c.UrgentNotices))
	for id, n := range c.UrgentNotices {
		n.Categories = slices.Clone(n.Categories)
		out.UrgentNotices[id] = n
	}
	for i, r := range out.Recent {
		out.Recent[i].Signals = slices.Clone(r.Signals)
	}
	out.recording = c.recording.clone()
	return &out
}

func (e *Escalation) clone() *Escalation {
	out := *e
	out.Categories = slices.Clone(e.Categories)
	out.Paged = cloneSteps(e.Paged)
	out.Refused, out.Declined = cloneSteps(e.Refused), cloneSteps(e.Declined)
	out.Notices = maps.Clone(e.Notices)
	out.Attempts = maps.Clone(e.Attempts)
	return &out
}

func cloneSteps(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for step, staff := range m {
		out[step] = slices.Clone(staff)
	}
	return out
}

// Apply folds one stored event into the state.
func (c *Conversation) Apply(e Envelope) error { return c.applyStored(e, c.apply) }

// apply only changes state: e is the event p came in (its sequence is 0
// while it is recorded and not yet appended).
func (c *Conversation) apply(p Payload, e Envelope) {
	at := e.OccurredAt
	switch p := p.(type) {
	case ConversationStarted:
		c.Started, c.LineID, c.ClientID, c.Pseudonym, c.Channel = true, p.LineID, p.ClientID, p.Pseudonym, p.Channel
		if c.StartedAt.IsZero() {
			c.StartedAt = at
		}
	case MessageTriaged:
		if len(p.Matches) > 0 && p.Matches[0].Language != "" {
			c.Language = p.Matches[0].Language
		}
		v := summarise(p)
		c.verdicts[p.MessageID] = keepVerdict(v)
		if !v.Terms.Empty() {
			c.verdictTerms[p.MessageID] = v.Terms
		}
		c.Recent = append(c.Recent, RecentVerdict{At: at, Risk: p.Risk, Signals: v.Signals, Rule: p.Rule})
		if n := len(c.Recent); n > RecentVerdicts {
			c.Recent = slices.Clone(c.Recent[n-RecentVerdicts:])
		}
	case MessageReceived:
		c.Received++
		c.LastInboundAt = p.ReceivedAt
		c.noteMessage(p.MessageID, e.Sequence)
		c.LastInboundSeq = max(c.LastInboundSeq, e.Sequence)
	case ReplyRequested:
		if c.FirstReplyAt.IsZero() {
			c.FirstReplyAt = at
		}
		c.stopClock(e)
		c.LastReplyAt = at
		c.Replies[p.ReplyID] = p
		for _, esc := range c.OpenEscalations() {
			if esc.RepliedBy == "" {
				esc.RepliedBy = p.StaffID
			}
		}
	case MessageSent:
		c.Sends[p.SendID] = "sent"
		if n, ok := c.UrgentNotices[p.SendID]; ok {
			n.ProviderID = p.ProviderMessageID
			c.UrgentNotices[p.SendID] = n
		}
	case MessageSendFailed:
		c.Sends[p.SendID] = "failed"
	case ReplyBlocked:
		c.Sends[p.ReplyID] = "blocked"
	case EscalationRaised:
		if _, seen := c.Escalations[p.EscalationID]; !seen {
			c.Escalations[p.EscalationID] = &Escalation{ID: p.EscalationID, Reason: p.Reason, Categories: p.Categories, RaisedAt: at, Round: 1,
				StepAt: at, Paged: map[string][]string{}, Refused: map[string][]string{},
				Declined: map[string][]string{}, Notices: map[string]Notice{}, Attempts: map[string]Attempt{}}
			if n, noticed := c.UrgentNotices[NoticeID(p.MessageID)]; noticed && p.MessageID != "" && p.Reason == ReasonCrisis {
				c.Escalations[p.EscalationID].PassOver = n.StaffID
			}
			c.EscalationOrder = append(c.EscalationOrder, p.EscalationID)
		}
	case EscalationPaged:
		if esc := c.Escalations[p.EscalationID]; esc != nil {
			esc.Level, esc.Round, esc.LastPagedAt = p.Level, p.Round, at
			esc.Pages++
			step := Step(p.Round, p.Level)
			if !slices.Contains(esc.Paged[step], p.StaffID) {
				esc.Paged[step] = append(esc.Paged[step], p.StaffID)
			}
			k := noticeKey(step, p.StaffID)
			if n, seen := esc.Notices[k]; !seen || n.Rule < p.Rule {
				first := at
				if seen {
					first = n.FirstAt
				}
				esc.Notices[k] = Notice{Rule: p.Rule, Channel: p.Channel, Last: p.Last, FirstAt: first}
			}
			if p.ProviderMessageID != "" {
				c.Pages[p.ProviderMessageID] = PageRef{EscalationID: p.EscalationID, Round: p.Round, Level: p.Level, StaffID: p.StaffID,
					Rule: p.Rule, Last: p.Last}
				if _, failed := c.Undelivered[p.ProviderMessageID]; failed {
					c.pageFailed(p.ProviderMessageID)
				}
			}
		}
	case EscalationDeclined:
		if esc := c.Escalations[p.EscalationID]; esc != nil {
			esc.refuse(Step(p.Round, p.Level), p.StaffID)
			if step := Step(p.Round, p.Level); !slices.Contains(esc.Declined[step], p.StaffID) {
				esc.Declined[step] = append(esc.Declined[step], p.StaffID)
			}
		}
	case DeliveryStatusChanged:
		if !PageUndelivered(p.Status) {
			break
		}
		c.Undelivered[p.ProviderMessageID] = p
		c.pageFailed(p.ProviderMessageID)
	case CallStatusChanged:
		if !CallRefused(p.Status) {
			break
		}
		c.Undelivered[p.ProviderCallID] = DeliveryStatusChanged{ProviderMessageID: p.ProviderCallID, Status: p.Status, ErrorCode: p.ErrorCode}
		c.pageFailed(p.ProviderCallID)
	case EscalationReEscalated:
		if esc := c.Escalations[p.EscalationID]; esc != nil {
			esc.Level, esc.Round, esc.StepAt = p.ToLevel, p.Round, at
		}
	case EscalationAcknowledged:
		if esc := c.Escalations[p.EscalationID]; esc != nil && !esc.Acknowledged {
			esc.Acknowledged, esc.AcknowledgedBy, esc.AcknowledgedAt, esc.AcknowledgedVia = true, p.StaffID, at, p.Via
		}
	case EscalationExhausted:
		if esc := c.Escalations[p.EscalationID]; esc != nil {
			esc.Exhausted = true
		}
	case ConversationAssigned:
		c.AssigneeID, c.TeamID = p.AssigneeID, p.TeamID
	case ConversationClosed:
		c.Closed, c.ClosedAt = true, at
		c.stopClock(e)
	case ConversationReopened:
		c.Closed = false
		c.applySurvey(p, e)
	case SurveyQuestionAsked, SurveyAnswered:
		c.applySurvey(p, e)
	case ConversationHandedOver:
		c.AssigneeID, c.TeamID = p.AssigneeID, p.TeamID
		c.HandOvers[e.ID] = true
	case UrgentNoticeRaised:
		c.applyNotice(p)
	case PageAttempted:
		c.applyAttempt(p, at)
	case ResponseClockStarted:
		c.Clock = ResponseClock{ID: p.ClockID, Kind: p.Kind, MessageID: p.MessageID, From: p.From, Due: p.Due}
	}
	c.applyFollowUp(p, at)
}

// pageFailed marks the page with provider id sid failed, if it is known:
// the person's notice, if it is their latest, and the person as refused
// at the step if it was their last rule (until then, the pager tries
// their next rule at once).
func (c *Conversation) pageFailed(sid string) {
	ref, ok := c.Pages[sid]
	if !ok {
		return
	}
	esc := c.Escalations[ref.EscalationID]
	if esc == nil {
		return
	}
	step := Step(ref.Round, ref.Level)
	k := noticeKey(step, ref.StaffID)
	if n, ok := esc.Notices[k]; ok && n.Rule == ref.Rule {
		n.Failed = true
		esc.Notices[k] = n
	}
	if ref.Last {
		esc.refuse(step, ref.StaffID)
	}
}

func (e *Escalation) refuse(step, staffID string) {
	if !slices.Contains(e.Refused[step], staffID) {
		e.Refused[step] = append(e.Refused[step], staffID)
	}
}

// PageUndelivered reports a provider delivery status that means the page
// never reached the phone: a refusal, like a decline.
func PageUndelivered(status string) bool { return status == "undelivered" || status == "failed" }

// CallRefused reports a page call's status that means nobody answered it:
// a refusal, like an undelivered SMS.
func CallRefused(status string) bool {
	return status == "busy" || status == "failed" || status == "no-answer" || status == "canceled"
}

// OpenEscalations returns the escalations still waiting for someone, oldest
// first.
func (c *Conversation) OpenEscalations() []*Escalation {
	var out []*Escalation
	for _, id := range c.EscalationOrder {
		if esc := c.Escalations[id]; esc.Open() {
			out = append(out, esc)
		}
	}
	return out
}
