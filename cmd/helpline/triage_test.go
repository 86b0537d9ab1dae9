package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// oldLexicon is an older English lexicon: it knows "want to die" only.
const oldLexicon = `
language: en
version: "2026.11.9"
entries:
  - {phrase: "want to die", signal: active_ideation}
`

func runTriage(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runTriageEnv(t, nil, stdin, args...)
}

// runTriageEnv runs `helpline triage` in the environment env.
func runTriageEnv(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = dispatch(context.Background(), append([]string{"triage"}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errOut}, config.MapLookup(env))
	return out.String(), errOut.String(), err
}

// TestTriageExplainShowsTheModel: explain classifies as the service does,
// with the learned model unless HELPLINE_TRIAGE_MODEL=off (a message the
// rules find nothing in and the model raises: the lexicon's doc, "A
// learned second opinion"); a bad value is an error naming the variable.
func TestTriageExplainShowsTheModel(t *testing.T) {
	t.Parallel()
	const raised = "the train comes past at 11:40 and doesn't stop here\n"
	out, _, err := runTriage(t, raised, "explain")
	if err != nil || !strings.Contains(out, `"risk":"crisis"`) || !strings.Contains(out, `"rule":"model"`) || !strings.Contains(out, `"model_version":"`+lexicon.ModelVersion+`"`) {
		t.Errorf("explain: %v %s", err, out)
	}
	out, _, err = runTriageEnv(t, map[string]string{config.VarTriageModel: "off"}, raised, "explain")
	if err != nil || !strings.Contains(out, `"risk":"none"`) || strings.Contains(out, "model") {
		t.Errorf("explain, model off: %v %s", err, out)
	}
	if _, _, err := runTriageEnv(t, map[string]string{config.VarTriageModel: "1"}, raised, "explain"); err == nil || !strings.Contains(err.Error(), config.VarTriageModel) {
		t.Errorf("%s=1: %v", config.VarTriageModel, err)
	}
}

func TestTriageExplainCompare(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "en.yaml"), []byte(oldLexicon), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{dir, filepath.Join(dir, "en.yaml")} {
		out, errOut, err := runTriage(t, "i want to die\ni want to kill myself\nhello\n", "explain", "--compare", old)
		if err != nil {
			t.Fatalf("--compare %s: %v\n%s", old, err, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 {
			t.Fatalf("%d lines out: %s", len(lines), out)
		}
		var got []map[string]any
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
		}
		if got[0]["risk"] != "crisis" || got[0]["moved"] != nil || got[0]["old_risk"] != nil {
			t.Errorf("unchanged verdict: %v", got[0])
		}
		if got[1]["risk"] != "crisis" || got[1]["old_risk"] != "none" || got[1]["moved"] != true || got[1]["rule"] != "active_ideation" {
			t.Errorf("moved verdict: %v", got[1])
		}
		if got[2]["risk"] != "none" || got[2]["moved"] != nil {
			t.Errorf("none: %v", got[2])
		}
		if !strings.Contains(errOut, "1 of 3 verdicts moved from en-2026.11.9 to en-") || !strings.Contains(errOut, "none     -> crisis   1") {
			t.Errorf("summary:\n%s", errOut)
		}
	}
}

func TestTriageExplainMistakes(t *testing.T) {
	t.Parallel()
	if _, _, err := runTriage(t, "", "explain", "--compare", filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "--compare") {
		t.Errorf("missing OLD: %v", err)
	}
	var ue usageError
	if _, _, err := runTriage(t, "", "frobnicate"); err == nil || !strings.Contains(err.Error(), "--compare OLD") {
		t.Errorf("bad subcommand: %v", err)
	} else if !errors.As(err, &ue) {
		t.Errorf("bad subcommand is not a usage error: %v", err)
	}
	out, _, err := runTriage(t, "i want to kill myself\n", "explain")
	if err != nil || !strings.Contains(out, `"signals":["active_ideation"]`) || !strings.Contains(out, `"rules_version"`) {
		t.Errorf("explain: %v %s", err, out)
	}
	var help bytes.Buffer
	if err := dispatch(context.Background(), []string{"help", "triage"}, stdio{out: &help, err: &help}, nil); err != nil || !strings.Contains(help.String(), "--compare OLD") {
		t.Errorf("help triage: %v\n%s", err, help.String())
	}
}
