package events_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// workedCrisis is a conversation whose first message raised a crisis
// escalation that robin acknowledged, then a second message,
// m2, came: what more each case adds before m2.
func workedCrisis(t *testing.T, more ...events.Payload) *events.Conversation {
	t.Helper()
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	ps := []events.Payload{
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: body, ReceivedAt: t0},
		events.EscalationRaised{EscalationID: "esc-m1", LineID: "main", MessageID: "m1", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
		events.MessageTriaged{MessageID: "m1", Risk: events.RiskCrisis},
		events.EscalationPaged{EscalationID: "esc-m1", Level: 0, LevelName: "duty", StaffID: "robin", Round: 1},
		events.EscalationAcknowledged{EscalationID: "esc-m1", StaffID: "robin", Via: events.AckConsole},
	}
	ps = append(ps, more...)
	ps = append(ps, events.MessageReceived{MessageID: "m2", LineID: "main", ClientID: "k1", Body: body, ReceivedAt: m2At})
	return fold(t, "c-notice", ps...)
}

const noticeWindow = 5 * time.Minute

// m2At is when workedCrisis's second message came: within the
// AnsweringWindow of robin's acknowledgement.
var m2At = t0.Add(20 * time.Minute)

func crisisArrival() events.Arrival {
	return events.Arrival{ReceivedAt: m2At, Targets: events.ResponseTargets{Notice: noticeWindow}}
}

