// Package triage reads every received message and decides, explainably
// and deterministically for a lexicon version, whether someone must be
// paged: crisis language at any time, elevated risk while the line is
// closed, and conversations left unanswered past the line's target. Its
// decisions are events; its timers live in the log's key-value store.
package triage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/schedule"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// Opener decrypts a message body.
type Opener interface {
	Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error)
}

// Log is the event log.
type Log interface {
	Append(ctx context.Context, expect events.Expect, envs ...events.Envelope) ([]events.Appended, error)
	events.TailReader
}

// Timers hold the first-response deadlines.
type Timers interface {
	SetIfAbsent(ctx context.Context, t timers.Timer) (bool, error)
	Cancel(ctx context.Context, key string) error
}

type line struct {
	cfg   config.Line
	hours *schedule.Schedule
}

// Service is the triage service.
type Service struct {
	lines    map[string]line
	classify *lexicon.Classifier
	keys     Opener
	log      Log
	convs    *events.ConversationCache
	timers   Timers
	now      func() time.Time
	logger   zerolog.Logger
}

// New builds the service; a line whose hours do not parse is an error.
func New(file *config.File, cl *lexicon.Classifier, keys Opener, log Log, tm Timers, now func() time.Time, logger zerolog.Logger) (*Service, error) {
	convs, err := events.NewConversationCache(log, events.DefaultConversationCacheSize)
	if err != nil {
		return nil, err
	}
	s := &Service{lines: map[string]line{}, classify: cl, keys: keys, log: log, convs: convs, timers: tm, now: now,
		logger: logger.With().Str("svc", "triage").Logger()}
	for _, l := range file.Lines {
		h, err := Hours(l)
		if err != nil {
			return nil, err
		}
		s.lines[l.ID] = line{cfg: l, hours: h}
	}
	return s, nil
}

// Hours compiles a line's opening hours.
func Hours(l config.Line) (*schedule.Schedule, error) {
	h, err := schedule.New(schedule.Config{Timezone: l.Timezone, Hours: l.Hours, AlwaysOpen: l.AlwaysOpen, Holidays: l.Holidays})
	if err != nil {
		return nil, fmt.Errorf("line %s hours: %w", l.ID, err)
	}
	return h, nil
}

// Specs are the service's handlers: one durable consumer.
func (s *Service) Specs() []consume.Spec {
	return []consume.Spec{{Name: "triage", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: s.Handle}}
}

func unansweredKey(convID string) string { return "unanswered-" + convID }

// Handle dispatches one conversation event.
func (s *Service) Handle(ctx context.Context, e events.Envelope) error {
	switch e.Type {
	case "conversation.message_received":
		p, err := e.Decode()
		if err != nil {
			return consume.Permanent(err)
		}
		return s.triage(ctx, e, p.(events.MessageReceived))
	case "conversation.reply_requested", "conversation.closed":
		// Answered (or closed): the first-response deadline no longer
		// applies. OnUnanswered checks the state too.
		return s.timers.Cancel(ctx, unansweredKey(e.AggregateID))
	}
	return nil
}

// maxAttempts bounds retries when the conversation changes between
// reading and appending.
const maxAttempts = 8

