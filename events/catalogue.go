package events

import (
	"encoding/base32"
	"fmt"
	"reflect"
	"sort"
	"time"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Payload is any catalogued event payload struct (a value, not a pointer).
type Payload any

// Definition describes one event type at one version.
type Definition struct {
	Type      string
	Version   int
	Aggregate string
	// Doc is a one-sentence description, copied into the contracts.
	Doc string
	// Example returns a filled-in payload used by the contract tests.
	Example func() Payload

	goType reflect.Type
	// upcast, for an older version, turns its payload into the current
	// version's Go type.
	upcast func(Payload) Payload
}

// New returns a pointer to a zero payload of this definition's Go type.
func (d Definition) New() any { return reflect.New(d.goType).Interface() }

type defKey struct {
	typ     string
	version int
}

var (
	byKey    = map[defKey]Definition{}
	byGoType = map[reflect.Type]Definition{}
)

// register adds a definition to the catalogue. It runs only from this
// package's var initialisation, so the catalogue is fixed before main.
func register(aggregate, typ string, version int, doc string, example func() Payload) bool {
	t := reflect.TypeOf(example())
	d := Definition{Type: typ, Version: version, Aggregate: aggregate, Doc: doc, Example: example, goType: t}
	k := defKey{typ, version}
	if _, dup := byKey[k]; dup {
		panic(fmt.Sprintf("events: %s v%d registered twice", typ, version))
	}
	if _, dup := byGoType[t]; dup {
		panic(fmt.Sprintf("events: Go type %s registered twice", t))
	}
	byKey[k] = d
	byGoType[t] = d
	return true
}

// upcast makes Decode return an older version's payload as the current
// version's Go type. It runs only from this package's var initialisation,
// after the version's register.
func upcast(typ string, version int, fn func(Payload) Payload) bool {
	k := defKey{typ, version}
	d, ok := byKey[k]
	if !ok {
		panic(fmt.Sprintf("events: upcast of unregistered %s v%d", typ, version))
	}
	d.upcast = fn
	byKey[k] = d
	byGoType[d.goType] = d
	return true
}

// Lookup returns the definition of an event type at a version.
func Lookup(typ string, version int) (Definition, bool) {
	d, ok := byKey[defKey{typ, version}]
	return d, ok
}

// Catalogue returns every definition, sorted by type then version.
func Catalogue() []Definition {
	out := make([]Definition, 0, len(byKey))
	for _, d := range byKey {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Version < out[j].Version
	})
	return out
}

func definitionOf(p Payload) (Definition, bool) {
	d, ok := byGoType[reflect.TypeOf(p)]
	return d, ok
}

func derefPayload(p any) Payload { return reflect.ValueOf(p).Elem().Interface() }

// Sealed is content encrypted with one client's data key (AES-256-GCM by the
// keyring). KeyID names the client whose key sealed it; once that key is
// erased the data can never be read again. Data is base64 in JSON.
type Sealed struct {
	KeyID string `json:"key_id"`
	Data  []byte `json:"data"`
}

// Channels a conversation can arrive through.
const (
	ChannelSMS     = "sms"
	ChannelWebChat = "webchat"
	// ChannelWhatsApp is WhatsApp through the line's WhatsApp sender on
	// the same Twilio account (lines[].whatsapp_from).
	ChannelWhatsApp = "whatsapp"
)

// Risk levels decided by triage.
const (
	RiskNone     = "none"
	RiskElevated = "elevated"
	RiskCrisis   = "crisis"
)

// Escalation reasons.
const (
	ReasonCrisis     = "crisis"
	ReasonOutOfHours = "out_of_hours"
	ReasonUnanswered = "unanswered"
	// ReasonManual: a worker or duty worker raised it by hand.
	ReasonManual = "manual"
)

// Reasons a staff member may give for raising an escalation by hand:
// codes, never free text (a note could carry a client's words).
const (
	ManualRiskToLife    = "risk_to_life"
	ManualSafeguarding  = "safeguarding"
	ManualTriageMissed  = "triage_missed"
	ManualNeedsDutyLead = "needs_duty_worker"
)

// ManualReasons are the codes EscalationRequested accepts, in the order the
// console offers them.
var ManualReasons = []string{ManualRiskToLife, ManualSafeguarding, ManualTriageMissed, ManualNeedsDutyLead}

// Triage feedback a staff member may record on a message's verdict.
const (
	FeedbackMissed     = "missed"      // triage should have escalated it
	FeedbackFalseAlarm = "false_alarm" // triage escalated what was not a crisis
)

