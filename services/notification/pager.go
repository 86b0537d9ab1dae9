package notification

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/timers"
)

func ackTimerKey(escalationID string) string { return "ack-" + escalationID }

// pageFirst pages the first step of the policy for a new escalation.
// Redelivered, it pages only whoever was not yet recorded as paged; a
// page attempted and not recorded is looked for at the provider first
// (pageonce.go), so a crash between the send and its record pages once.
func (s *Service) pageFirst(ctx context.Context, convID, escID string, cause events.Envelope) error {
	conv, err := s.conversationOf(ctx, cause)
	if err != nil {
		return err
	}
	esc := conv.Escalations[escID]
	if esc == nil {
		return consume.Permanent(fmt.Errorf("escalation %s not in conversation %s", escID, convID))
	}
	if !esc.Open() || esc.Round != 1 || esc.Level != 0 {
		return nil // acknowledged, or the timers have moved it on already
	}
	return s.pageStep(ctx, conv, esc, First, cause.Caused(s.now()))
}

// pageStep pages everyone on call at the step's level, records each page,
// and sets the acknowledgement timer for the step. Nobody on call at a
// level: the step is skipped and the next one paged at once.
func (s *Service) pageStep(ctx context.Context, conv *events.Conversation, esc *events.Escalation, step Step, meta events.Meta) error {
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	policy := s.policies.For(line)
	for {
		level := policy.Levels[step.Level]
		onCall, err := s.rota.OnCall(ctx, line.ID, level, s.now())
		if err != nil {
			return fmt.Errorf("rota of %s: %w", line.ID, err)
		}
		staff := passOver(esc, step, onCall)
		if len(onCall) > 0 {
			// The step's deadline is stored before anyone is paged. Set
			// after the pages, a crash between a page leaving and the
			// deadline being stored would leave the step without one
			// until the escalation's event came back (the consumer's ack
			// wait), whatever the policy's timeout. Nobody reached at
			// this level: the next step's deadline replaces it below, or
			// exhaust cancels it. Set too when the only ones on call are
			// passed over: a crash between the move to the next level
			// and its page leaves this deadline, whose timer pages the
			// step moved to (OnAckTimeout).
			if err := s.setAckDeadline(ctx, conv.ID, esc, step, policy.AckTimeout.Duration); err != nil {
				return err
			}
		}
		// last is the last event of the conversation this step is sure
		// of: what it was handed, then its own pages.
		paged, last := 0, conv.Version
		for _, st := range staff {
			if _, ok := esc.Notice(step.Round, step.Level, st.ID); ok {
				paged++ // paged before a redelivery: its next rule's timer may be missing
				continue
			}
			if st, err = s.people.Refresh(ctx, st); err != nil {
				return fmt.Errorf("staff %s: %w", st.ID, err)
			}
			seq, err := s.notify(ctx, conv, esc, step, level, st, 0, meta)
			if err != nil {
				return err
			}
			if seq > 0 {
				paged, last = paged+1, max(last, seq)
			}
		}
		if paged > 0 {
			fresh, err := s.conversationAt(ctx, conv.ID, last)
			if err != nil {
				return err
			}
			if err := s.ensureRules(ctx, fresh, fresh.Escalations[esc.ID], step); err != nil {
				return err
			}
			return s.moveRefused(ctx, conv.ID, last, meta)
		}
		reason := "nobody_on_call"
		switch {
		case len(staff) > 0:
			reason = "unreachable" // on call, but the provider refused every page
		case len(onCall) > 0:
			reason = "notice_unheeded" // only the worker who did not answer their urgent notice
		}
		s.logger.Warn().Str("escalation", esc.ID).Str("line", line.ID).Str("level", level).Str("reason", reason).Msg("nobody reachable at this level: escalating")
		next, ok := Next(policy, step)
		if !ok {
			return s.exhaust(ctx, conv.ID, esc.ID, step.Round, meta)
		}
		saved, err := s.updated(ctx, conv.ID, func(c *events.Conversation) error {
			return c.ReEscalate(esc.ID, step.Level, next.Level, next.Round, reason, meta)
		})
		if err != nil {
			return err
		}
		if e := saved.State.Escalations[esc.ID]; e != nil {
			conv, esc = saved.State, e
		}
		step = next
	}
}

