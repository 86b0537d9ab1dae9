// Package triage reads every received message and decides, explainably
// and deterministically for a lexicon version, whether someone must be
// paged: crisis language at any time, elevated risk while the line is
// closed, and conversations left unanswered past the line's target. Its
// decisions are events; its timers live in the log's key-value store.
package triage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
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

// Keys opens a message body and seals the verdict's terms with the
// client's key.
type Keys interface {
	Open(ctx context.Context, clientID string, ciphertext, aad []byte) ([]byte, error)
	Seal(ctx context.Context, clientID string, plaintext, aad []byte) ([]byte, error)
}

var _ Keys = (*keyring.Keyring)(nil)

// Log is the event log.
type Log = events.AppendLog

// Timers hold the response clocks' deadlines.
type Timers interface {
	Get(ctx context.Context, key string) (timers.Timer, bool, error)
	Set(ctx context.Context, t timers.Timer) error
	Cancel(ctx context.Context, key string) error
}

var _ Timers = (*timers.Store)(nil)

type line struct {
	cfg   config.Line
	hours *schedule.Schedule
	// notice is how long a worker answering a crisis has to answer the
	// client's next crisis message before the conversation escalates
	// again: the line's policy's ack_timeout, the time a paged person
	// has before the next is paged (events/notice.go).
	notice time.Duration
}

// Service is the triage service.
type Service struct {
	lines    map[string]line
	classify *lexicon.Classifier
	keys     Keys
	convs    *events.Conversations
	timers   Timers
	now      func() time.Time
	logger   zerolog.Logger
}

// New builds the service on convs, the process's conversation repository
// (its cache kept current by consume.FollowConversations); a line whose
// hours do not parse is an error.
func New(file *config.File, cl *lexicon.Classifier, keys Keys, convs *events.Conversations, tm Timers, now func() time.Time, logger zerolog.Logger) (*Service, error) {
	s := &Service{lines: map[string]line{}, classify: cl, keys: keys, convs: convs, timers: tm, now: now,
		logger: logger.With().Str("svc", "triage").Logger()}
	for _, l := range file.Lines {
		h, err := Hours(l)
		if err != nil {
			return nil, err
		}
		s.lines[l.ID] = line{cfg: l, hours: h, notice: noticeWindow(file, l)}
	}
	return s, nil
}

// noticeWindow is the acknowledgement timeout of line l's escalation
// policy, the built-in policy's when the file names none.
func noticeWindow(f *config.File, l config.Line) time.Duration {
	for _, p := range f.Policies {
		if p.ID == l.Policy {
			return p.AckTimeout.Duration
		}
	}
	return config.DefaultAckTimeout
}

// Hours compiles a line's opening hours.
func Hours(l config.Line) (*schedule.Schedule, error) {
	h, err := schedule.New(schedule.Config{Timezone: l.Timezone, Hours: l.Hours, AlwaysOpen: l.AlwaysOpen, Holidays: l.Holidays})
	if err != nil {
		return nil, fmt.Errorf("line %s hours: %w", l.ID, err)
	}
	return h, nil
}

// Specs are the service's handlers: one durable consumer, conversations
// in parallel and each conversation's events in order (consume.PerAggregate):
// a crisis text is not triaged behind another conversation's. Behind a
// backlog (a restart after a crash, a surge), the conversations holding a
// message that will page someone (Urgent) among the next
// consume.Config.LookAhead events go first, their earlier messages in
// order before it.
func (s *Service) Specs() []consume.Spec {
	return []consume.Spec{consume.Shared{Name: "triage", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: s.Handle,
		Order: consume.PerAggregate{Urgent: s.Urgent}}}
}

// Urgent reports whether e is a received message that, by its own words
// and the line's hours, will raise an escalation: a crisis, or elevated
// risk while the line is closed (Conversation.Triage). It only orders the
// work: the message is triaged as any other, with its conversation's
// recent verdicts, which may make a message urgent that this did not
// find so (it then waits its turn).
func (s *Service) Urgent(ctx context.Context, e events.Envelope) bool {
	if e.Type != events.TypeMessageReceived {
		return false
	}
	p, err := e.Decode()
	if err != nil {
		return false
	}
	m := p.(events.MessageReceived)
	l, ok := s.lines[m.LineID]
	if !ok {
		return false
	}
	body, err := s.keys.Open(ctx, m.ClientID, m.Body.Data, events.BodyAAD(e.ID))
	if err != nil {
		return false
	}
	switch s.classify.Classify(string(body)).Risk {
	case lexicon.RiskCrisis:
		return true
	case lexicon.RiskElevated:
		return !l.hours.IsOpen(m.ReceivedAt)
	}
	return false
}