// Consent changes a client can make by keyword.
const (
	ConsentOptedOut      = "opted_out"
	ConsentOptedIn       = "opted_in"
	ConsentHelpRequested = "help_requested"
)

// How a staff member acknowledged (or declined) an escalation.
const (
	AckConsole = "console" // the console's Acknowledge button
	AckReply   = "reply"   // a reply to the client in the conversation
	AckSMS     = "sms"     // "1" (or "2") texted back to the page
	AckCall    = "call"    // 1 pressed on a page call
)

// Kinds of outbound SMS.
const (
	SendReply     = "reply"
	SendAutoReply = "auto_reply"
	SendPage      = "page"
)

var exampleTime = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

var exampleSealed = Sealed{KeyID: "k7q2kx3mz5d4a6ffh2rtw9pq1e", Data: []byte("ciphertext")}

// ConversationStarted records a new conversation between a client and a line.
type ConversationStarted struct {
	LineID   string `json:"line_id"`
	ClientID string `json:"client_id"`
	// Pseudonym is what staff see instead of the client's number.
	Pseudonym string `json:"pseudonym"`
	Channel   string `json:"channel"`
}

// MessageReceived records one inbound message. The body is sealed with the
// client's data key before it is appended.
type MessageReceived struct {
	MessageID string `json:"message_id"`
	LineID    string `json:"line_id"`
	ClientID  string `json:"client_id"`
	Channel   string `json:"channel"`
	// ProviderMessageID is Twilio's MessageSid for SMS (no content in it).
	ProviderMessageID string    `json:"provider_message_id,omitempty"`
	Body              Sealed    `json:"body"`
	ReceivedAt        time.Time `json:"received_at"`
}

// TriageMatch is one lexicon match in a message, without its words: the
// signal (or modifier) it raised, the language it was read in and how much
// it weighed. The matched terms are sealed (MessageTriaged.Terms). Version 2
// of the match: version 1 carried the term in plain text.
type TriageMatch struct {
	Category string  `json:"category"`
	Language string  `json:"language"`
	Weight   float64 `json:"weight"`
}

// TriageMatchV1 is a match of MessageTriagedV1, its term in plain text.
type TriageMatchV1 struct {
	Term     string  `json:"term"`
	Category string  `json:"category"`
	Language string  `json:"language"`
	Weight   float64 `json:"weight"`
}

// MessageTriaged records triage's explainable verdict on one message.
// Terms are the lexicon terms that scored, derived from the client's words:
// a JSON list of strings sealed with the client's key (TermsAAD of the
// message), empty when none scored; the signals (match categories), risk,
// rule, lexicon version and language stay plain, because routing, pages,
// triage's reading of the next message and the figures need them without
// a key. Version 2: version 1 carried each match's term in plain text;
// Decode drops those terms (an old verdict shows its signals, never its
// words).
type MessageTriaged struct {
	MessageID      string        `json:"message_id"`
	Risk           string        `json:"risk"`
	Score          float64       `json:"score"`
	Matches        []TriageMatch `json:"matches"`
	Terms          Sealed        `json:"terms"`
	LexiconVersion string        `json:"lexicon_version"`
	Rule           string        `json:"rule"`
	OutOfHours     bool          `json:"out_of_hours"`
}

// MessageTriagedV1 is version 1 of MessageTriaged, its matches' terms in
// plain text.
type MessageTriagedV1 struct {
	MessageID      string          `json:"message_id"`
	Risk           string          `json:"risk"`
	Score          float64         `json:"score"`
	Matches        []TriageMatchV1 `json:"matches"`
	LexiconVersion string          `json:"lexicon_version"`
	Rule           string          `json:"rule"`
	OutOfHours     bool            `json:"out_of_hours"`
}

// OutOfHoursContactRecorded records a message that arrived while the line
// was closed; the notification service answers once per closed period.
type OutOfHoursContactRecorded struct {
	MessageID    string    `json:"message_id"`
	LineID       string    `json:"line_id"`
	ClosedPeriod string    `json:"closed_period"`
	NextOpen     time.Time `json:"next_open"`
	// Language is the client's language where triage could tell (the
	// auto-reply is sent in it), else empty.
	Language string `json:"language,omitempty"`
}

// Kinds of response clock: the wait for a conversation's first worker
// reply, and for the next one after a client writes again.
const (
	ClockFirstResponse = "first_response"
	ClockNextResponse  = "next_response"
)