// setAckDeadline stores the acknowledgement deadline of the escalation's
// step: the policy's timeout after the escalation reached the step, not
// after now, so a redelivered event (this replica died before
// acknowledging it) does not push the deadline back by the time the
// replica was down.
func (s *Service) setAckDeadline(ctx context.Context, convID string, esc *events.Escalation, step Step, timeout time.Duration) error {
	due := s.now().Add(timeout)
	if esc.Round == step.Round && esc.Level == step.Level && !esc.StepAt.IsZero() {
		due = esc.StepAt.Add(timeout)
	}
	return s.timers.Set(ctx, timers.Timer{Key: ackTimerKey(esc.ID), Due: due,
		Data: map[string]string{"conversation": convID, "round": strconv.Itoa(step.Round), "level": strconv.Itoa(step.Level)}})
}

// update runs one decision on a conversation through the repository.
// Every record has a deterministic id and its command records nothing
// when the state shows it made, so a redelivery records it once. An event
// the catalogue refuses will never be accepted: it is not retried.
func (s *Service) update(ctx context.Context, convID string, decide func(*events.Conversation) error) error {
	_, err := s.updated(ctx, convID, decide)
	return err
}

// updated is update returning what the conversation became.
func (s *Service) updated(ctx context.Context, convID string, decide func(*events.Conversation) error) (events.Saved[*events.Conversation], error) {
	saved, err := s.convs.Update(ctx, convID, decide)
	if errors.Is(err, events.ErrInvalidEnvelope) || errors.Is(err, events.ErrInvalidID) {
		return saved, consume.Permanent(err)
	}
	return saved, err
}

func (s *Service) exhaust(ctx context.Context, convID, escID string, rounds int, meta events.Meta) error {
	s.logger.Error().Str("escalation", escID).Str("conversation", convID).Msg("escalation policy exhausted without an acknowledgement")
	if err := s.update(ctx, convID, func(c *events.Conversation) error { return c.Exhaust(escID, rounds, meta) }); err != nil {
		return err
	}
	return s.timers.Cancel(ctx, ackTimerKey(escID))
}

// OnAckTimeout runs when an escalation's acknowledgement deadline passes:
// unless someone acknowledged, it records the move to the next step and
// pages it. Two replicas may fire the same timer: the re-escalation is
// appended with the conversation's expected sequence, so one wins and
// pages; the other finds the escalation moved and tries again later, when
// the timer has moved on.
func (s *Service) OnAckTimeout(ctx context.Context, t timers.Timer) error {
	convID, escID := t.Data["conversation"], t.Key[len("ack-"):]
	round, _ := strconv.Atoi(t.Data["round"])
	level, _ := strconv.Atoi(t.Data["level"])
	cur := Step{Round: round, Level: level}
	conv, err := s.conversation(ctx, convID)
	if err != nil {
		return err
	}
	esc := conv.Escalations[escID]
	if esc == nil || !esc.Open() {
		return nil
	}
	meta := events.Meta{CorrelationID: escID, OccurredAt: s.now()}
	if esc.Round != cur.Round || esc.Level != cur.Level {
		// The escalation is past this timer's step: another replica moved
		// it. If that replica died before paging the new step, page it
		// once the grace period shows nobody else will.
		at := Step{Round: esc.Round, Level: esc.Level}
		if len(esc.Paged[events.Step(at.Round, at.Level)]) == 0 {
			if s.now().Sub(esc.StepAt) > s.cfg.StepGrace {
				return s.pageStep(ctx, conv, esc, at, meta)
			}
			// Not yet: an error keeps this timer for a later firing. Done
			// with (nil), the timer would be deleted, and if that replica
			// died before paging, nobody would ever page the step.
			return fmt.Errorf("escalation %s: step %s not paged yet by the replica that moved it (grace %s): %w", escID, at, s.cfg.StepGrace, errMoved)
		}
		return s.ensureRules(ctx, conv, esc, at)
	}
	return s.advance(ctx, conv, escID, cur, "ack_timeout", meta)
}