// clockKey names a conversation's one timer: the deadline of its running
// response clock (events/clocks.go).
func clockKey(convID string) string { return "clock-" + convID }

// Handle dispatches one conversation event.
func (s *Service) Handle(ctx context.Context, e events.Envelope) error {
	switch e.Type {
	case events.TypeMessageReceived:
		p, err := e.Decode()
		if err != nil {
			return consume.Permanent(err)
		}
		return s.triage(ctx, e, p.(events.MessageReceived))
	case events.TypeReplyRequested, events.TypeConversationClosed:
		// Answered (or closed): the clock stopped. OnUnanswered checks the
		// state too (also for a first-response timer of before clocks were
		// events, "unanswered-<conversation>", left to fire and find it
		// answered).
		conv, err := consume.Conversation(ctx, s.convs, e)
		if err != nil {
			return err
		}
		return s.syncTimer(ctx, conv)
	}
	return nil
}

// triage classifies one message and records the verdict and what follows
// from it (Conversation.Triage), once: the records' ids derive from the
// message's, and a message already triaged is skipped.
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
	arrival := events.Arrival{OutOfHours: !l.hours.IsOpen(m.ReceivedAt), ReceivedAt: m.ReceivedAt,
		Targets: events.ResponseTargets{First: l.cfg.FirstResponseTarget.Duration, Next: l.cfg.NextResponseTarget.Duration, Notice: l.notice}}
	if arrival.OutOfHours {
		arrival.ClosedSince, _, _ = l.hours.ClosedPeriod(m.ReceivedAt)
		arrival.NextOpen, _ = l.hours.NextOpen(m.ReceivedAt)
	}
	// The message is read with its conversation's recent verdicts: "I've
	// got them here" after "I want to die" is a crisis, and so is a second
	// elevated message soon after the first. It is read on the state its
	// verdict is appended to, whose expected sequence proves it the log's:
	// on the process's followed copy without reading the log, and again on
	// what the log holds if that copy lagged.
	var v lexicon.Verdict
	saved, err := s.convs.UpdateAfter(ctx, e.AggregateID, e.Sequence, func(c *events.Conversation) error {
		if c.Triaged(m.MessageID) {
			return nil // a redelivery: recorded already
		}
		v = s.classify.ClassifyIn(string(body), recent(c), m.ReceivedAt)
		ev, err := s.verdict(ctx, m, string(body), v)
		if err != nil {
			return err
		}
		return c.Triage(m.MessageID, ev, arrival, e.Caused(s.now()))
	})
	if errors.Is(err, keyring.ErrErased) || errors.Is(err, keyring.ErrNoKey) {
		return nil // erased while being read: nothing of the client's is recorded
	}
	if err != nil {
		return err
	}
	if len(saved.Appended) > 0 { // else a redelivery: the verdict, recorded last, and all before it are in the log
		s.logger.Info().Str("conversation", e.AggregateID).Str("message", m.MessageID).Str("risk", string(v.Risk)).
			Str("rule", v.Rule).Bool("out_of_hours", arrival.OutOfHours).Int("records", len(saved.Appended)).Str("correlation_id", e.CorrelationID).Msg("triaged")
	}
	// A redelivery sets the timer too: the handler may have died between
	// the append and the timer.
	return s.syncTimer(ctx, saved.State)
}

// recent is a conversation's recent verdicts as the classifier reads them.
func recent(c *events.Conversation) lexicon.Recent {
	var r lexicon.Recent
	for _, v := range c.Recent {
		r = r.Add(lexicon.Verdict{Risk: lexicon.Risk(v.Risk), Signals: v.Signals, Rule: v.Rule}, v.At)
	}
	open := false
	for _, esc := range c.OpenEscalations() {
		open = open || esc.Reason == events.ReasonCrisis || esc.Reason == events.ReasonManual
	}
	return r.WithEscalationOpen(open)
}

// verdict is the classifier's verdict on text as the conversation records
// it: the matches without their words, the categories the duty worker is
// paged with, and the client's words that scored sealed with the client's key (one JSON
// list bound to the message, TermsAAD), since they are derived from the
// client's words and must go when the client is erased.
func (s *Service) verdict(ctx context.Context, m events.MessageReceived, text string, v lexicon.Verdict) (events.Verdict, error) {
	matches := make([]events.TriageMatch, 0, len(v.Matches))
	for _, mt := range v.Matches {
		matches = append(matches, events.TriageMatch{Category: mt.Category, Language: mt.Language, Weight: mt.Weight})
	}
	categories, terms := summarise(text, v.Matches)
	out := events.Verdict{Risk: string(v.Risk), Score: v.Score, Matches: matches, LexiconVersion: v.LexiconVersion, Rule: v.Rule,
		Categories: categories, Terms: events.NoWords(), Language: language(v.Matches)}
	if len(terms) == 0 {
		return out, nil
	}
	plain, err := json.Marshal(terms)
	if err != nil {
		return out, err
	}
	sealed, err := s.keys.Seal(ctx, m.ClientID, plain, events.TermsAAD(m.MessageID))
	if err != nil {
		return out, fmt.Errorf("seal terms: %w", err)
	}
	out.Terms = events.Sealed{KeyID: m.ClientID, Data: sealed}
	return out, nil
}

