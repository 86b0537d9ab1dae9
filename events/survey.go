package events

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The post-contact survey (a line's config survey): a while after a
// worker closed the conversation, the notification service asks the
// client the line's first question on the channel they used, then,
// once it is answered, the second. The rules, in one place:
//   - a conversation is surveyed once: each question is asked at most
//     once in its life (a reopen and a second close ask nothing more);
//   - a question is recorded as asked before it is sent, with the send's
//     id, so a redelivery or a restart sends it at most once more (only
//     when the send's outcome was never recorded);
//   - a reply that is exactly one of the pending question's option
//     numbers, within the line's answer window of the question, while the
//     conversation is still closed, is its answer: a content-free event
//     (question id, option number) that neither reopens the conversation
//     nor counts as a message, and which triage never reads;
//   - any other reply is an ordinary message: it reopens the conversation
//     as ever (and ends the survey: nothing is pending after a reopen),
//     and triage reads it, so a crisis in reply to a survey still pages.

// SurveyQuestionAsked records that question Question (from 0) of the
// line's survey, QuestionID, with Options options, is sent to the client:
// recorded before the send, whose outcome (message_sent,
// message_send_failed) follows under SendID.
type SurveyQuestionAsked struct {
	QuestionID string `json:"question_id"`
	Question   int    `json:"question"`
	Options    int    `json:"options"`
	SendID     string `json:"send_id"`
}

// SurveyAnswered records a client's answer to a survey question: the
// question and the option number, never the reply's text. MessageID is
// the provider's or the chat's id of the reply, so a retried webhook
// records it once.
type SurveyAnswered struct {
	QuestionID string `json:"question_id"`
	Question   int    `json:"question"`
	Option     int    `json:"option"`
	MessageID  string `json:"message_id"`
}

// Code is how the figures count an answer: "question:option", e.g.
// "helped:1".
func (a SurveyAnswered) Code() string { return a.QuestionID + ":" + strconv.Itoa(a.Option) }

var _ = []bool{
	register(AggregateConversation, TypeSurveyQuestionAsked, 1, "A question of the line's post-contact survey is sent to the client after the close (recorded before the send).",
		func() Payload {
			return SurveyQuestionAsked{QuestionID: "helped", Question: 0, Options: 2, SendID: "survey-0-k7q2kx3mz5d4a6ffh2rtw9pq1e"}
		}),
	register(AggregateConversation, TypeSurveyAnswered, 1, "The client answered a survey question with one of its option numbers: content-free, it does not reopen the conversation.",
		func() Payload {
			return SurveyAnswered{QuestionID: "helped", Question: 0, Option: 1, MessageID: "sms-sm1"}
		}),
}

// SurveyState is a conversation's survey so far.
type SurveyState struct {
	// Asked is how many of the line's questions were asked.
	Asked int
	// Pending is the question asked and not answered while the
	// conversation stayed closed (QuestionID "" for none), and when it
	// was asked.
	Pending SurveyQuestionAsked
	AskedAt time.Time
}

// SurveySendID is the send id of question i of a conversation's survey:
// the chat and the console find the question's text by it.
func SurveySendID(conversationID string, question int) string {
	return SurveySendPrefix + strconv.Itoa(question) + "-" + DerivedID("survey", conversationID, strconv.Itoa(question))
}

// SurveyQuestionOf returns the question a survey send id names.
func SurveyQuestionOf(sendID string) (int, bool) {
	rest, ok := strings.CutPrefix(sendID, SurveySendPrefix)
	if !ok {
		return 0, false
	}
	n, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil && i >= 0
}

func (c *Conversation) applySurvey(p Payload, e Envelope) {
	switch p := p.(type) {
	case SurveyQuestionAsked:
		c.Survey.Asked = max(c.Survey.Asked, p.Question+1)
		if c.Closed {
			c.Survey.Pending, c.Survey.AskedAt = p, e.OccurredAt
		}
	case SurveyAnswered:
		c.Survey.Pending = SurveyQuestionAsked{}
		// The reply is remembered as a message seen, so a retry of it is
		// neither an answer again nor a message.
		c.noteMessage(p.MessageID, e.Sequence)
	case ConversationReopened:
		c.Survey.Pending = SurveyQuestionAsked{}
	}
}

// AskSurvey records that question (from 0) of the line's survey, id
// questionID with options options, is sent to the client, and returns the
// send's id. Questions are asked in order, each once: asking one asked
// already records nothing and returns its send id (the caller sends it
// unless its outcome is recorded). Only a closed conversation is
// surveyed.
func (c *Conversation) AskSurvey(question int, questionID string, options int, m Meta) (string, error) {
	sendID := SurveySendID(c.ID, question)
	switch {
	case !c.Started:
		return "", fmt.Errorf("conversation %s: %w", c.ID, ErrNotFound)
	case question < c.Survey.Asked:
		return sendID, nil
	case question != c.Survey.Asked:
		return "", fmt.Errorf("%w: survey question %d before question %d", ErrInvalidCommand, question, c.Survey.Asked)
	case !c.Closed:
		return "", fmt.Errorf("conversation %s: %w", c.ID, ErrNotClosed)
	case ValidateID(questionID) != nil || options < 2 || options > 9:
		return "", fmt.Errorf("%w: survey question %q of %d options", ErrInvalidCommand, questionID, options)
	}
	return sendID, c.recordWithID(DerivedID("survey-asked", c.ID, strconv.Itoa(question)),
		SurveyQuestionAsked{QuestionID: questionID, Question: question, Options: options, SendID: sendID}, m)
}

// ErrNotClosed: a command for a closed conversation (a survey) on one
// that is open.
var ErrNotClosed = errors.New("conversation is open")

// AnswerSurvey records reply, the client's message messageID, as the
// answer to the pending survey question when it is exactly one of its
// option numbers (spaces around it aside) and came within window of the
// question, and reports whether it did. Otherwise it records nothing and
// the reply is an ordinary message (Receive). A message recorded already
// is no answer either: Receive finds it.
func (c *Conversation) AnswerSurvey(messageID, reply string, window time.Duration, m Meta) (bool, error) {
	q := c.Survey.Pending
	if err := c.recall(messageID); err != nil {
		return false, err
	}
	if _, seen := c.Messages[messageID]; seen || q.QuestionID == "" || !c.Closed || window <= 0 || m.OccurredAt.After(c.Survey.AskedAt.Add(window)) {
		return false, nil
	}
	option, err := strconv.Atoi(strings.TrimSpace(reply))
	if err != nil || option < 1 || option > q.Options || strconv.Itoa(option) != strings.TrimSpace(reply) {
		return false, nil
	}
	if err := ValidateID(messageID); err != nil {
		return false, fmt.Errorf("message id: %w", err)
	}
	return true, c.recordWithID(DerivedID("survey-answer", messageID),
		SurveyAnswered{QuestionID: q.QuestionID, Question: q.Question, Option: option, MessageID: messageID}, m)
}
