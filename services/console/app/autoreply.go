package app

import (
	"strings"

	"github.com/helpline-org/helpline/events"
)

// nextOpenShown stands, in an auto-reply shown to staff, for when the
// line opens again: the log does not keep the text as it was sent.
const nextOpenShown = "[when the line next opens]"

// autoReply says what an auto-reply was: its kind, and its text as the
// line's configuration writes it (in English). The log carries no body
// for an auto-reply: the text is configuration, not anyone's words.
func (d *deps) autoReply(lineID, sendID string) (kind, text string) {
	for _, l := range d.File.Lines {
		if l.ID != lineID {
			continue
		}
		if strings.HasPrefix(sendID, events.OutOfHoursSendPrefix) {
			return "out of hours", l.OutOfHoursText("en", nextOpenShown)
		}
		if strings.HasPrefix(sendID, events.CrisisSendPrefix) {
			return "someone on call alerted", l.CrisisText("en")
		}
		if strings.HasPrefix(sendID, events.HelpSendPrefix) {
			return "answer to HELP", l.HelpReply
		}
		if i, ok := events.SurveyQuestionOf(sendID); ok {
			q, _ := l.Survey.Question(i)
			return "survey question", q.TextIn("en")
		}
		if strings.HasPrefix(sendID, events.FollowUpSendPrefix) {
			return "follow-up check-in", l.FollowUpText
		}
	}
	return "automatic", ""
}