// syncTimer makes the conversation's timer say what its state says: the
// running clock's due time, or no timer once the clock stopped. A timer
// already right is left alone (one read, no write).
func (s *Service) syncTimer(ctx context.Context, conv *events.Conversation) error {
	key := clockKey(conv.ID)
	t, set, err := s.timers.Get(ctx, key)
	if err != nil {
		return err
	}
	switch k := conv.Clock; {
	case !k.Running() && set:
		return s.timers.Cancel(ctx, key)
	case k.Running() && (!set || t.Data["clock"] != k.ID || !t.Due.Equal(k.Due)):
		return s.timers.Set(ctx, timers.Timer{Key: key, Due: k.Due, Data: map[string]string{"conversation": conv.ID, "clock": k.ID}})
	}
	return nil
}

// OnUnanswered raises an escalation (reason unanswered) for a conversation
// whose response clock is past due with no worker's reply
// (Conversation.EscalateUnanswered). A timer of a clock that stopped or
// was replaced raises nothing; if another clock runs, its timer is set.
func (s *Service) OnUnanswered(ctx context.Context, t timers.Timer) error {
	convID, clockID := t.Data["conversation"], t.Data["clock"]
	saved, err := s.convs.Update(ctx, convID, func(c *events.Conversation) error {
		return c.EscalateUnanswered(clockID, events.Meta{CorrelationID: convID, OccurredAt: s.now()})
	})
	if err != nil {
		return err
	}
	if len(saved.Appended) > 0 {
		s.logger.Warn().Str("conversation", convID).Str("clock", clockID).Str("kind", saved.State.Clock.Kind).Msg("no reply within the line's target: escalated")
	}
	k := saved.State.Clock
	if clockID != "" && k.Running() && k.ID != clockID {
		return s.syncTimer(ctx, saved.State)
	}
	if _, raised := saved.State.Escalations[events.UnansweredEscalationID(clockID)]; clockID != "" && k.ID == clockID &&
		!raised && !saved.State.Closed && len(saved.Appended) == 0 && !s.now().Before(k.Due) {
		// Past due, but someone is being paged for the conversation
		// already, so nothing was raised: look again later, or the
		// client's wait is forgotten once that escalation is acknowledged
		// and still nobody replies.
		return s.timers.Set(ctx, timers.Timer{Key: t.Key, Due: s.now().Add(UnansweredRecheck), Data: t.Data})
	}
	return nil
}

// UnansweredRecheck is how long after a response clock's due time, while
// another escalation of the conversation is open, its timer looks again.
const UnansweredRecheck = 2 * time.Minute

// summarise lists the categories (sorted) and the client's words in text
// (in the order written) of the matches that scored, each once: what the
// duty worker is told. Cues that
// only explain the verdict (idiom, negation, history: weight 0) are left
// out.
func summarise(text string, ms []lexicon.Match) (categories, terms []string) {
	cs := map[string]bool{}
	spans := make([]lexicon.Match, 0, len(ms))
	for _, m := range ms {
		if m.Weight <= 0 {
			continue
		}
		cs[m.Category] = true
		if 0 <= m.Start && m.Start < m.End && m.End <= len(text) {
			spans = append(spans, m)
		}
	}
	// The duty worker reads the client's own words that raised a signal,
	// in the order they wrote them: the lexicon's canonical phrase can say
	// something else ("tied a noose" for "the pills lined up").
	slices.SortStableFunc(spans, func(a, b lexicon.Match) int { return cmp.Or(a.Start-b.Start, a.End-b.End) })
	terms = []string{}
	for _, sp := range mergeSpans(spans) {
		if w := strings.TrimSpace(text[sp[0]:sp[1]]); w != "" && !slices.Contains(terms, w) {
			terms = append(terms, w)
		}
	}
	return keys(cs), terms
}

// mergeSpans merges matched spans (sorted by start) that overlap into the
// one span covering them, so the duty worker reads the client's words
// once: "banging on", "banging on the door" and "the door" are "banging
// on the door". Spans that only touch or are apart stay distinct.
func mergeSpans(spans []lexicon.Match) [][2]int {
	var out [][2]int
	for _, m := range spans {
		if n := len(out); n > 0 && m.Start < out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], m.End)
			continue
		}
		out = append(out, [2]int{m.Start, m.End})
	}
	return out
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
