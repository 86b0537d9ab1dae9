package app

import (
	"context"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// TriageTimers is the bucket of triage's response-clock timers (one per
// conversation whose clock runs).
const TriageTimers = "helpline_triage_timers"

// TriageLexicon is the lexicon triage classifies with: the shipped
// lexicons with the learned model beside the rules (issue 12), unless the
// operator switched it off (HELPLINE_TRIAGE_MODEL=off: the rules alone).
func TriageLexicon(env config.Env) (*lexicon.Lexicon, error) {
	lex, err := lexicon.Default()
	if err != nil || !env.TriageModelOn() {
		return lex, err
	}
	return lex.WithModel()
}

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
	lex, err := TriageLexicon(p.Env)
	if err != nil {
		return err
	}
	model := "off"
	if p.Env.TriageModelOn() {
		model = lexicon.ModelVersion
	}
	tm, err := timers.Open(ctx, p.JS, TriageTimers, p.Env.Replicas, pr.cfg.Now, pr.log)
	if err != nil {
		return err
	}
	svc, err := triage.New(pr.cfg.File, lexicon.NewClassifier(lex), keys, p.Grouped(), tm, pr.cfg.Now, pr.log)
	if err != nil {
		return err
	}
	pr.log.Info().Str("svc", "triage").Str("lexicon", lex.Version()).Str("model", model).Msg("lexicon loaded")
	pr.add(svc.Specs(), func(ctx context.Context) { tm.Run(ctx, pr.cfg.TimerTick, svc.OnUnanswered) })
	return nil
}
