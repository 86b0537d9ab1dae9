package notification

import (
	"context"
	"slices"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
)

// Urgent notices (events/notice.go): a crisis message while a worker who
// acknowledged the conversation's crisis escalation is answering. The
// worker gets one SMS at once, like a page (no number, no words), and a
// durable timer holds the notice's safety net: at its due time, with no
// staff reply after the message, the conversation escalates and the pager
// pages it as any crisis, passing over that worker in the first round.

// noticeTimerPrefix starts the key of a notice's safety-net timer.
const noticeTimerPrefix = "unheeded-"

// sendNotice sets the notice's safety net, then sends its SMS to the
// worker it tells and records the outcome, once. A notice the provider
// refuses, or a worker with no work phone, escalates at once.
func (s *Service) sendNotice(ctx context.Context, e events.Envelope, n events.UrgentNoticeRaised) error {
	// The timer first: a crash after the SMS must not lose the net.
	if err := s.timers.Set(ctx, timers.Timer{Key: noticeTimerPrefix + n.NoticeID, Due: n.Due,
		Data: map[string]string{"conversation": e.AggregateID, "notice": n.NoticeID}}); err != nil {
		return err
	}
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	notice, ok := conv.UrgentNotices[n.NoticeID]
	if !ok || conv.Sends[n.NoticeID] != "" || conv.Heeded(notice) {
		return nil // sent already, or answered before it could be
	}
	meta := e.Caused(s.now())
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	st, known, err := s.staff(ctx, n.StaffID)
	if err != nil {
		return err
	}
	if !known || st.WorkPhone == "" {
		s.logger.Error().Str("conversation", conv.ID).Str("staff", n.StaffID).Msg("urgent notice: no work phone, escalating at once")
		return s.noticeFailed(ctx, conv.ID, n.NoticeID, "no work phone", 0, meta)
	}
	text := NoticeText(Notice{Line: line, Language: st.Language, Pseudonym: events.PageClient(st.Role, conv.Pseudonym),
		Categories: n.Categories, ConversationID: conv.ID, Window: s.policies.For(line).AckTimeout.Duration}, s.cfg.PublicURL)
	sid, err := s.sendPage(ctx, sms.Message{From: line.Number, To: st.WorkPhone, Body: text, StatusCallback: s.statusCallback(conv.ID)})
	if se, ok := permanent(err); ok {
		s.logger.Error().Str("conversation", conv.ID).Str("staff", st.ID).Int("code", se.Code).Msg("urgent notice refused by the provider: escalating at once")
		return s.noticeFailed(ctx, conv.ID, n.NoticeID, se.Error(), se.Code, meta)
	}
	if err != nil {
		return err
	}
	s.logger.Info().Str("conversation", conv.ID).Str("staff", st.ID).Str("notice", n.NoticeID).Str("correlation_id", meta.CorrelationID).Msg("urgent notice sent")
	return s.update(ctx, conv.ID, func(c *events.Conversation) error {
		if err := c.RecordNoticeSent(n.NoticeID, sid, meta); err != nil {
			return err
		}
		return c.EscalateUnheeded(n.NoticeID, meta) // reported undelivered before its send was recorded: at once
	})
}

// noticeFailed records a notice that cannot reach its worker and runs its
// safety net at once.
func (s *Service) noticeFailed(ctx context.Context, convID, noticeID, reason string, code int, meta events.Meta) error {
	return s.update(ctx, convID, func(c *events.Conversation) error {
		if err := c.RecordNoticeFailed(noticeID, reason, code, meta); err != nil {
			return err
		}
		return c.EscalateUnheeded(noticeID, meta)
	})
}

// noticeUndelivered runs at once the safety net of the notice whose SMS
// (provider id sid) the provider reported undelivered (the status event
// at stream sequence seq): the worker was never told.
func (s *Service) noticeUndelivered(ctx context.Context, convID, sid string, seq uint64, meta events.Meta) error {
	conv, err := s.conversationAt(ctx, convID, seq)
	if err != nil {
		return err
	}
	n, ok := conv.NoticeBySMS(sid)
	if !ok {
		return nil
	}
	s.logger.Error().Str("conversation", convID).Str("staff", n.StaffID).Str("notice", n.ID).Msg("urgent notice undelivered: escalating at once")
	return s.update(ctx, convID, func(c *events.Conversation) error { return c.EscalateUnheeded(n.ID, meta) })
}

// onNoticeDue runs a notice's safety net at its due time
// (Conversation.EscalateUnheeded): the escalation it raises is paged by
// HandlePages like any other.
func (s *Service) onNoticeDue(ctx context.Context, t timers.Timer) error {
	convID, noticeID := t.Data["conversation"], t.Data["notice"]
	saved, err := s.updated(ctx, convID, func(c *events.Conversation) error {
		return c.EscalateUnheeded(noticeID, events.Meta{CorrelationID: noticeID, OccurredAt: s.now()})
	})
	if err != nil {
		return err
	}
	if len(saved.Appended) > 0 {
		s.logger.Warn().Str("conversation", convID).Str("notice", noticeID).Msg("urgent notice unanswered: escalated")
	}
	return nil
}

// passOver leaves out of a step's staff who the escalation passes over
// in its first round: the worker whose urgent notice about its message
// went unanswered (events.Escalation.PassOver). Paging them again would
// spend the level's whole acknowledgement timeout on someone already
// silent; anyone else on call at the level is paged at once, and with
// nobody else there the next level is.
func passOver(esc *events.Escalation, step Step, staff []config.Staff) []config.Staff {
	if esc.PassOver == "" || step.Round != 1 {
		return staff
	}
	return slices.DeleteFunc(slices.Clone(staff), func(st config.Staff) bool { return st.ID == esc.PassOver })
}
