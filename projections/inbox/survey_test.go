package inbox

import (
	"context"
	"slices"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestSurveyQuestionsListedWhereAsked: the second survey question is
// asked after the client answered the first, but the first's send
// outcome reaches the log last (its record was retried): the messages
// read question one, the answer's message is no message, question two,
// in the order they were asked, and both questions end sent.
func TestSurveyQuestionsListedWhereAsked(t *testing.T) {
	t.Parallel()
	q0, q1 := events.SurveySendID("conv7", 0), events.SurveySendID("conv7", 1)
	s := &projectiontest.Script{T: t}
	s.Add("conv7", at(12, 0, 0), events.ConversationStarted{LineID: "main", ClientID: "cF", Pseudonym: "C-FFFF", Channel: events.ChannelSMS})
	s.Add("conv7", at(12, 0, 1), events.MessageReceived{MessageID: "m20", LineID: "main", ClientID: "cF", Channel: events.ChannelSMS,
		Body: sealed("cF", "m20"), ReceivedAt: at(12, 0, 1)})
	s.Add("conv7", at(12, 1, 0), events.ConversationClosed{ByStaffID: "alex", Outcome: "supported", Categories: []string{"risk:low"}})
	s.Add("conv7", at(12, 11, 0), events.SurveyQuestionAsked{QuestionID: "helped", Question: 0, Options: 2, SendID: q0})
	s.Add("conv7", at(12, 11, 0), events.SurveyAnswered{QuestionID: "helped", Question: 0, Option: 1, MessageID: "m21"})
	s.Add("conv7", at(12, 11, 0), events.SurveyQuestionAsked{QuestionID: "rating", Question: 1, Options: 5, SendID: q1})
	s.Add("conv7", at(12, 11, 0), events.MessageSent{SendID: q1, Kind: events.SendAutoReply, Recipient: "client", ProviderMessageID: "SMq1"})
	s.Add("conv7", at(12, 11, 0), events.MessageSent{SendID: q0, Kind: events.SendAutoReply, Recipient: "client", ProviderMessageID: "SMq0"})
	for _, b := range projectiontest.Backends[Store](NewMemoryStore, NewSQLStore) {
		t.Run(b.Name, func(t *testing.T) {
			v := NewView(b.Make(t))
			projectiontest.ApplyAll(t, v, s.Envs, relevant)
			msgs, err := v.Messages(context.Background(), "conv7")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				got = append(got, m.ID+":"+m.Status)
			}
			if want := []string{"m20:received", q0 + ":sent", q1 + ":sent"}; !slices.Equal(got, want) {
				t.Fatalf("messages %q, want %q", got, want)
			}
		})
	}
}
