package notification

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
)

// Each paged person has notification rules (the ones they set in the
// console, else config staff[].notify, by default an SMS at once), read
// from the log at every page and every rule's timer, so a change counts
// at the next page on every replica: at a step of the policy, their first rule pages
// them at once and each later rule runs its delay after that, unless
// someone acknowledged or the step moved on. A rule that fails (the
// provider refuses the page, reports the SMS undelivered, or the call
// unanswered) is a refusal: their next rule runs at once; when their last
// rule fails they refused the step. The delays are durable timers, one
// per person and step, so a restart neither loses a call nor makes one
// after an acknowledgement.

// rulePrefix starts the key of a rule timer.
const rulePrefix = "rule-"

func ruleTimerKey(escalationID string, step Step, staffID string) string {
	return rulePrefix + escalationID + "-" + events.Step(step.Round, step.Level) + "-" + staffID
}

// OnTimer runs one due timer: a person's next notification rule, the
// rota gap check, a client's wait message, a post-contact survey, a
// follow-up, an urgent notice's safety net, or an escalation's
// acknowledgement deadline.
func (s *Service) OnTimer(ctx context.Context, t timers.Timer) error {
	if t.Key == GapTimerKey {
		return s.checkGaps(ctx)
	}
	if strings.HasPrefix(t.Key, rulePrefix) {
		return s.onRuleDue(ctx, t)
	}
	if strings.HasPrefix(t.Key, waitTimerPrefix) || strings.HasPrefix(t.Key, quietTimerPrefix) {
		return s.onWaitDue(ctx, t)
	}
	if strings.HasPrefix(t.Key, surveyTimerPrefix) {
		return s.onSurveyDue(ctx, t)
	}
	if strings.HasPrefix(t.Key, followUpTimerPrefix) {
		return s.onFollowUpDue(ctx, t)
	}
	if strings.HasPrefix(t.Key, noticeTimerPrefix) {
		return s.onNoticeDue(ctx, t)
	}
	return s.OnAckTimeout(ctx, t)
}

// staff returns a staff member of the configuration by id, with their
// latest notification rules.
func (s *Service) staff(ctx context.Context, id string) (config.Staff, bool, error) {
	st, known, err := s.people.Get(ctx, id)
	if err != nil {
		return config.Staff{}, false, fmt.Errorf("staff %s: %w", id, err)
	}
	return st, known, nil
}

// notify pages st at a step of an escalation by their rule number rule,
// records it, and sets the timer of their next rule. A rule the provider
// refuses outright is recorded as failed, and the next one runs at once.
// It returns the stream sequence of the conversation as it stands after
// the page that went out (0: every rule from rule on was refused).
func (s *Service) notify(ctx context.Context, conv *events.Conversation, esc *events.Escalation, step Step, levelName string, st config.Staff, rule int, meta events.Meta) (uint64, error) {
	line, err := s.line(conv.LineID)
	if err != nil {
		return 0, err
	}
	rules := st.NotifyRules()
	for ; rule < len(rules); rule++ {
		p := events.RulePage{EscalationID: esc.ID, Round: step.Round, Level: step.Level, LevelName: levelName, StaffID: st.ID,
			Rule: rule, Last: rule == len(rules)-1, Channel: rules[rule].Channel}
		sid, already, err := s.pageOnce(ctx, line, conv, esc, st, p, meta)
		if already > 0 {
			return already, nil // recorded meanwhile by another replica, which sets the next rule's timer
		}
		if se, ok := permanent(err); ok {
			// A wrong or unreachable work phone: record it for the console
			// and go on to their next rule.
			s.logger.Error().Str("escalation", esc.ID).Str("staff", st.ID).Str("channel", p.Channel).Int("code", se.Code).Msg("page refused by the provider")
			if err := s.update(ctx, conv.ID, func(c *events.Conversation) error { return c.RecordRulePageFailed(p, se.Error(), se.Code, meta) }); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("page %s by %s: %w", st.ID, p.Channel, err)
		}
		p.ProviderID = sid
		saved, err := s.convs.Update(ctx, conv.ID, func(c *events.Conversation) error { return c.RecordRulePage(p, meta) })
		if err != nil {
			return 0, err
		}
		s.logger.Info().Str("escalation", esc.ID).Str("conversation", conv.ID).Str("staff", st.ID).Str("step", step.String()).
			Str("channel", p.Channel).Int("rule", rule).Str("correlation_id", meta.CorrelationID).Msg("paged")
		n, _ := saved.State.Escalations[esc.ID].Notice(step.Round, step.Level, st.ID)
		return max(saved.Seq(), saved.State.Version), s.scheduleNext(ctx, conv.ID, esc.ID, step, st, n, false)
	}
	return 0, nil
}