// ResponseClockStarted records that a client's message started a response
// clock: the line owes the client a worker's reply by Due, or the
// conversation escalates (reason unanswered, escalation id
// UnansweredEscalationID(ClockID)). The clock stops at the conversation's
// next reply_requested (a worker's reply) or closed event; no event
// records the stop. Times are what figures need: the wait counts from
// From (ReceivedAt, or the line's next opening for a message that came
// while it was closed), and is past its target after Due.
type ResponseClockStarted struct {
	ClockID    string    `json:"clock_id"`
	Kind       string    `json:"kind"`
	MessageID  string    `json:"message_id"`
	LineID     string    `json:"line_id"`
	ReceivedAt time.Time `json:"received_at"`
	From       time.Time `json:"from"`
	Due        time.Time `json:"due"`
	// TargetSeconds is the line's target for this kind when it started:
	// Due is From plus it.
	TargetSeconds int64 `json:"target_seconds"`
}

// UrgentNoticeRaised records that a crisis message came in a conversation
// whose crisis escalation a worker acknowledged and is working
// (EscalationID, acknowledged by StaffID): instead of a new escalation,
// that worker is told at once by an SMS to their work phone (no client
// number, no words: the pseudonym, the categories and the conversation's
// link), and the client is not told again that someone was alerted. If
// no staff reply (or close) follows the message by Due, the conversation
// escalates: escalation id "esc-<message_id>", reason crisis, paged from
// the policy's first level passing over StaffID in its first round.
type UrgentNoticeRaised struct {
	NoticeID     string    `json:"notice_id"`
	EscalationID string    `json:"escalation_id"`
	MessageID    string    `json:"message_id"`
	StaffID      string    `json:"staff_id"`
	Categories   []string  `json:"categories"`
	Due          time.Time `json:"due"`
}

// EscalationRaised records that a person must be paged, and why: the
// reason, the risk and the signals (categories) in plain text, the matched
// terms sealed as the message's verdict seals them (TermsAAD of MessageID;
// empty for an escalation no words raised). Version 2: version 1 carried
// the terms in plain text; Decode drops them.
type EscalationRaised struct {
	EscalationID string   `json:"escalation_id"`
	LineID       string   `json:"line_id"`
	MessageID    string   `json:"message_id,omitempty"`
	Reason       string   `json:"reason"`
	Risk         string   `json:"risk"`
	Categories   []string `json:"categories"`
	Terms        Sealed   `json:"terms"`
}

// EscalationRaisedV1 is version 1 of EscalationRaised, its terms in plain
// text.
type EscalationRaisedV1 struct {
	EscalationID string   `json:"escalation_id"`
	LineID       string   `json:"line_id"`
	MessageID    string   `json:"message_id,omitempty"`
	Reason       string   `json:"reason"`
	Risk         string   `json:"risk"`
	Categories   []string `json:"categories"`
	Terms        []string `json:"terms"`
}

// EscalationPaged records one page sent to a staff member at a level of the
// escalation policy: one of their notification rules (an SMS or a voice
// call). Version 2: version 1 was always an SMS, their only rule.
type EscalationPaged struct {
	EscalationID string `json:"escalation_id"`
	Level        int    `json:"level"`
	LevelName    string `json:"level_name"`
	StaffID      string `json:"staff_id"`
	Round        int    `json:"round"`
	// ProviderMessageID is the page's Twilio sid (a message's, or a call's
	// for PageByCall), if one was sent.
	ProviderMessageID string `json:"provider_message_id,omitempty"`
	// Channel is PageBySMS or PageByCall.
	Channel string `json:"channel"`
	// Rule is which of the person's notification rules this page is (0:
	// the first, at the step's start).
	Rule int `json:"rule"`
	// Last is set when it is the person's last rule: once it fails, they
	// refused the step.
	Last bool `json:"last"`
}

// EscalationPagedV1 is version 1 of EscalationPaged: an SMS, the person's
// one rule.
type EscalationPagedV1 struct {
	EscalationID      string `json:"escalation_id"`
	Level             int    `json:"level"`
	LevelName         string `json:"level_name"`
	StaffID           string `json:"staff_id"`
	Round             int    `json:"round"`
	ProviderMessageID string `json:"provider_message_id,omitempty"`
}

// How a page reaches a staff member.
const (
	PageBySMS  = "sms"
	PageByCall = "call"
)

// CallStatusChanged records a provider's status callback for a page call
// (its progress, and how it ended: completed when answered; busy, failed,
// no-answer or canceled when not).
type CallStatusChanged struct {
	ProviderCallID string `json:"provider_call_id"`
	Status         string `json:"status"`
	ErrorCode      int    `json:"error_code,omitempty"`
}

// EscalationAcknowledged records the staff member who took the escalation
// on, and how (Via: AckConsole, AckReply, AckSMS, AckCall); it stops
// further paging. Version 2: version 1 had no Via.
type EscalationAcknowledged struct {
	EscalationID string `json:"escalation_id"`
	StaffID      string `json:"staff_id"`
	Via          string `json:"via"`
}

