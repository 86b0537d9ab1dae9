package app

import (
	"context"

	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// TriageTimers is the bucket of triage's response-clock timers (one per
// conversation whose clock runs).
const TriageTimers = "helpline_triage_timers"

// addTriage adds triage's handlers and its response-clock timers.
// Replicas share the durable consumer (each event is triaged once by the
// group) and the timer bucket (a timer may fire on two replicas at once:
// the escalation is appended with the conversation's expected sequence
// and a deterministic id, so it is recorded once).
func (pr *Process) addTriage(ctx context.Context) error {
	p := pr.Platform
	keys, _, err := p.Keys(ctx)
	if err != nil {
		return err
	}
	lex, err := lexicon.Default()
	if err != nil {
		return err
	}
	tm, err := timers.Open(ctx, p.JS, TriageTimers, p.Env.Replicas, pr.cfg.Now, pr.log)
	if err != nil {
		return err
	}
	svc, err := triage.New(pr.cfg.File, lexicon.NewClassifier(lex), keys, p.Grouped(), tm, pr.cfg.Now, pr.log)
	if err != nil {
		return err
	}
	pr.log.Info().Str("svc", "triage").Str("lexicon", lex.Version()).Msg("lexicon loaded")
	pr.add(svc.Specs(), func(ctx context.Context) { tm.Run(ctx, pr.cfg.TimerTick, svc.OnUnanswered) })
	return nil
}