// scheduleNext sets the timer of the person's rule after their notice n
// (at n's first page plus the rule's delay), or removes it when n was
// their last. ifAbsent keeps a timer already set (a redelivery).
func (s *Service) scheduleNext(ctx context.Context, convID, escID string, step Step, st config.Staff, n events.Notice, ifAbsent bool) error {
	key, rules := ruleTimerKey(escID, step, st.ID), st.NotifyRules()
	if n.Last || n.Rule+1 >= len(rules) {
		return s.timers.Cancel(ctx, key)
	}
	t := timers.Timer{Key: key, Due: n.FirstAt.Add(rules[n.Rule+1].After.Duration), Data: map[string]string{
		"conversation": convID, "escalation": escID, "round": strconv.Itoa(step.Round), "level": strconv.Itoa(step.Level),
		"staff": st.ID, "rule": strconv.Itoa(n.Rule + 1)}}
	if ifAbsent {
		_, err := s.timers.SetIfAbsent(ctx, t)
		return err
	}
	return s.timers.Set(ctx, t)
}

// sendRule sends one page by the rule's channel and returns the provider's
// sid: an SMS naming the line and reason with the escalation's link, or a
// call that reads them and gathers "press 1 to acknowledge". Either names
// the client (by pseudonym) only to a role the console would show it to
// (events.PageClient).
// The SMS carries the attempt's reference; a retry after an answer that
// may have been lost first asks the provider whether it left (pageonce.go).
func (s *Service) sendRule(ctx context.Context, line config.Line, conv *events.Conversation, esc *events.Escalation, st config.Staff, p events.RulePage, att events.Attempt) (string, error) {
	step, client := Step{Round: p.Round, Level: p.Level}, events.PageClient(st.Role, conv.Pseudonym)
	if p.Channel == events.PageBySMS {
		text := PageText(Page{Line: line, Language: st.Language, Pseudonym: client, EscalationID: esc.ID, Reason: esc.Reason,
			Categories: esc.Categories, Step: step, Ref: att.Ref}, s.cfg.PublicURL)
		m := sms.Message{From: line.Number, To: st.WorkPhone, Body: text, StatusCallback: s.statusCallback(conv.ID)}
		var last error
		return s.provider(ctx, m.From, func(ctx context.Context) (string, error) {
			if mayHaveLeft(last) && att.Ref != "" {
				if sid, found := s.reconcile(ctx, line, st, esc.ID, att); found {
					return sid, nil
				}
			}
			sid, err := s.send.Send(ctx, m)
			last = err
			return sid, err
		})
	}
	twiml, err := sms.Voice{Language: st.Language}.PageTwiML(sms.PageCall{PublicURL: s.cfg.PublicURL,
		PageID: PageID(conv, esc.ID, st.ID), LineName: line.Name, Reason: esc.Reason, Pseudonym: client})
	if err != nil {
		// Nothing a retry changes: a refusal, so the next rule runs.
		return "", &sms.SendError{Permanent: true, Err: fmt.Errorf("page call: %w", err)}
	}
	return s.provider(ctx, line.Number, func(ctx context.Context) (string, error) {
		return s.send.Call(ctx, sms.Call{From: line.Number, To: st.WorkPhone, TwiML: twiml, StatusCallback: s.callStatusCallback(conv.ID)})
	})
}