// EscalationAcknowledgedV1 is version 1 of EscalationAcknowledged, before
// it said how. Decode returns it as an EscalationAcknowledged made in the
// console, the only way to acknowledge then.
type EscalationAcknowledgedV1 struct {
	EscalationID string `json:"escalation_id"`
	StaffID      string `json:"staff_id"`
}

// EscalationDeclined records that a paged staff member said they cannot
// take the escalation on (by replying "2" to the page, or in the console):
// the policy moves to its next step at once.
type EscalationDeclined struct {
	EscalationID string `json:"escalation_id"`
	StaffID      string `json:"staff_id"`
	// Round and Level name the step the escalation was at.
	Round int    `json:"round"`
	Level int    `json:"level"`
	Via   string `json:"via"`
}

// EscalationReEscalated records a move to the next level of the policy
// because nobody acknowledged in time.
type EscalationReEscalated struct {
	EscalationID string `json:"escalation_id"`
	FromLevel    int    `json:"from_level"`
	ToLevel      int    `json:"to_level"`
	Round        int    `json:"round"`
	Reason       string `json:"reason"`
}

// EscalationExhausted records that every level and repetition of the policy
// was paged without an acknowledgement.
type EscalationExhausted struct {
	EscalationID string `json:"escalation_id"`
	Rounds       int    `json:"rounds"`
}

// ReplyRequested records a worker's reply, to be sent by the SMS bridge.
type ReplyRequested struct {
	ReplyID string `json:"reply_id"`
	StaffID string `json:"staff_id"`
	// SenderName is the worker's first name at most, shown to the client.
	SenderName string `json:"sender_name,omitempty"`
	Body       Sealed `json:"body"`
}

// MessageSent records one SMS accepted by the provider, or an automatic
// reply (SendAutoReply) to a web chat, which the chat shows from the
// line's texts: then ProviderMessageID is empty.
type MessageSent struct {
	SendID string `json:"send_id"`
	Kind   string `json:"kind"`
	// Recipient is "client" or a staff id, never a number.
	Recipient         string `json:"recipient"`
	ProviderMessageID string `json:"provider_message_id"`
}

// MessageSendFailed records a send the provider refused for good, with the
// reason for staff to see.
type MessageSendFailed struct {
	SendID    string `json:"send_id"`
	Kind      string `json:"kind"`
	Recipient string `json:"recipient"`
	Reason    string `json:"reason"`
	Code      int    `json:"code,omitempty"`
}

// ReplyBlocked records a reply that was not sent because the client opted
// out (or was erased).
type ReplyBlocked struct {
	ReplyID string `json:"reply_id"`
	Reason  string `json:"reason"`
}

// DeliveryStatusChanged records a provider's delivery status callback.
type DeliveryStatusChanged struct {
	ProviderMessageID string `json:"provider_message_id"`
	Status            string `json:"status"`
	ErrorCode         int    `json:"error_code,omitempty"`
}

// ConversationAssigned records who answers a conversation.
type ConversationAssigned struct {
	AssigneeID string `json:"assignee_id"`
	TeamID     string `json:"team_id,omitempty"`
	ByStaffID  string `json:"by_staff_id"`
}

// ConversationClosed records the end of a conversation: the worker's
// wrap-up, an outcome and categories from the line's taxonomy (each
// category "group:value", e.g. "risk:high"). Version 2: version 1 had no
// outcome or categories (they read as "" and none).
type ConversationClosed struct {
	ByStaffID  string   `json:"by_staff_id"`
	Reason     string   `json:"reason,omitempty"`
	Outcome    string   `json:"outcome"`
	Categories []string `json:"categories"`
}

// ConversationClosedV1 is version 1 of ConversationClosed, before the
// wrap-up.
type ConversationClosedV1 struct {
	ByStaffID string `json:"by_staff_id"`
	Reason    string `json:"reason,omitempty"`
}

// ClientRegistered records a new client of a line: its pseudonym and its
// number, sealed with the client's own data key.
type ClientRegistered struct {
	LineID    string `json:"line_id"`
	Pseudonym string `json:"pseudonym"`
	Channel   string `json:"channel"`
	Contact   Sealed `json:"contact"`
}

// ConsentChanged records a STOP / START / HELP style keyword from a client:
// the consent in plain text (the send path needs it without a key), the
// keyword as the client typed it sealed with the client's key (KeywordAAD
// of MessageID). Version 2: version 1 carried the keyword in plain text;
// Decode drops it.
type ConsentChanged struct {
	LineID    string `json:"line_id"`
	Consent   string `json:"consent"`
	Keyword   Sealed `json:"keyword"`
	MessageID string `json:"message_id,omitempty"`
}

