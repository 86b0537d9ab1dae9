package notification

import (
	"context"
	"errors"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/timers"
)

// The post-contact survey (lines[].survey; the rules are in
// events/survey.go). A worker's close arms a durable timer,
// "survey-<conv>", for the line's delay after it; when it fires and the
// conversation is still closed, the first question is recorded as asked
// (with its send id) and sent. The answer to it, recorded by ingestion,
// makes the next question go at once. SMS only: the web chat's stream
// ends at the close, so a question sent after it would reach nobody.
// A client who opted out (STOP) is never asked; a STOP in reply reopens
// the conversation, which ends the survey.

const surveyTimerPrefix = "survey-"

func surveyTimerKey(convID string) string { return surveyTimerPrefix + convID }

// armSurvey sets the survey's timer when a conversation of a line with a
// survey closes, unless it was surveyed already.
func (s *Service) armSurvey(ctx context.Context, e events.Envelope) error {
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	if line.Survey == nil || conv.Channel != events.ChannelSMS || conv.Survey.Asked > 0 || !conv.Closed {
		return nil
	}
	_, err = s.timers.SetIfAbsent(ctx, timers.Timer{Key: surveyTimerKey(conv.ID), Due: conv.ClosedAt.Add(line.Survey.Delay.Duration)})
	return err
}

// onSurveyDue asks the survey's first question if the conversation is
// still closed the line's delay after its latest close.
func (s *Service) onSurveyDue(ctx context.Context, t timers.Timer) error {
	conv, err := s.conversation(ctx, strings.TrimPrefix(t.Key, surveyTimerPrefix))
	if err != nil {
		return err
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	if line.Survey == nil || !conv.Closed {
		return nil // reopened: its next close arms the timer again
	}
	// Closed again after a reopen since the timer was set: the delay
	// counts from the latest close.
	if due := conv.ClosedAt.Add(line.Survey.Delay.Duration); s.now().Before(due) {
		return s.timers.Set(ctx, timers.Timer{Key: t.Key, Due: due})
	}
	return s.askSurvey(ctx, conv.ID, 0, events.Meta{OccurredAt: s.now(), CorrelationID: conv.ID})
}

// askNextSurvey asks the question after the one just answered, if the
// line's survey has one.
func (s *Service) askNextSurvey(ctx context.Context, e events.Envelope, a events.SurveyAnswered) error {
	return s.askSurvey(ctx, e.AggregateID, a.Question+1, e.Caused(s.now()))
}

// askSurvey records question i of the line's survey as asked and sends
// it, once: a redelivery or a restart finds the send's outcome recorded,
// or sends what was recorded and never sent.
func (s *Service) askSurvey(ctx context.Context, convID string, i int, meta events.Meta) error {
	conv, err := s.conversation(ctx, convID)
	if err != nil {
		return err
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	q, ok := line.Survey.Question(i)
	if !ok || conv.Channel != events.ChannelSMS || (i >= conv.Survey.Asked && !conv.Closed) {
		return nil // no such question, not by SMS, or reopened before it was asked
	}
	cl, err := s.client(ctx, conv.ClientID)
	if err != nil {
		return err
	}
	if cl.OptedOut || cl.Erased {
		return nil // STOP (or erasure) cancels the survey
	}
	var sendID string
	saved, err := s.convs.Update(ctx, convID, func(c *events.Conversation) error {
		var err error
		sendID, err = c.AskSurvey(i, q.ID, len(q.Options), meta)
		return err
	})
	if errors.Is(err, events.ErrNotClosed) {
		return nil // reopened meanwhile
	}
	if err != nil {
		return err
	}
	if saved.State.Sends[sendID] != "" {
		return nil // sent (or refused) already: never twice
	}
	s.logger.Info().Str("conversation", convID).Str("question", q.ID).Msg("survey question")
	// In the language triage last read the client in (else English).
	return s.sendAutomatic(ctx, saved.State, sendID, line, q.TextIn(saved.State.Language), meta)
}