// triage classifies one message and records the verdict and what follows
// from it, once: the records' ids derive from the message's, and a
// message already triaged is skipped.
func (s *Service) triage(ctx context.Context, e events.Envelope, m events.MessageReceived) error {
	l, ok := s.lines[m.LineID]
	if !ok {
		return consume.Permanent(fmt.Errorf("line %q is not configured", m.LineID))
	}
	body, err := s.keys.Open(ctx, m.ClientID, m.Body.Data, events.BodyAAD(e.ID))
	if errors.Is(err, keyring.ErrErased) || errors.Is(err, keyring.ErrNoKey) {
		return nil // the client was erased: there is nothing left to read
	}
	if err != nil {
		return fmt.Errorf("open body: %w", err)
	}
	v := s.classify.Classify(string(body))
	open := l.hours.IsOpen(m.ReceivedAt)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		conv, err := s.convs.Load(ctx, e.AggregateID)
		if err != nil {
			return err
		}
		if conv.Triaged[m.MessageID] {
			return nil // a redelivery: the verdict, recorded last, and all before it are in the log
		}
		recs, err := s.decide(l, conv, m, v, open, e.Caused(s.now()))
		if err != nil {
			return err
		}
		acks, err := s.log.Append(ctx, events.ExpectSeq(conv.Version), recs...)
		if errors.Is(err, events.ErrConcurrency) {
			continue
		}
		if err != nil {
			return err
		}
		s.convs.Appended(conv.Version, recs, acks)
		s.logger.Info().Str("conversation", conv.ID).Str("message", m.MessageID).Str("risk", string(v.Risk)).
			Str("rule", v.Rule).Bool("out_of_hours", !open).Int("records", len(recs)).Str("correlation_id", e.CorrelationID).Msg("triaged")
		return s.startClock(ctx, l, conv, m.ReceivedAt, open)
	}
	return fmt.Errorf("conversation %s kept changing: %w", e.AggregateID, events.ErrConcurrency)
}

// decide turns a verdict into events. The rules:
//   - every message gets its verdict recorded (risk, score, terms, rule,
//     lexicon version, whether it came out of hours);
//   - crisis, at any hour, raises an escalation (reason crisis), unless the
//     conversation already has an open crisis escalation: the duty worker
//     is already being paged for it;
//   - out of hours, elevated risk raises an escalation (reason
//     out_of_hours): nobody is reading, and "when unsure, elevated" means
//     a person should look;
//   - out of hours, anything short of crisis records an out-of-hours
//     contact, so the client is told when the line opens and what to do in
//     an emergency (once per closed period: the notification service).
func (s *Service) decide(l line, conv *events.Conversation, m events.MessageReceived, v lexicon.Verdict, open bool, meta events.Meta) ([]events.Envelope, error) {
	var out []events.Envelope
	add := func(id string, p events.Payload) error {
		e, err := events.NewWithID(id, conv.ID, p, meta)
		if err == nil {
			out = append(out, e)
		}
		return err
	}
	matches := make([]events.TriageMatch, 0, len(v.Matches))
	for _, mt := range v.Matches {
		matches = append(matches, events.TriageMatch{Term: mt.Term, Category: mt.Category, Language: mt.Language, Weight: mt.Weight})
	}
	// The verdict is the batch's last record. The log stores a batch's
	// prefix if triage dies mid-append, and a message whose verdict is in
	// the log is skipped when redelivered (conv.Triaged): with the verdict
	// first, a crash right after it would lose the escalation, a missed
	// page. Last, a redelivery finds no verdict and completes the batch
	// (an escalation already raised is open, so it is not raised again).
	verdict, err := events.NewWithID("tri-"+m.MessageID, conv.ID, events.MessageTriaged{MessageID: m.MessageID, Risk: string(v.Risk),
		Score: v.Score, Matches: matches, LexiconVersion: v.LexiconVersion, Rule: v.Rule, OutOfHours: !open}, meta)
	if err != nil {
		return nil, err
	}
	categories, terms := summarise(v.Matches)
	raise := func(reason string) error {
		for _, esc := range conv.OpenEscalations() {
			if esc.Reason == reason || esc.Reason == events.ReasonCrisis {
				return nil // someone is already being paged for this conversation
			}
		}
		return add("esc-"+m.MessageID, events.EscalationRaised{EscalationID: "esc-" + m.MessageID, LineID: l.cfg.ID, MessageID: m.MessageID,
			Reason: reason, Risk: string(v.Risk), Categories: categories, Terms: terms})
	}
	switch {
	case v.Risk == lexicon.RiskCrisis:
		if err := raise(events.ReasonCrisis); err != nil {
			return nil, err
		}
	case !open && v.Risk == lexicon.RiskElevated:
		if err := raise(events.ReasonOutOfHours); err != nil {
			return nil, err
		}
	}
	if !open && v.Risk != lexicon.RiskCrisis {
		start, _, _ := l.hours.ClosedPeriod(m.ReceivedAt)
		next, _ := l.hours.NextOpen(m.ReceivedAt)
		if err := add("ooh-"+m.MessageID, events.OutOfHoursContactRecorded{MessageID: m.MessageID, LineID: l.cfg.ID,
			ClosedPeriod: start.UTC().Format(time.RFC3339), NextOpen: next.UTC(), Language: language(v.Matches)}); err != nil {
			return nil, err
		}
	}
	return append(out, verdict), nil
}