// ConsentChangedV1 is version 1 of ConsentChanged, its keyword in plain
// text.
type ConsentChangedV1 struct {
	LineID    string `json:"line_id"`
	Consent   string `json:"consent"`
	Keyword   string `json:"keyword"`
	MessageID string `json:"message_id,omitempty"`
}

// ClientErased records that a client's data key was destroyed: every sealed
// field of theirs is unreadable from now on.
type ClientErased struct {
	ByStaffID string `json:"by_staff_id"`
	Reason    string `json:"reason,omitempty"`
}

// ClientFlagged records a staff member's flag on a client (abusive,
// frequent, safeguarding concern) with a reason, until an end date. A flag
// informs the staff who answer; it never changes what triage decides or
// who is paged. The reason is the staff member's words about the client:
// sealed with the client's key (FlagReasonAAD), so erasure takes it too.
type ClientFlagged struct {
	FlagID    string    `json:"flag_id"`
	LineID    string    `json:"line_id"`
	Kind      string    `json:"kind"`
	Reason    Sealed    `json:"reason"`
	Until     time.Time `json:"until"`
	ByStaffID string    `json:"by_staff_id"`
}

// Kinds of client flag.
const (
	FlagAbusive      = "abusive"
	FlagFrequent     = "frequent"
	FlagSafeguarding = "safeguarding"
)

// FlagKinds are the kinds of client flag, in the order the console offers
// them.
var FlagKinds = []string{FlagSafeguarding, FlagAbusive, FlagFrequent}

// FlagReasonAAD binds a sealed flag reason to its flag.
func FlagReasonAAD(flagID string) []byte { return []byte("helpline/flag-reason/v1/" + flagID) }

// EscalationRequested records that a staff member raised an escalation by
// hand, with a reason code; the EscalationRaised it comes with is paged like
// any other.
type EscalationRequested struct {
	EscalationID string `json:"escalation_id"`
	StaffID      string `json:"staff_id"`
	Reason       string `json:"reason"`
	MessageID    string `json:"message_id,omitempty"`
}

// TriageFeedbackRecorded records a staff member's mark on triage's verdict
// on one message: it missed a crisis, or it raised a false alarm. It copies
// the verdict as it was (risk, rule, lexicon version and signals in plain
// text; the terms sealed as the verdict sealed them, TermsAAD of the
// message), so lexicon authors can learn from it without reading the
// conversation, and an erased client's words go with the key. Version 2:
// version 1 carried the terms in plain text; Decode drops them.
type TriageFeedbackRecorded struct {
	MessageID      string   `json:"message_id"`
	StaffID        string   `json:"staff_id"`
	Feedback       string   `json:"feedback"`
	Risk           string   `json:"risk"`
	Rule           string   `json:"rule"`
	LexiconVersion string   `json:"lexicon_version"`
	Signals        []string `json:"signals"`
	Terms          Sealed   `json:"terms"`
}

// TriageFeedbackRecordedV1 is version 1 of TriageFeedbackRecorded, its
// terms in plain text.
type TriageFeedbackRecordedV1 struct {
	MessageID      string   `json:"message_id"`
	StaffID        string   `json:"staff_id"`
	Feedback       string   `json:"feedback"`
	Risk           string   `json:"risk"`
	Rule           string   `json:"rule"`
	LexiconVersion string   `json:"lexicon_version"`
	Signals        []string `json:"signals"`
	Terms          []string `json:"terms"`
}

