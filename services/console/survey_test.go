package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// Survey questions of surveyConfig.
const (
	surveyHelped = "Did this conversation help? Reply 1 yes, 2 no"
	surveyRating = "How would you rate us, 1 to 5?"
)

// surveyConfig is worldConfig with a two-question post-contact survey
// on the line, sent 10 minutes after the close.
var surveyConfig = strings.Replace(worldConfig, "admin_contacts: [ada]}", `admin_contacts: [ada],
      survey: {delay: 10m, window: 1h, questions: [
        {id: helped, label: "Did the conversation help?", options: ["Yes", "No"], text: {en: "`+surveyHelped+`"}},
        {id: rating, label: "Rating", options: ["poor", "2", "3", "4", "very good"], text: {en: "`+surveyRating+`"}}]}}`, 1)

// surveyed waits for the closed conversation's survey timer, moves the
// clock past the line's delay, and waits for the first question to reach
// the client.
func (w *world) surveyed(t *testing.T, client, convID string) {
	t.Helper()
	w.notifyTimer(t, "survey-"+convID, func(_ timers.Timer, set bool) error {
		if !set {
			return fmt.Errorf("no survey timer for %s yet", convID)
		}
		return nil
	})
	w.Clock.Add(10 * time.Minute)
	w.waitSMS(t, "the survey's first question", func(m twiliofake.SentMessage) bool { return m.To == client && m.Body == surveyHelped })
}

// figuresWhen polls a manager's figures of the last day (GET
// /api/figures) until ready says nothing is missing, and returns them.
func figuresWhen(t testing.TB, mia *staff, ready func(views.Figures) error) views.Report {
	t.Helper()
	var rep views.Report
	poll.Until(t, 20*time.Second, func() error {
		code, body := mia.do("GET", "/api/figures?days=1", nil)
		if code != http.StatusOK {
			return fmt.Errorf("figures: %d %s", code, body)
		}
		if err := json.Unmarshal(body, &rep); err != nil {
			return err
		}
		return ready(rep.Totals)
	})
	return rep
}

// surveyCounts polls the manager's figures until the survey's counts are
// want.
func surveyCounts(t *testing.T, mia *staff, want map[string]int64) views.Report {
	t.Helper()
	return figuresWhen(t, mia, func(f views.Figures) error {
		if !maps.Equal(f.Survey, want) {
			return fmt.Errorf("survey answers %v, want %v", f.Survey, want)
		}
		return nil
	})
}

// TestSurveyAnswerDoesNotReopenAndACrisisInReplyPages is issue 18's
// acceptance on the whole process: a conversation closed by a worker gets
// the line's survey by SMS after the delay; "1" in reply is counted on
// the dashboard as an answer and leaves the conversation closed, and the
// second question follows; a crisis in reply to it is a message: it
// reopens the conversation, triage reads it, and the duty worker is
// paged.
func TestSurveyAnswerDoesNotReopenAndACrisisInReplyPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{config: surveyConfig})
	w.text(t, clientB, wordsB)
	b := w.waitConversation(t, func(c inbox.Conversation) bool { return c.Open })
	w.CloseAs(t, b.ID, "wes", "no_contact")
	w.surveyed(t, clientB, b.ID)

	w.text(t, clientB, "1")
	w.waitSMS(t, "the survey's second question", func(m twiliofake.SentMessage) bool { return m.To == clientB && m.Body == surveyRating })
	mia := w.signIn(t, "mia")
	surveyCounts(t, mia, map[string]int64{"helped:1": 1})
	if c, _, err := events.LoadConversation(context.Background(), w.Store, b.ID); err != nil || !c.Closed || c.Received != 1 {
		t.Fatalf("after the answer: %v, closed %v, %d messages; want closed with the one message", err, c.Closed, c.Received)
	}
	if code, page := mia.do("GET", "/dashboard?days=1", nil); code != http.StatusOK || !strings.Contains(string(page), "Did the conversation help?: Yes") {
		t.Fatalf("dashboard %d lacks the answer's label:\n%s", code, page)
	}

	// The duty worker reading the conversation sees the question the line
	// sent, by its configured text; the answer is no message of it.
	dana := w.signIn(t, "dana")
	poll.Until(t, 20*time.Second, func() error {
		code, body := dana.do("GET", "/api/conversations/"+b.ID, nil)
		var cv views.Conversation
		if err := json.Unmarshal(body, &cv); code != http.StatusOK || err != nil {
			return fmt.Errorf("conversation: %d %v", code, err)
		}
		var shown []string
		for _, m := range cv.Messages {
			if m.Automatic {
				shown = append(shown, m.AutoReply+": "+m.Text)
			}
		}
		if want := []string{"survey question: " + surveyHelped, "survey question: " + surveyRating}; !slices.Equal(shown, want) || len(cv.Messages) != 3 {
			return fmt.Errorf("automatic replies %q of %d messages, want %q of 3", shown, len(cv.Messages), want)
		}
		return nil
	})

	w.text(t, clientB, "I have taken all my sleeping pills")
	esc := w.waitEscalation(t, b.ID)
	if esc.Reason != events.ReasonCrisis {
		t.Fatalf("escalation %+v, want a crisis", esc)
	}
	w.waitSMS(t, "the duty worker's page", func(m twiliofake.SentMessage) bool { return m.To == dutyPhone })
	if c, _, err := events.LoadConversation(context.Background(), w.Store, b.ID); err != nil || c.Closed || c.Received != 2 {
		t.Fatalf("after the crisis: %v, closed %v, %d messages; want it reopened with the crisis", err, c.Closed, c.Received)
	}
	surveyCounts(t, mia, map[string]int64{"helped:1": 1})
}