// onRuleDue runs a person's next rule when its delay has passed, unless
// the escalation was acknowledged or moved on, they declined, or the rule
// ran already (early, after a failure; or on another replica).
func (s *Service) onRuleDue(ctx context.Context, t timers.Timer) error {
	convID, escID, staffID := t.Data["conversation"], t.Data["escalation"], t.Data["staff"]
	round, _ := strconv.Atoi(t.Data["round"])
	level, _ := strconv.Atoi(t.Data["level"])
	rule, _ := strconv.Atoi(t.Data["rule"])
	conv, err := s.conversation(ctx, convID)
	if err != nil {
		return err
	}
	esc := conv.Escalations[escID]
	if esc == nil || !esc.Open() || esc.Round != round || esc.Level != level {
		return nil
	}
	n, paged := esc.Notice(round, level, staffID)
	st, known, err := s.staff(ctx, staffID)
	if err != nil {
		return err
	}
	if !paged || !known || n.Rule >= rule || slices.Contains(esc.Refused[events.Step(round, level)], staffID) {
		return nil
	}
	return s.runRule(ctx, conv, esc, Step{Round: round, Level: level}, st, rule, events.Meta{CorrelationID: escID, OccurredAt: s.now()})
}

// runRule runs rule for a person already paged at the escalation's step.
func (s *Service) runRule(ctx context.Context, conv *events.Conversation, esc *events.Escalation, step Step, st config.Staff, rule int, meta events.Meta) error {
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	policy := s.policies.For(line)
	if step.Level >= len(policy.Levels) {
		return nil
	}
	_, err = s.notify(ctx, conv, esc, step, policy.Levels[step.Level], st, rule, meta)
	return err
}

// retriable lists who, paged at the escalation's step, saw their latest
// page fail and has rules left: their next rule runs at once.
func (s *Service) retriable(ctx context.Context, esc *events.Escalation) ([]config.Staff, error) {
	key := events.Step(esc.Round, esc.Level)
	var out []config.Staff
	for _, staffID := range esc.Paged[key] {
		n, _ := esc.Notice(esc.Round, esc.Level, staffID)
		if !n.Failed || n.Last {
			continue
		}
		st, known, err := s.staff(ctx, staffID)
		if err != nil {
			return nil, err
		}
		if known && !slices.Contains(esc.Refused[key], staffID) {
			out = append(out, st)
		}
	}
	return out, nil
}

// nextRules runs at once the next rule of each of retry (see retriable).
func (s *Service) nextRules(ctx context.Context, conv *events.Conversation, esc *events.Escalation, retry []config.Staff, meta events.Meta) error {
	step := Step{Round: esc.Round, Level: esc.Level}
	for _, st := range retry {
		n, _ := esc.Notice(step.Round, step.Level, st.ID)
		s.logger.Warn().Str("escalation", esc.ID).Str("staff", st.ID).Int("rule", n.Rule).Msg("page failed: their next rule at once")
		if err := s.runRule(ctx, conv, esc, step, st, n.Rule+1, meta); err != nil {
			return err
		}
	}
	return nil
}

// ensureRules sets, where missing, the next-rule timer of everyone paged
// at the step: the process may have stopped between a page and its timer.
func (s *Service) ensureRules(ctx context.Context, conv *events.Conversation, esc *events.Escalation, step Step) error {
	for _, staffID := range esc.Paged[events.Step(step.Round, step.Level)] {
		n, _ := esc.Notice(step.Round, step.Level, staffID)
		if n.Failed || n.Last {
			continue
		}
		st, known, err := s.staff(ctx, staffID)
		if err != nil {
			return err
		}
		if !known {
			continue
		}
		if err := s.scheduleNext(ctx, conv.ID, esc.ID, step, st, n, true); err != nil {
			return err
		}
	}
	return nil
}

// PageID names a person's page call for an escalation in its gather URL:
// the conversation, the escalation's place in it and the staff id (no
// number, no content), at most 64+1+3+1+32 characters.
func PageID(conv *events.Conversation, escalationID, staffID string) string {
	return conv.ID + "." + strconv.Itoa(slices.Index(conv.EscalationOrder, escalationID)) + "." + staffID
}

// ParsePageID splits a page id made by PageID.
func ParsePageID(id string) (convID string, escIndex int, staffID string, ok bool) {
	parts := strings.Split(id, ".")
	if len(parts) != 3 {
		return "", 0, "", false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 || events.ValidateID(parts[0]) != nil || events.ValidateID(parts[2]) != nil {
		return "", 0, "", false
	}
	return parts[0], n, parts[2], true
}

func (s *Service) callStatusCallback(conversationID string) string {
	return s.cfg.PublicURL + CallStatusPath + "?c=" + conversationID
}