// TestCrisisWhileAnswered: a crisis message while a worker who acknowledged
// the conversation's crisis escalation is answering raises an urgent
// notice to them, not a second escalation; an open escalation covers it as
// before; anything else raises a crisis escalation.
func TestCrisisWhileAnswered(t *testing.T) {
	t.Parallel()
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	notice := []string{events.TypeUrgentNoticeRaised, events.TypeMessageTriaged}
	escalation := []string{events.TypeEscalationRaised, events.TypeMessageTriaged}
	tests := []struct {
		name    string
		more    []events.Payload
		arrival events.Arrival
		want    []string
	}{
		{"acknowledged and answered", []events.Payload{events.ReplyRequested{ReplyID: "r1", StaffID: "robin", Body: body}}, crisisArrival(), notice},
		{"acknowledged, not yet answered", nil, crisisArrival(), notice},
		{"an open crisis escalation covers it", []events.Payload{
			events.EscalationRaised{EscalationID: "esc-m9", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
		}, crisisArrival(), []string{events.TypeMessageTriaged}},
		{"closed since it was acknowledged", []events.Payload{
			events.ConversationClosed{ByStaffID: "robin"},
			events.ConversationReopened{MessageID: "m2"},
		}, crisisArrival(), escalation},
		{"no window configured", nil, events.Arrival{ReceivedAt: m2At}, escalation},
		{"an acknowledged escalation that is not a crisis", []events.Payload{
			events.EscalationRaised{EscalationID: "esc-ooh", LineID: "main", Reason: events.ReasonOutOfHours, Risk: events.RiskElevated},
			events.EscalationAcknowledged{EscalationID: "esc-ooh", StaffID: "sam", Via: events.AckConsole},
		}, crisisArrival(), notice}, // robin's crisis escalation is still worked
		// An earlier message's notice to robin, unheeded, already said all
		// m2 says: one "answer now" per stretch of the client's messages.
		{"its crisis carried from earlier messages, no signal of its own", nil, crisisArrival(), []string{events.TypeMessageTriaged}},
		// A "thanks, bye" after the worker closed: no fresh page.
		{"its crisis carried, closed since it was acknowledged", []events.Payload{
			events.ConversationClosed{ByStaffID: "robin"},
			events.ConversationReopened{MessageID: "m2"},
		}, crisisArrival(), []string{events.TypeMessageTriaged}},
		{"its crisis carried, the crisis escalation open", []events.Payload{
			events.EscalationRaised{EscalationID: "esc-m9", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
		}, crisisArrival(), []string{events.TypeMessageTriaged}},
		{"a notice unheeded names its signals", pendingNotice("harm_from_others", "method"), crisisArrival(), []string{events.TypeMessageTriaged}},
		{"a notice unheeded lacks one of its signals", pendingNotice("method"), crisisArrival(), notice},
		{"a notice heeded by a reply", append(pendingNotice("harm_from_others"),
			events.ReplyRequested{ReplyID: "r2", StaffID: "robin", Body: body}), crisisArrival(), notice},
		{"a notice that did not reach them", append(pendingNotice("harm_from_others"),
			events.MessageSendFailed{SendID: events.NoticeID("m1b"), Kind: events.SendPage, Recipient: "robin", Reason: "refused"}), crisisArrival(), notice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := workedCrisis(t, tt.more...)
			categories := []string{"harm_from_others"}
			if strings.HasPrefix(tt.name, "its crisis carried") {
				categories = nil // crisis_ongoing: the verdict names no signal of its own
			}
			if err := c.Triage("m2", events.Verdict{Risk: events.RiskCrisis, Categories: categories, Terms: body}, tt.arrival,
				events.Meta{OccurredAt: m2At}); err != nil {
				t.Fatal(err)
			}
			if got := pendingTypes(c); !slices.Equal(got, tt.want) {
				t.Fatalf("recorded %v, want %v", got, tt.want)
			}
			if tt.want[0] != events.TypeUrgentNoticeRaised {
				return
			}
			n := c.UrgentNotices[events.NoticeID("m2")]
			if n.StaffID != "robin" || n.EscalationID != "esc-m1" || !n.Due.Equal(m2At.Add(noticeWindow)) ||
				!slices.Equal(n.Categories, []string{"harm_from_others"}) {
				t.Fatalf("notice %+v: want robin told about esc-m1, due the window after m2 came", n)
			}
			if len(c.OpenEscalations()) != 0 {
				t.Fatalf("open escalations %v: want none, nobody is paged", c.OpenEscalations())
			}
		})
	}
}

// pendingNotice is a message after robin's acknowledgement, m1b, whose
// urgent notice to robin named categories.
func pendingNotice(categories ...string) []events.Payload {
	return []events.Payload{
		events.MessageReceived{MessageID: "m1b", LineID: "main", ClientID: "k1", Body: events.Sealed{KeyID: "k1", Data: []byte{1}}, ReceivedAt: t0.Add(10 * time.Minute)},
		events.UrgentNoticeRaised{NoticeID: events.NoticeID("m1b"), EscalationID: "esc-m1", MessageID: "m1b", StaffID: "robin",
			Categories: categories, Due: t0.Add(10*time.Minute + noticeWindow)},
	}
}

// TestCrisisAfterAnExhaustedEscalation: an exhausted crisis
// escalation is nobody's: a crisis raises a new escalation.
func TestCrisisAfterAnExhaustedEscalation(t *testing.T) {
	t.Parallel()
	c := fold(t, "c-exhausted",
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", ReceivedAt: t0},
		events.EscalationRaised{EscalationID: "esc-m1", LineID: "main", MessageID: "m1", Reason: events.ReasonCrisis, Risk: events.RiskCrisis},
		events.EscalationExhausted{EscalationID: "esc-m1", Rounds: 2},
		events.MessageReceived{MessageID: "m2", LineID: "main", ClientID: "k1", ReceivedAt: m2At},
	)
	if err := c.Triage("m2", events.Verdict{Risk: events.RiskCrisis}, crisisArrival(), events.Meta{OccurredAt: m2At}); err != nil {
		t.Fatal(err)
	}
	if got := pendingTypes(c); !slices.Equal(got, []string{events.TypeEscalationRaised, events.TypeMessageTriaged}) {
		t.Fatalf("recorded %v, want a new escalation (a crisis carried from earlier messages, with no signal of its own, pages again when nobody took it on)", got)
	}
}

// TestUrgentNoticeSafetyNet: past its due time with no staff reply after
// its message, an urgent notice raises the message's crisis escalation,
// once, passing over the worker who was told; a reply or a close after the
// message, an escalation open, or a firing before the due time raise
// nothing.
func TestUrgentNoticeSafetyNet(t *testing.T) {
	t.Parallel()
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	noticeID := events.NoticeID("m2")
	raised := events.UrgentNoticeRaised{NoticeID: noticeID, EscalationID: "esc-m1", MessageID: "m2", StaffID: "robin",
		Categories: []string{"harm_from_others"}, Due: m2At.Add(noticeWindow)}
	triaged := events.MessageTriaged{MessageID: "m2", Risk: events.RiskCrisis, Terms: body}
	due := events.Meta{OccurredAt: raised.Due}
	tests := []struct {
		name  string
		after []events.Payload
		at    events.Meta
		want  []string
	}{
		{"past due, unanswered", nil, due, []string{events.TypeEscalationRaised}},
		{"before due", nil, events.Meta{OccurredAt: raised.Due.Add(-time.Second)}, nil},
		{"before due, its SMS refused", []events.Payload{events.MessageSendFailed{SendID: noticeID, Kind: events.SendPage, Recipient: "robin",
			Reason: "invalid number", Code: 21211}}, events.Meta{OccurredAt: raised.Due.Add(-4 * time.Minute)}, []string{events.TypeEscalationRaised}},
		{"before due, its SMS reported undelivered", []events.Payload{
			events.MessageSent{SendID: noticeID, Kind: events.SendPage, Recipient: "robin", ProviderMessageID: "SMn"},
			events.DeliveryStatusChanged{ProviderMessageID: "SMn", Status: "undelivered", ErrorCode: 30003}},
			events.Meta{OccurredAt: raised.Due.Add(-4 * time.Minute)}, []string{events.TypeEscalationRaised}},
		{"before due, its SMS delivered", []events.Payload{
			events.MessageSent{SendID: noticeID, Kind: events.SendPage, Recipient: "robin", ProviderMessageID: "SMn"},
			events.DeliveryStatusChanged{ProviderMessageID: "SMn", Status: "delivered"}},
			events.Meta{OccurredAt: raised.Due.Add(-4 * time.Minute)}, nil},
		{"answered", []events.Payload{events.ReplyRequested{ReplyID: "r2", StaffID: "robin", Body: body}}, due, nil},
		{"closed", []events.Payload{events.ConversationClosed{ByStaffID: "robin"}}, due, nil},
		{"fired twice", []events.Payload{events.EscalationRaised{EscalationID: "esc-m2", LineID: "main", MessageID: "m2",
			Reason: events.ReasonCrisis, Risk: events.RiskCrisis}}, due, nil},
		{"an open crisis escalation covers it", []events.Payload{events.EscalationRaised{EscalationID: "esc-m3", LineID: "main",
			Reason: events.ReasonCrisis, Risk: events.RiskCrisis}}, due, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := workedCrisis(t, nil...)
			for i, p := range append([]events.Payload{raised, triaged}, tt.after...) {
				e, err := events.New(c.ID, p, events.Meta{OccurredAt: m2At.Add(time.Duration(i) * time.Second)})
				if err != nil {
					t.Fatal(err)
				}
				e.Sequence = c.Version + 1
				if err := c.Apply(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.EscalateUnheeded(noticeID, tt.at); err != nil {
				t.Fatal(err)
			}
			if got := pendingTypes(c); !slices.Equal(got, tt.want) {
				t.Fatalf("recorded %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 {
				return
			}
			esc := c.Escalations["esc-m2"]
			if esc == nil || esc.Reason != events.ReasonCrisis || esc.PassOver != "robin" || !esc.Open() ||
				fmt.Sprint(esc.Categories) != "[harm_from_others]" {
				t.Fatalf("escalation %+v: want esc-m2, crisis, open, passing over robin", esc)
			}
			p, err := c.Pending()[0].Decode()
			if err != nil {
				t.Fatal(err)
			}
			if r := p.(events.EscalationRaised); r.MessageID != "m2" || r.Terms.Empty() {
				t.Fatalf("raised %+v: want m2's sealed terms carried", r)
			}
		})
	}
	t.Run("its SMS recorded once", func(t *testing.T) {
		c := workedCrisis(t, raised)
		if err := c.RecordNoticeSent(noticeID, "SMn", due); err != nil {
			t.Fatal(err)
		}
		if err := c.RecordNoticeFailed(noticeID, "late", 1, due); err != nil {
			t.Fatal(err)
		}
		if got := pendingTypes(c); !slices.Equal(got, []string{events.TypeMessageSent}) || c.Sends[noticeID] != "sent" {
			t.Fatalf("recorded %v: want the send once", got)
		}
	})
	t.Run("unknown notice", func(t *testing.T) {
		c := workedCrisis(t)
		if err := c.EscalateUnheeded("nope", due); !errors.Is(err, events.ErrNotFound) {
			t.Fatalf("err %v, want ErrNotFound", err)
		}
	})
}

// TestAStaleAcknowledgementPagesAfresh: an acknowledgement (or the last
// staff reply after it) older than the AnsweringWindow at a new crisis
// message no longer counts as someone answering: the message raises a
// crisis escalation that pages the rota, as if nobody had taken the
// conversation on; a staff reply inside the window keeps the notice.
func TestAStaleAcknowledgementPagesAfresh(t *testing.T) {
	t.Parallel()
	body := events.Sealed{KeyID: "k1", Data: []byte{1}}
	ack := t0.Add(5 * time.Minute)
	tests := []struct {
		name      string
		replyAt   time.Time // zero: no reply
		messageAt time.Time
		want      string
	}{
		{"acknowledged just inside the window", time.Time{}, ack.Add(events.AnsweringWindow), events.TypeUrgentNoticeRaised},
		{"acknowledged long ago, nothing since", time.Time{}, ack.Add(events.AnsweringWindow + time.Second), events.TypeEscalationRaised},
		{"acknowledged long ago, answered lately", ack.Add(2 * time.Hour), ack.Add(2*time.Hour + 10*time.Minute), events.TypeUrgentNoticeRaised},
		{"answered, then silent past the window", ack.Add(10 * time.Minute), ack.Add(10*time.Minute + events.AnsweringWindow + time.Minute), events.TypeEscalationRaised},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := events.NewConversation("c-stale")
			seq := uint64(0)
			apply := func(at time.Time, p events.Payload) {
				t.Helper()
				e, err := events.New(c.ID, p, events.Meta{OccurredAt: at})
				if err != nil {
					t.Fatal(err)
				}
				seq++
				e.Sequence = seq
				if err := c.Apply(e); err != nil {
					t.Fatal(err)
				}
			}
			apply(t0, events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS})
			apply(t0, events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: body, ReceivedAt: t0})
			apply(t0, events.EscalationRaised{EscalationID: "esc-m1", LineID: "main", MessageID: "m1", Reason: events.ReasonCrisis, Risk: events.RiskCrisis})
			apply(t0, events.EscalationPaged{EscalationID: "esc-m1", Level: 0, LevelName: "duty", StaffID: "robin", Round: 1})
			apply(ack, events.EscalationAcknowledged{EscalationID: "esc-m1", StaffID: "robin", Via: events.AckConsole})
			if !tt.replyAt.IsZero() {
				apply(tt.replyAt, events.ReplyRequested{ReplyID: "r1", StaffID: "robin", Body: body})
			}
			apply(tt.messageAt, events.MessageReceived{MessageID: "m2", LineID: "main", ClientID: "k1", Body: body, ReceivedAt: tt.messageAt})
			arrival := events.Arrival{ReceivedAt: tt.messageAt, Targets: events.ResponseTargets{Notice: noticeWindow}}
			if err := c.Triage("m2", events.Verdict{Risk: events.RiskCrisis, Categories: []string{"method"}, Terms: body}, arrival, events.Meta{OccurredAt: tt.messageAt}); err != nil {
				t.Fatal(err)
			}
			if got := pendingTypes(c); len(got) == 0 || got[0] != tt.want {
				t.Fatalf("recorded %v, want %s first", got, tt.want)
			}
			if worked := c.Worked(tt.messageAt) != nil; worked != (tt.want == events.TypeUrgentNoticeRaised) {
				t.Fatalf("Worked at the message: %v, want %v", worked, !worked)
			}
		})
	}
}
