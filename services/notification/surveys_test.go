package notification_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
)

// surveyConfig is testConfig's line and staff with a two-question survey
// on the line.
var surveyConfig = mainConfig(`,
      survey: {delay: 10m, window: 1h, questions: [
        {id: helped, label: "Helped?", options: ["Yes", "No"], text: {en: "Did this conversation help? Reply 1 yes, 2 no", es: "¿Te ayudó? Responde 1 sí, 2 no"}},
        {id: rating, label: "Rating", options: ["1", "2", "3", "4", "5"], text: {en: "How would you rate us, 1 to 5?"}}]}`,
	testRota...)

func (w *world) conv(t *testing.T, id string) *events.Conversation {
	t.Helper()
	c, _, err := events.LoadConversation(context.Background(), w.Store, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// surveyTimer is a condition: the conversation's survey timer is set
// (want) or gone.
func (w *world) surveyTimer(convID string, want bool) func() error {
	return w.timer("survey-"+convID, want)
}

// TestSurveyAfterTheCloseOnceAndItsAnswersDoNotReopen: the line's delay
// after a worker closed the conversation, the client gets the first
// question by SMS, once (the timer firing again sends nothing more); an
// option number in reply is recorded as an answer, does not reopen the
// conversation nor count as a message, and brings the second question;
// after the second answer nothing more is sent; a reply that is not an
// option reopens the conversation as a message.
func TestSurveyAfterTheCloseOnceAndItsAnswersDoNotReopen(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, surveyConfig)
	svc, _ := w.service(t)
	rc := w.Text(t, clientNum, lineNum, "can we talk")
	w.Close(t, rc.ConversationID, "alex")
	poll.Until(t, 10*time.Second, w.surveyTimer(rc.ConversationID, true))
	w.Clock.Add(9 * time.Minute)
	w.fire(t, svc)
	if n := len(w.sentTo(clientNum)); n != 0 {
		t.Fatalf("%d messages before the delay", n)
	}
	w.Clock.Add(time.Minute)
	w.fireUntil(t, svc, w.sentAtLeast(clientNum, 1))
	first := w.sentTo(clientNum)[0]
	if first.Body != "Did this conversation help? Reply 1 yes, 2 no" || first.From != lineNum {
		t.Fatalf("first question %q from %s", first.Body, first.From)
	}
	// The timer again (a restart, another replica): the question was
	// asked and sent, so nothing more goes.
	if err := w.tm.Set(context.Background(), timers.Timer{Key: "survey-" + rc.ConversationID, Due: w.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	w.fireUntil(t, svc, w.surveyTimer(rc.ConversationID, false))

	// "1": an answer. The conversation stays closed, holds one message,
	// and the second question goes at once.
	w.Text(t, clientNum, lineNum, " 1 ")
	w.waitSent(t, clientNum, 2)
	if got := w.sentTo(clientNum)[1].Body; got != "How would you rate us, 1 to 5?" {
		t.Fatalf("second question %q", got)
	}
	w.Text(t, clientNum, lineNum, "4")
	answers := w.WaitEvents(t, events.TypeSurveyAnswered, 2)
	var got []string
	for _, e := range answers {
		a := testbed.Payload[events.SurveyAnswered](t, e)
		got = append(got, fmt.Sprintf("%s:%d", a.QuestionID, a.Option))
	}
	if strings.Join(got, ",") != "helped:1,rating:4" {
		t.Fatalf("answers %v", got)
	}
	c := w.conv(t, rc.ConversationID)
	if !c.Closed || c.Received != 1 || c.Survey.Asked != 2 {
		t.Fatalf("after the answers: closed %v, %d messages, %d asked", c.Closed, c.Received, c.Survey.Asked)
	}
	asked := w.Events(t, events.AggregateConversation, events.TypeSurveyQuestionAsked)
	if len(asked) != 2 {
		t.Fatalf("%d questions asked, want 2", len(asked))
	}

	// Anything else is a message: it reopens the conversation.
	w.Text(t, clientNum, lineNum, "5")
	if c := w.conv(t, rc.ConversationID); c.Closed || c.Received != 2 {
		t.Fatalf("a reply after the survey: closed %v, %d messages", c.Closed, c.Received)
	}
	if n := len(w.sentTo(clientNum)); n != 2 {
		t.Fatalf("%d messages to the client, want the 2 questions", n)
	}
}

// TestStopCancelsTheSurvey: a client who texted STOP before the close is
// never surveyed; one who texts STOP after the close reopens the
// conversation, and is not surveyed either.
func TestStopCancelsTheSurvey(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, surveyConfig)
	svc, _ := w.service(t)
	const later = "+447700900556"
	before := w.Text(t, clientNum, lineNum, "hello")
	w.Text(t, clientNum, lineNum, "STOP")
	w.Close(t, before.ConversationID, "alex")
	after := w.Text(t, later, lineNum, "hello")
	w.Close(t, after.ConversationID, "alex")
	poll.Until(t, 10*time.Second, w.surveyTimer(before.ConversationID, true))
	poll.Until(t, 10*time.Second, w.surveyTimer(after.ConversationID, true))
	w.Text(t, later, lineNum, "STOP")
	w.Clock.Add(10 * time.Minute)
	w.fireUntil(t, svc, func() error {
		if err := w.surveyTimer(before.ConversationID, false)(); err != nil {
			return err
		}
		return w.surveyTimer(after.ConversationID, false)()
	})
	if n, m := len(w.sentTo(clientNum)), len(w.sentTo(later)); n != 0 || m != 0 {
		t.Fatalf("surveys sent after STOP: %d and %d", n, m)
	}
	if asked := w.Events(t, events.AggregateConversation, events.TypeSurveyQuestionAsked); len(asked) != 0 {
		t.Fatalf("%d questions asked", len(asked))
	}
}

// TestSurveyIsInTheLanguageTheClientWroteIn: a client whose words triage
// read in Spanish gets the question's Spanish text; one whose words
// matched nothing gets English.
func TestSurveyIsInTheLanguageTheClientWroteIn(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, surveyConfig)
	svc, _ := w.service(t)
	const english = "+447700900556"
	es := w.Text(t, clientNum, lineNum, "necesito hablar")
	e, err := events.New(es.ConversationID, events.MessageTriaged{MessageID: es.EventID, Risk: events.RiskNone, LexiconVersion: "test", Rule: "test",
		Matches: []events.TriageMatch{{Category: "greeting", Language: "es"}}}, events.Meta{OccurredAt: w.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(context.Background(), events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
	en := w.Text(t, english, lineNum, "hi")
	w.Close(t, es.ConversationID, "alex")
	w.Close(t, en.ConversationID, "alex")
	poll.Until(t, 10*time.Second, w.surveyTimer(es.ConversationID, true))
	poll.Until(t, 10*time.Second, w.surveyTimer(en.ConversationID, true))
	w.Clock.Add(10 * time.Minute)
	w.fireUntil(t, svc, func() error {
		if err := w.sentAtLeast(clientNum, 1)(); err != nil {
			return err
		}
		return w.sentAtLeast(english, 1)()
	})
	if got, want := w.sentTo(clientNum)[0].Body, "¿Te ayudó? Responde 1 sí, 2 no"; got != want {
		t.Errorf("Spanish client got %q, want %q", got, want)
	}
	if got, want := w.sentTo(english)[0].Body, "Did this conversation help? Reply 1 yes, 2 no"; got != want {
		t.Errorf("client without a language got %q, want %q", got, want)
	}
}