// startClock sets the first-response deadline of a conversation nobody has
// answered yet: the line's target from the first message, or from the
// next opening when it came out of hours. Set once: later messages do not
// push it back.
func (s *Service) startClock(ctx context.Context, l line, conv *events.Conversation, at time.Time, open bool) error {
	if !conv.FirstReplyAt.IsZero() || conv.Closed {
		return nil
	}
	from := at
	if !open {
		next, ok := l.hours.NextOpen(at)
		if !ok {
			return nil
		}
		from = next
	}
	_, err := s.timers.SetIfAbsent(ctx, timers.Timer{Key: unansweredKey(conv.ID), Due: from.Add(l.cfg.FirstResponseTarget.Duration),
		Data: map[string]string{"conversation": conv.ID}})
	return err
}

// OnUnanswered raises an escalation (reason unanswered) for a conversation
// still without a worker's reply at its deadline.
func (s *Service) OnUnanswered(ctx context.Context, t timers.Timer) error {
	convID := t.Data["conversation"]
	escID := "esc-unanswered-" + convID
	for attempt := 0; attempt < maxAttempts; attempt++ {
		conv, err := s.convs.Load(ctx, convID)
		if err != nil {
			return err
		}
		if _, raised := conv.Escalations[escID]; raised {
			return nil // a timer fired twice: raised once already
		}
		if !conv.FirstReplyAt.IsZero() || conv.Closed || len(conv.OpenEscalations()) > 0 {
			return nil // answered, closed, or someone is already being paged
		}
		e, err := events.NewWithID(escID, convID, events.EscalationRaised{EscalationID: escID,
			LineID: conv.LineID, Reason: events.ReasonUnanswered, Risk: events.RiskNone, Categories: []string{}, Terms: []string{}},
			events.Meta{CorrelationID: convID, OccurredAt: s.now()})
		if err != nil {
			return err
		}
		acks, err := s.log.Append(ctx, events.ExpectSeq(conv.Version), e)
		if errors.Is(err, events.ErrConcurrency) {
			continue
		}
		if err == nil {
			s.convs.Appended(conv.Version, []events.Envelope{e}, acks)
			s.logger.Warn().Str("conversation", convID).Msg("no first reply within the line's target: escalated")
		}
		return err
	}
	return fmt.Errorf("conversation %s kept changing: %w", convID, events.ErrConcurrency)
}

// summarise lists the categories and canonical terms of the matches that
// scored, sorted and each once: what the duty worker is told. Cues that
// only explain the verdict (idiom, negation, history: weight 0) are left
// out.
func summarise(ms []lexicon.Match) (categories, terms []string) {
	cs, ts := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		if m.Weight > 0 {
			cs[m.Category], ts[m.Term] = true, true
		}
	}
	categories, terms = keys(cs), keys(ts)
	return categories, terms
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// language is the language most matches were in, if any: a hint for the
// auto-reply's language.
func language(ms []lexicon.Match) string {
	count := map[string]int{}
	best := ""
	for _, m := range ms {
		if m.Weight <= 0 {
			continue
		}
		count[m.Language]++
		if count[m.Language] > count[best] || count[m.Language] == count[best] && m.Language < best {
			best = m.Language
		}
	}
	return best
}