// Catalogue registrations, v1. Adding a version means a new struct and a new
// line here; existing lines never change.
var _ = []bool{
	register(AggregateConversation, TypeConversationStarted, 1, "A client began a conversation with a line.",
		func() Payload {
			return ConversationStarted{LineID: "main", ClientID: "k7q2kx3mz5d4a6ffh2rtw9pq1e", Pseudonym: "C-7Q2KX3", Channel: ChannelSMS}
		}),
	register(AggregateConversation, TypeMessageReceived, 1, "An inbound message, body sealed with the client's key.",
		func() Payload {
			return MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k7q2kx3mz5d4a6ffh2rtw9pq1e", Channel: ChannelSMS,
				ProviderMessageID: "SM0123456789abcdef0123456789abcdef", Body: exampleSealed, ReceivedAt: exampleTime}
		}),
	register(AggregateConversation, TypeMessageTriaged, 1, "Triage's explainable verdict on one message.",
		func() Payload {
			return MessageTriagedV1{MessageID: "m1", Risk: RiskCrisis, Score: 3.5, LexiconVersion: "en-2026.11.1",
				Rule: "score>=crisis_threshold", Matches: []TriageMatchV1{{Term: "overdose", Category: "overdose_means", Language: "en", Weight: 3}}}
		}),
	register(AggregateConversation, TypeOutOfHoursContactRecorded, 1, "A message arrived while the line was closed.",
		func() Payload {
			return OutOfHoursContactRecorded{MessageID: "m1", LineID: "main", ClosedPeriod: "2026-11-21T17:00:00Z", NextOpen: exampleTime, Language: "en"}
		}),
	register(AggregateConversation, TypeResponseClockStarted, 1, "A client's message started a response clock: a worker's reply is owed by its due time.",
		func() Payload {
			return ResponseClockStarted{ClockID: "k1", Kind: ClockNextResponse, MessageID: "m1", LineID: "main", ReceivedAt: exampleTime,
				From: exampleTime, Due: exampleTime.Add(10 * time.Minute), TargetSeconds: 600}
		}),
	register(AggregateConversation, TypeUrgentNoticeRaised, 1, "A crisis message came while a worker who acknowledged the conversation's crisis escalation is working it: they are told at once, and the conversation escalates if no staff reply follows by the due time.",
		func() Payload {
			return UrgentNoticeRaised{NoticeID: "n1", EscalationID: "e1", MessageID: "m2", StaffID: "robin", Categories: []string{"harm_from_others"},
				Due: exampleTime.Add(5 * time.Minute)}
		}),
	register(AggregateConversation, TypeEscalationRaised, 1, "Someone must be paged, with the reason.",
		func() Payload {
			return EscalationRaisedV1{EscalationID: "e1", LineID: "main", MessageID: "m1", Reason: ReasonCrisis, Risk: RiskCrisis,
				Categories: []string{"overdose_means"}, Terms: []string{"overdose"}}
		}),
	register(AggregateConversation, TypeEscalationPaged, 1, "A staff member was paged for an escalation.",
		func() Payload {
			return EscalationPagedV1{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "sam", Round: 1, ProviderMessageID: "SMaaaa"}
		}),
	register(AggregateConversation, TypeEscalationAcknowledged, 1, "A staff member took the escalation on.",
		func() Payload { return EscalationAcknowledgedV1{EscalationID: "e1", StaffID: "sam"} }),
	register(AggregateConversation, TypeEscalationReEscalated, 1, "Nobody acknowledged in time: the next level is paged.",
		func() Payload {
			return EscalationReEscalated{EscalationID: "e1", FromLevel: 0, ToLevel: 1, Round: 1, Reason: "ack_timeout"}
		}),
	register(AggregateConversation, TypeEscalationExhausted, 1, "Every level of the policy was paged without an acknowledgement.",
		func() Payload { return EscalationExhausted{EscalationID: "e1", Rounds: 2} }),
	register(AggregateConversation, TypeReplyRequested, 1, "A worker's reply, body sealed with the client's key.",
		func() Payload {
			return ReplyRequested{ReplyID: "r1", StaffID: "alex", SenderName: "Alex", Body: exampleSealed}
		}),
	register(AggregateConversation, TypeMessageSent, 1, "An SMS was accepted by the provider.",
		func() Payload {
			return MessageSent{SendID: "r1", Kind: SendReply, Recipient: "client", ProviderMessageID: "SMbbbb"}
		}),
	register(AggregateConversation, TypeMessageSendFailed, 1, "The provider refused an SMS for good.",
		func() Payload {
			return MessageSendFailed{SendID: "r1", Kind: SendReply, Recipient: "client", Reason: "invalid number", Code: 21211}
		}),
	register(AggregateConversation, TypeReplyBlocked, 1, "A reply was not sent, with the reason.",
		func() Payload { return ReplyBlocked{ReplyID: "r1", Reason: "client opted out"} }),
	register(AggregateConversation, TypeDeliveryStatusChanged, 1, "A provider delivery status callback.",
		func() Payload { return DeliveryStatusChanged{ProviderMessageID: "SMbbbb", Status: "delivered"} }),
	register(AggregateConversation, TypeConversationAssigned, 1, "A conversation was assigned to a worker or team.",
		func() Payload { return ConversationAssigned{AssigneeID: "alex", TeamID: "day", ByStaffID: "sam"} }),
	register(AggregateConversation, TypeConversationClosed, 1, "A conversation was closed.",
		func() Payload { return ConversationClosedV1{ByStaffID: "alex", Reason: "resolved"} }),
	register(AggregateConversation, TypeEscalationRequested, 1, "A staff member raised an escalation by hand, with a reason code.",
		func() Payload {
			return EscalationRequested{EscalationID: "esc-manual-1", StaffID: "sam", Reason: ManualRiskToLife, MessageID: "m1"}
		}),
	register(AggregateConversation, TypeTriageFeedbackRecorded, 1, "A staff member marked triage's verdict on a message as missed or a false alarm.",
		func() Payload {
			return TriageFeedbackRecordedV1{MessageID: "m1", StaffID: "sam", Feedback: FeedbackMissed, Risk: RiskNone, Rule: "no_signal",
				LexiconVersion: "en-2026.12.1", Signals: []string{}, Terms: []string{}}
		}),
	register(AggregateClient, TypeClientRegistered, 1, "A new client of a line, contact sealed with its own key.",
		func() Payload {
			return ClientRegistered{LineID: "main", Pseudonym: "C-7Q2KX3", Channel: ChannelSMS, Contact: exampleSealed}
		}),
	register(AggregateClient, TypeConsentChanged, 1, "A client texted a consent keyword (STOP, START, HELP...).",
		func() Payload {
			return ConsentChangedV1{LineID: "main", Consent: ConsentOptedOut, Keyword: "STOP", MessageID: "m1"}
		}),
	register(AggregateClient, TypeClientErased, 1, "The client's data key was destroyed (crypto-shredding).",
		func() Payload { return ClientErased{ByStaffID: "admin", Reason: "client request"} }),
	register(AggregateClient, TypeClientFlagged, 1, "A staff member flagged a client (abusive, frequent, safeguarding) with a sealed reason until an end date; triage and paging ignore flags.",
		func() Payload {
			return ClientFlagged{FlagID: "f1", LineID: "main", Kind: FlagSafeguarding, Reason: exampleSealed,
				Until: time.Date(2027, 1, 7, 0, 0, 0, 0, time.UTC), ByStaffID: "alex"}
		}),
}