// errMoved: another replica moved the escalation past the step meanwhile.
var errMoved = errors.New("escalation moved meanwhile")

// advance records the move of an open escalation from step cur to the
// next step of its line's policy, for reason, and pages that step; past
// the last step it exhausts the escalation. Acknowledged meanwhile, it
// moves nowhere. Moved past cur by another replica, it returns an error
// wrapping errMoved and events.ErrConcurrency (so a timer is kept: if
// that replica dies before paging, a later firing pages).
func (s *Service) advance(ctx context.Context, conv *events.Conversation, escID string, cur Step, reason string, meta events.Meta) error {
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	next, ok := Next(s.policies.For(line), cur)
	if !ok {
		return s.exhaust(ctx, conv.ID, escID, cur.Round, meta)
	}
	saved, err := s.convs.Update(ctx, conv.ID, func(c *events.Conversation) error {
		esc := c.Escalations[escID]
		if esc == nil || !esc.Open() {
			return nil // acknowledged meanwhile
		}
		if esc.Round != cur.Round || esc.Level != cur.Level {
			return fmt.Errorf("escalation %s: %w: %w", escID, errMoved, events.ErrConcurrency)
		}
		return c.ReEscalate(escID, cur.Level, next.Level, next.Round, reason, meta)
	})
	if err != nil {
		return err
	}
	if len(saved.Appended) == 0 || saved.Duplicate() {
		return nil // acknowledged meanwhile, or recorded by another replica, which pages
	}
	s.logger.Warn().Str("escalation", escID).Str("conversation", conv.ID).Str("step", next.String()).Str("reason", reason).Msg("paging the next level")
	return s.pageStep(ctx, saved.State, saved.State.Escalations[escID], next, meta)
}

// moveRefused moves each open escalation of the conversation whose
// current step everyone paged at refused (declined, or their page was not
// delivered) to its next step at once: a refusal is an answer, not a
// silence to wait out until the timeout. Pages not delivered are recorded
// first as failed pages, with the provider's error code, like pages the
// provider refused outright. It runs on a decline, on a delivery failure,
// and after a step is paged (a failure may be reported before its page is
// recorded), on the conversation at least as new as seq (the event's, or
// the step's last page): a refusal recorded later is handled in its turn.
func (s *Service) moveRefused(ctx context.Context, convID string, seq uint64, meta events.Meta) error {
	conv, err := s.conversationAt(ctx, convID, seq)
	if err != nil {
		return err
	}
	for _, esc := range conv.OpenEscalations() {
		escID, cur := esc.ID, Step{Round: esc.Round, Level: esc.Level}
		refused := esc.StepRefused(esc.Round, esc.Level)
		retry, err := s.retriable(ctx, esc)
		if err != nil {
			return err
		}
		if !refused && len(retry) == 0 {
			continue // someone at the step may still take it on: the timer runs
		}
		// Moving on (to a person's next rule, or the next step): the
		// failures are recorded first, with the provider's error code.
		saved, err := s.convs.Update(ctx, convID, func(c *events.Conversation) error { return c.RecordUndeliveredPages(escID, meta) })
		if err != nil {
			return err
		}
		if err := s.nextRules(ctx, saved.State, saved.State.Escalations[escID], retry, meta); err != nil {
			return err
		}
		if !refused {
			continue
		}
		reason := esc.RefusalReason(esc.Round, esc.Level)
		s.logger.Warn().Str("escalation", escID).Str("step", cur.String()).Str("reason", reason).Msg("everyone paged refused")
		if err := s.advance(ctx, saved.State, escID, cur, reason, meta); err != nil && !errors.Is(err, errMoved) {
			return err
		}
	}
	return nil
}
