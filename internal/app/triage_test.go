package app_test

import (
	"testing"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// TestTriageUsesTheModelUnlessSwitchedOff: the service's triage has the
// learned model beside the rules by default (issue 12), and the rules
// alone with HELPLINE_TRIAGE_MODEL=off. The message is one the rules find
// only a train in and the model raises (the lexicon's doc, "A learned
// second opinion").
func TestTriageUsesTheModelUnlessSwitchedOff(t *testing.T) {
	t.Parallel()
	const raised = "the train comes past at 11:40 and doesn't stop here"
	for _, tt := range []struct {
		vars      map[string]string
		risk      lexicon.Risk
		rule      string
		modelSeen bool
	}{
		{map[string]string{}, lexicon.RiskCrisis, lexicon.RuleModel, true},
		{map[string]string{config.VarTriageModel: "on"}, lexicon.RiskCrisis, lexicon.RuleModel, true},
		{map[string]string{config.VarTriageModel: "off"}, lexicon.RiskNone, lexicon.RuleNoMatch, false},
	} {
		env, err := config.LoadEnv(config.MapLookup(tt.vars))
		if err != nil {
			t.Fatal(err)
		}
		lex, err := app.TriageLexicon(env)
		if err != nil {
			t.Fatal(err)
		}
		v := lexicon.NewClassifier(lex).Classify(raised)
		if v.Risk != tt.risk || v.Rule != tt.rule || (v.ModelVersion == lexicon.ModelVersion) != tt.modelSeen {
			t.Errorf("%v: %q is %s by %s (model %q), want %s by %s", tt.vars, raised, v.Risk, v.Rule, v.ModelVersion, tt.risk, tt.rule)
		}
	}
}