// Registrations of later versions, and how an older version is read: as
// the current Go type (Decode upcasts), so handlers know one shape.
var _ = []bool{
	register(AggregateConversation, TypeEscalationAcknowledged, 2, "A staff member took the escalation on, saying how (console, reply, sms, call).",
		func() Payload { return EscalationAcknowledged{EscalationID: "e1", StaffID: "sam", Via: AckSMS} }),
	upcast(TypeEscalationAcknowledged, 1, func(p Payload) Payload {
		v1 := p.(EscalationAcknowledgedV1)
		return EscalationAcknowledged{EscalationID: v1.EscalationID, StaffID: v1.StaffID, Via: AckConsole}
	}),
	register(AggregateConversation, TypeEscalationDeclined, 1, "A paged staff member cannot take the escalation on: the next step is paged at once.",
		func() Payload {
			return EscalationDeclined{EscalationID: "e1", StaffID: "sam", Round: 1, Level: 0, Via: AckSMS}
		}),
	register(AggregateConversation, TypeEscalationPaged, 2, "A staff member was paged for an escalation, by one of their notification rules (SMS or voice call).",
		func() Payload {
			return EscalationPaged{EscalationID: "e1", Level: 0, LevelName: "duty", StaffID: "sam", Round: 1,
				ProviderMessageID: "CAaaaa", Channel: PageByCall, Rule: 1, Last: true}
		}),
	upcast(TypeEscalationPaged, 1, func(p Payload) Payload {
		v1 := p.(EscalationPagedV1)
		return EscalationPaged{EscalationID: v1.EscalationID, Level: v1.Level, LevelName: v1.LevelName, StaffID: v1.StaffID, Round: v1.Round,
			ProviderMessageID: v1.ProviderMessageID, Channel: PageBySMS, Rule: 0, Last: true}
	}),
	register(AggregateConversation, TypeCallStatusChanged, 1, "A provider status callback for a page call.",
		func() Payload { return CallStatusChanged{ProviderCallID: "CAaaaa", Status: "no-answer"} }),
}

