package notification

import (
	"context"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/timers"
)

// Follow-ups with consent (events/followup.go): a follow-up scheduled at
// a close sets a durable timer, "followup-<id>", for its due time (the
// notification timers bucket: it survives a restart, and any replica
// fires it). At the due time the line's follow_up_text goes once through
// the normal send path, recorded as sent with the send id
// events.FollowUpSendID(id): a timer fired again, by a restart or a
// second replica, finds it sent and sends nothing. A client who texted
// STOP after it was scheduled (even START since: STOP withdrew the
// consent given at wrap-up), or was erased, gets nothing: the follow-up
// is cancelled, with the reason, when its time comes.

const followUpTimerPrefix = "followup-"

func followUpTimerKey(id string) string { return followUpTimerPrefix + id }

// armFollowUp sets the follow-up's timer.
func (s *Service) armFollowUp(ctx context.Context, e events.Envelope, p events.FollowUpScheduled) error {
	_, err := s.timers.SetIfAbsent(ctx, timers.Timer{Key: followUpTimerKey(p.FollowUpID), Due: p.DueAt,
		Data: map[string]string{"conversation": e.AggregateID}})
	return err
}

// onFollowUpDue sends a follow-up still pending, or cancels it for a
// client who withdrew consent or was erased.
func (s *Service) onFollowUpDue(ctx context.Context, t timers.Timer) error {
	id := strings.TrimPrefix(t.Key, followUpTimerPrefix)
	conv, err := s.conversation(ctx, t.Data["conversation"])
	if err != nil {
		return err
	}
	f, ok := conv.FollowUps[id]
	if !ok || !f.Pending() {
		return nil // sent, cancelled, or not (yet) in the log this timer read
	}
	meta := events.Meta{OccurredAt: s.now(), CorrelationID: conv.ID}
	cl, err := s.client(ctx, conv.ClientID)
	if err != nil {
		return err
	}
	reason := ""
	switch {
	case cl.Erased:
		reason = events.FollowUpErased
	case cl.OptedOut || cl.OptedOutAt.After(f.ScheduledAt):
		reason = events.FollowUpOptedOut
	}
	if reason != "" {
		s.logger.Info().Str("conversation", conv.ID).Str("follow_up", id).Str("reason", reason).Msg("follow-up cancelled")
		return s.update(ctx, conv.ID, func(c *events.Conversation) error { return c.CancelFollowUp(id, reason, meta) })
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	if line.FollowUpText == "" {
		return s.update(ctx, conv.ID, func(c *events.Conversation) error { return c.CancelFollowUp(id, events.FollowUpNoText, meta) })
	}
	s.logger.Info().Str("conversation", conv.ID).Str("follow_up", id).Msg("follow-up due")
	return s.sendAutomatic(ctx, conv, events.FollowUpSendID(id), line, line.FollowUpText, meta)
}
