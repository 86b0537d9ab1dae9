package notification

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/sms"
)

// A page is sent at most once where its fate can be known, and always at
// least once. The provider takes no idempotency key, so a pager that died
// after the provider accepted a page and before recording it would page
// again on its restart (the event comes back) if it went by the log
// alone. So each page by a person's rule is, in order:
//
//  1. its attempt recorded (events.PageAttempted, with its reference,
//     which the page's text carries);
//  2. the page sent;
//  3. the page recorded with the provider's sid (events.EscalationPaged).
//
// Whoever finds the attempt recorded and the page not (a redelivery, a
// restart, a timer firing after the grace, another replica) asks the
// provider first, once the attempt is older than Config.AttemptGrace
// (younger, another process may be sending it now: the event is handled
// again later; a process that died is seen after the consumer's ack wait,
// 30 s, by which time its attempt is that old): the messages from the line's number to the person's
// work phone since the attempt, for one carrying the reference. Found,
// the page is recorded with its sid and not sent again; not found, it is
// sent. The provider cannot say (unreachable, refusing, too long a
// history to search): it is sent, a duplicate page being far better than
// a missed one, and counted. A retry within one handling after an answer
// that may have been lost (no answer, or a 5xx) asks the same way first.
// A call cannot be looked up by its content: a call whose fate is not
// known is placed again, and counted.

// Outcomes of asking the provider about a page (the reconciled metric's
// label).
const (
	reconcileFound    = "found"     // it had left: recorded, not sent again
	reconcileNotFound = "not_found" // it had not: sent
	reconcileUnknown  = "unknown"   // the provider could not say: sent again
	reconcileCall     = "call"      // a call, which cannot be looked up: placed again
)

func newReconciled() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_pages_reconciled_total",
		Help: "Pages attempted before whose fate was not recorded (a restart, a redelivery, a lost answer), by what the provider said: found (recorded, not sent again), not_found (sent), unknown (the provider could not say: sent, perhaps twice), call (a call cannot be looked up: placed again)."},
		[]string{"outcome"})
}

// Collectors are the service's metrics, for the process's registry.
func (s *Service) Collectors() []prometheus.Collector { return []prometheus.Collector{s.reconciled} }

// pageOnce pages st by the rule p at most once where its fate can be known
// (see above) and returns the provider's sid. A page recorded meanwhile
// (by another replica) is not sent: already is then the stream sequence
// of the conversation that shows it.
func (s *Service) pageOnce(ctx context.Context, line config.Line, conv *events.Conversation, esc *events.Escalation, st config.Staff, p events.RulePage, meta events.Meta) (sid string, already uint64, err error) {
	saved, err := s.updated(ctx, conv.ID, func(c *events.Conversation) error { return c.RecordPageAttempt(p, meta) })
	if err != nil {
		return "", 0, err
	}
	e := saved.State.Escalations[esc.ID]
	if n, ok := e.Notice(p.Round, p.Level, p.StaffID); ok && n.Rule >= p.Rule {
		return "", max(saved.State.Version, 1), nil
	}
	att, _ := e.Attempt(p.Round, p.Level, p.StaffID, p.Rule)
	if len(saved.Appended) == 0 || saved.Duplicate() {
		// Attempted before and not recorded as paged: by a process that
		// died, by this one (its send failed), or by another replica
		// that may be sending it now.
		if age := s.now().Sub(att.At); s.sending(att.Ref) || !s.failedHere(att.Ref) && age < s.cfg.AttemptGrace {
			return "", 0, fmt.Errorf("page %s attempted %s ago, perhaps being sent by another process (grace %s): %w", att.Ref, age, s.cfg.AttemptGrace, errInFlight)
		}
		if sid, found := s.reconcile(ctx, line, st, esc.ID, att); found {
			return sid, 0, nil
		}
	}
	s.track(att.Ref, true, false)
	sid, err = s.sendRule(ctx, line, conv, esc, st, p, att)
	s.track(att.Ref, false, err != nil)
	return sid, 0, err
}

// errInFlight: a page another process attempted lately and may be
// sending now; the event is handled again later (never given up).
var errInFlight = errors.New("page in flight elsewhere")

// track notes this process's send of the attempt ref: sending now, or
// done (sent: forgotten; failed: kept as false, so that its next handling
// here need not wait out the grace).
func (s *Service) track(ref string, sending, failed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case sending:
		s.attempts[ref] = true
	case failed:
		s.attempts[ref] = false
	default:
		delete(s.attempts, ref)
	}
}

// sending reports whether this process is sending the attempt ref now.
func (s *Service) sending(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[ref]
}

// failedHere reports whether this process sent the attempt ref and the
// send failed: it is in flight nowhere.
func (s *Service) failedHere(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sending, tried := s.attempts[ref]
	return tried && !sending
}

// reconcile asks the provider whether the attempt's page left: found, it
// returns its sid.
func (s *Service) reconcile(ctx context.Context, line config.Line, st config.Staff, escID string, att events.Attempt) (string, bool) {
	log := s.logger.With().Str("escalation", escID).Str("staff", st.ID).Str("ref", att.Ref).Logger()
	if att.Channel == events.PageByCall {
		s.reconciled.WithLabelValues(reconcileCall).Inc()
		log.Warn().Msg("a page call's fate is not known: placing it again")
		return "", false
	}
	sid, found, err := s.send.FindMessage(ctx, line.Number, st.WorkPhone, att.At, att.Ref)
	switch {
	case err != nil:
		s.reconciled.WithLabelValues(reconcileUnknown).Inc()
		log.Warn().Err(err).Msg("the provider cannot say whether the page left: paging again (a duplicate over a miss)")
		return "", false
	case found:
		s.reconciled.WithLabelValues(reconcileFound).Inc()
		log.Warn().Str("sid", sid).Msg("the page had left before: recorded, not sent again")
		return sid, true
	}
	s.reconciled.WithLabelValues(reconcileNotFound).Inc()
	log.Warn().Msg("the page had not left: sending it")
	return "", false
}

// mayHaveLeft reports an error after which the provider may have accepted
// the request anyway: no answer (the connection or the answer was lost),
// or a server error.
func mayHaveLeft(err error) bool {
	var se *sms.SendError
	return errors.As(err, &se) && (se.Status == 0 || se.Status >= 500)
}