// Version 2 of the events that carry words derived from a client's
// messages: the words sealed with the client's key, so erasure takes them.
// Reading a version 1 event drops its plain words: it shows its signals,
// never its terms or keyword.
var _ = []bool{
	register(AggregateConversation, TypeMessageTriaged, 2, "Triage's explainable verdict on one message: signals plain, matched terms sealed with the client's key.",
		func() Payload {
			return MessageTriaged{MessageID: "m1", Risk: RiskCrisis, Score: 3.5, LexiconVersion: "en-2026.11.1",
				Rule: "score>=crisis_threshold", Matches: []TriageMatch{{Category: "method", Language: "en", Weight: 1}}, Terms: exampleSealed}
		}),
	upcast(TypeMessageTriaged, 1, func(p Payload) Payload {
		v1 := p.(MessageTriagedV1)
		matches := make([]TriageMatch, 0, len(v1.Matches))
		for _, m := range v1.Matches {
			matches = append(matches, TriageMatch{Category: m.Category, Language: m.Language, Weight: m.Weight})
		}
		return MessageTriaged{MessageID: v1.MessageID, Risk: v1.Risk, Score: v1.Score, Matches: matches, Terms: NoWords(),
			LexiconVersion: v1.LexiconVersion, Rule: v1.Rule, OutOfHours: v1.OutOfHours}
	}),
	register(AggregateConversation, TypeEscalationRaised, 2, "Someone must be paged, with the reason and signals; the matched terms sealed with the client's key.",
		func() Payload {
			return EscalationRaised{EscalationID: "e1", LineID: "main", MessageID: "m1", Reason: ReasonCrisis, Risk: RiskCrisis,
				Categories: []string{"method"}, Terms: exampleSealed}
		}),
	upcast(TypeEscalationRaised, 1, func(p Payload) Payload {
		v1 := p.(EscalationRaisedV1)
		return EscalationRaised{EscalationID: v1.EscalationID, LineID: v1.LineID, MessageID: v1.MessageID, Reason: v1.Reason, Risk: v1.Risk,
			Categories: v1.Categories, Terms: NoWords()}
	}),
	register(AggregateConversation, TypeTriageFeedbackRecorded, 2, "A staff member marked triage's verdict on a message as missed or a false alarm; its terms sealed with the client's key.",
		func() Payload {
			return TriageFeedbackRecorded{MessageID: "m1", StaffID: "sam", Feedback: FeedbackFalseAlarm, Risk: RiskCrisis, Rule: "score>=crisis_threshold",
				LexiconVersion: "en-2026.12.1", Signals: []string{"method"}, Terms: exampleSealed}
		}),
	upcast(TypeTriageFeedbackRecorded, 1, func(p Payload) Payload {
		v1 := p.(TriageFeedbackRecordedV1)
		return TriageFeedbackRecorded{MessageID: v1.MessageID, StaffID: v1.StaffID, Feedback: v1.Feedback, Risk: v1.Risk, Rule: v1.Rule,
			LexiconVersion: v1.LexiconVersion, Signals: v1.Signals, Terms: NoWords()}
	}),
	register(AggregateClient, TypeConsentChanged, 2, "A client texted a consent keyword (STOP, START, HELP...): the consent plain, the keyword as typed sealed with the client's key.",
		func() Payload {
			return ConsentChanged{LineID: "main", Consent: ConsentOptedOut, Keyword: exampleSealed, MessageID: "m1"}
		}),
	upcast(TypeConsentChanged, 1, func(p Payload) Payload {
		v1 := p.(ConsentChangedV1)
		return ConsentChanged{LineID: v1.LineID, Consent: v1.Consent, Keyword: NoWords(), MessageID: v1.MessageID}
	}),
}

// NoWords is the sealed field of an event that carries no words: no key,
// no data (a verdict no term scored in, an escalation raised by hand or by
// the clock, or a version 1 event whose plain words were dropped).
func NoWords() Sealed { return Sealed{KeyID: "", Data: []byte{}} }

// Empty reports whether s holds no sealed data (NoWords, or a zero value).
func (s Sealed) Empty() bool { return len(s.Data) == 0 }

// Words returns s, or NoWords when s is empty: what an event records, so
// its data is an empty string and never null.
func (s Sealed) Words() Sealed {
	if s.Empty() {
		return NoWords()
	}
	return s
}

// BodyAAD is the additional authenticated data a message or reply body is
// sealed with: it binds the ciphertext to its event, so a body copied into
// another event does not decrypt.
func BodyAAD(eventID string) []byte { return []byte("helpline/body/v1/" + eventID) }

// TermsAAD binds a sealed list of matched terms to the message they were
// matched in: the verdict, its escalation and a feedback mark carry the
// same sealed list, and it opens for none other.
func TermsAAD(messageID string) []byte { return []byte("helpline/terms/v1/" + messageID) }

// KeywordAAD binds a sealed consent keyword, as the client typed it, to
// the message it came in.
func KeywordAAD(messageID string) []byte { return []byte("helpline/keyword/v1/" + messageID) }

// ContactAAD binds a sealed phone number to its client.
func ContactAAD(clientID string) []byte { return []byte("helpline/contact/v1/" + clientID) }
