package events_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// surveyed is a closed conversation whose first survey question (2
// options) was asked at t0+3m.
func surveyed(t *testing.T, id string) *events.Conversation {
	t.Helper()
	return fold(t, id,
		events.ConversationStarted{LineID: "main", ClientID: "k1", Pseudonym: "C-AB12", Channel: events.ChannelSMS},
		events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "k1", Body: events.Sealed{KeyID: "k1", Data: []byte{1}}, ReceivedAt: t0},
		events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{}},
		events.SurveyQuestionAsked{QuestionID: "helped", Question: 0, Options: 2, SendID: events.SurveySendID(id, 0)},
	)
}

func TestSurveyAnswerIsExactlyAnOptionWithinTheWindow(t *testing.T) {
	t.Parallel()
	asked := t0.Add(3 * time.Minute)
	tests := []struct {
		name   string
		reply  string
		at     time.Time
		option int // 0: not an answer
	}{
		{"1", "1", asked.Add(time.Minute), 1},
		{"2 with spaces", " 2\n", asked.Add(time.Minute), 2},
		{"last moment of the window", "1", asked.Add(time.Hour), 1},
		{"after the window", "1", asked.Add(time.Hour + time.Second), 0},
		{"not an option", "3", asked.Add(time.Minute), 0},
		{"zero", "0", asked.Add(time.Minute), 0},
		{"leading zero", "01", asked.Add(time.Minute), 0},
		{"signed", "+1", asked.Add(time.Minute), 0},
		{"words", "1 thanks", asked.Add(time.Minute), 0},
		{"a crisis", "I want to die", asked.Add(time.Minute), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := surveyed(t, "c-answer")
			ok, err := c.AnswerSurvey("sms-a1", tt.reply, time.Hour, events.Meta{OccurredAt: tt.at})
			if err != nil || ok != (tt.option != 0) {
				t.Fatalf("answered %v, %v; want %v", ok, err, tt.option != 0)
			}
			if tt.option == 0 {
				if len(c.Pending()) != 0 {
					t.Fatalf("recorded %d events for a reply that is no answer", len(c.Pending()))
				}
				return
			}
			p, err := c.Pending()[0].Decode()
			if err != nil {
				t.Fatal(err)
			}
			if got := p.(events.SurveyAnswered); got != (events.SurveyAnswered{QuestionID: "helped", Question: 0, Option: tt.option, MessageID: "sms-a1"}) {
				t.Fatalf("answer %+v", got)
			}
			// Answered: no question pending, the conversation still closed
			// and without a message more; the same reply again is neither.
			if !c.Closed || c.Received != 1 || c.Survey.Pending.QuestionID != "" {
				t.Fatalf("after the answer: closed %v, received %d, pending %+v", c.Closed, c.Received, c.Survey.Pending)
			}
			if ok, err := c.AnswerSurvey("sms-a1", tt.reply, time.Hour, events.Meta{OccurredAt: tt.at}); ok || err != nil {
				t.Fatalf("the same reply answered again: %v %v", ok, err)
			}
			if err := c.Receive("sms-a1", "", events.Sealed{KeyID: "k1", Data: []byte{2}}, 24*time.Hour, events.Meta{OccurredAt: tt.at}); err != nil || len(c.Pending()) != 1 {
				t.Fatalf("the answer's retry became a message: %v, %d pending", err, len(c.Pending()))
			}
			if ok, _ := c.AnswerSurvey("sms-a2", "2", time.Hour, events.Meta{OccurredAt: tt.at}); ok {
				t.Fatal("a second answer to an answered question")
			}
		})
	}
}

func TestSurveyEndsWhenTheReplyReopens(t *testing.T) {
	t.Parallel()
	c := surveyed(t, "c-reopen-survey")
	at := t0.Add(5 * time.Minute)
	if ok, _ := c.AnswerSurvey("sms-x", "STOP", time.Hour, events.Meta{OccurredAt: at}); ok {
		t.Fatal("STOP answered the survey")
	}
	if err := c.Receive("sms-x", "", events.Sealed{KeyID: "k1", Data: []byte{2}}, 24*time.Hour, events.Meta{OccurredAt: at}); err != nil {
		t.Fatal(err)
	}
	if c.Closed || c.Survey.Pending.QuestionID != "" {
		t.Fatalf("closed %v, pending %+v", c.Closed, c.Survey.Pending)
	}
	if ok, _ := c.AnswerSurvey("sms-y", "1", time.Hour, events.Meta{OccurredAt: at}); ok {
		t.Fatal("answered after the reopen")
	}
}

func TestSurveyQuestionsAreAskedInOrderOnceWhileClosed(t *testing.T) {
	t.Parallel()
	m := events.Meta{OccurredAt: t0.Add(time.Hour)}
	c := surveyed(t, "c-ask")
	if id, err := c.AskSurvey(0, "helped", 2, m); err != nil || id != events.SurveySendID("c-ask", 0) || len(c.Pending()) != 0 {
		t.Fatalf("asking again: %q %v, %d recorded", id, err, len(c.Pending()))
	}
	if _, err := c.AskSurvey(2, "later", 5, m); !errors.Is(err, events.ErrInvalidCommand) {
		t.Fatalf("question 2 before 1: %v", err)
	}
	id, err := c.AskSurvey(1, "rating", 5, m)
	if err != nil || len(c.Pending()) != 1 || c.Survey.Asked != 2 || c.Survey.Pending.QuestionID != "rating" || !c.Survey.AskedAt.Equal(m.OccurredAt) {
		t.Fatalf("asked %q %v: %+v", id, err, c.Survey)
	}
	if q, ok := events.SurveyQuestionOf(id); !ok || q != 1 {
		t.Fatalf("send id %q names question %d %v", id, q, ok)
	}
	if err := events.ValidateID(id); err != nil {
		t.Fatal(err)
	}
	open := openConversation(t, "c-open")
	if _, err := open.AskSurvey(0, "helped", 2, m); !errors.Is(err, events.ErrNotClosed) {
		t.Fatalf("asked an open conversation: %v", err)
	}
	types := []string{}
	for _, e := range c.Pending() {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, []string{events.TypeSurveyQuestionAsked}) {
		t.Fatalf("recorded %v", types)
	}
}
