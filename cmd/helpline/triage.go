package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// triageUsage is `helpline triage`'s usage line.
const triageUsage = "usage: helpline triage explain [--lexicon FILE.yaml] [--compare OLD] < messages.txt\n       helpline triage feedback [--break-glass-reason TEXT --by ADMIN]"

// cmdTriage runs `helpline triage explain`: one message per line on stdin,
// one JSON verdict per line on stdout, so an admin can try a lexicon
// before deploying it. With --compare OLD (a directory of lexicon YAML
// files, or one file) each verdict also says where OLD's verdict differs
// (old_risk, old_rule, and moved when the risk differs), and a summary of
// the moves between levels goes to stderr. It classifies as the service
// does: with the learned model unless HELPLINE_TRIAGE_MODEL=off.
func cmdTriage(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	if len(args) > 0 && args[0] == "feedback" {
		return cmdTriageFeedback(ctx, args[1:], io, lookup)
	}
	if len(args) == 0 || args[0] != "explain" {
		return usageError{triageUsage}
	}
	fs := newFlags("triage explain", io)
	file := fs.String("lexicon", "", "a lexicon YAML file to try instead of the shipped lexicons")
	compare := fs.String("compare", "", "an older lexicon (a directory of YAML files, or one file) to compare verdicts with")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{triageUsage}
	}
	model, err := config.TriageModel(lookup)
	if err != nil {
		return err
	}
	lex, err := loadLexicon(*file)
	if err != nil {
		return err
	}
	if model == "on" {
		// What the service decides: the learned model beside the rules
		// unless HELPLINE_TRIAGE_MODEL=off; --compare reads the older
		// lexicon with it too, so that the moves are the lexicon's.
		if lex, err = lex.WithModel(); err != nil {
			return err
		}
	}
	cl := lexicon.NewClassifier(lex)
	var old *lexicon.Classifier
	if *compare != "" {
		ol, err := loadOldLexicon(*compare)
		if err != nil {
			return fmt.Errorf("--compare %s: %w", *compare, err)
		}
		if model == "on" {
			if ol, err = ol.WithModel(); err != nil {
				return err
			}
		}
		old = lexicon.NewClassifier(ol)
	}
	in := bufio.NewScanner(io.in)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	out := bufio.NewWriter(io.out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	moves := map[[2]lexicon.Risk]int{}
	n := 0
	for in.Scan() {
		n++
		v := cl.Classify(in.Text())
		if v.Matches == nil {
			v.Matches = []lexicon.Match{}
		}
		line := explained{Verdict: v}
		if old != nil {
			ov := old.Classify(in.Text())
			if ov.Risk != v.Risk || ov.Rule != v.Rule {
				line.OldRisk, line.OldRule, line.Moved = ov.Risk, ov.Rule, ov.Risk != v.Risk
			}
			if line.Moved {
				moves[[2]lexicon.Risk{ov.Risk, v.Risk}]++
			}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	if old != nil {
		if err := out.Flush(); err != nil {
			return err
		}
		fmt.Fprint(io.err, movesSummary(n, old.Version(), cl.Version(), moves))
	}
	return nil
}

// explained is one line of `triage explain`: the verdict, and with
// --compare where the older lexicon's verdict differs.
type explained struct {
	lexicon.Verdict
	OldRisk lexicon.Risk `json:"old_risk,omitempty"`
	OldRule string       `json:"old_rule,omitempty"`
	Moved   bool         `json:"moved,omitempty"`
}

// movesSummary says how many of n verdicts moved between which levels,
// most serious first.
func movesSummary(n int, oldVersion, newVersion string, moves map[[2]lexicon.Risk]int) string {
	levels := []lexicon.Risk{lexicon.RiskCrisis, lexicon.RiskElevated, lexicon.RiskNone}
	var b strings.Builder
	total := 0
	for _, c := range moves {
		total += c
	}
	fmt.Fprintf(&b, "%d of %d verdicts moved from %s to %s\n", total, n, oldVersion, newVersion)
	for _, from := range levels {
		for _, to := range levels {
			if c := moves[[2]lexicon.Risk{from, to}]; c > 0 {
				fmt.Fprintf(&b, "  %-8s -> %-8s %d\n", from, to, c)
			}
		}
	}
	return b.String()
}

func loadLexicon(path string) (*lexicon.Lexicon, error) {
	if path == "" {
		return lexicon.Default()
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return lexicon.Parse(data)
}

// loadOldLexicon reads a directory of lexicon YAML files (every language),
// or one file.
func loadOldLexicon(path string) (*lexicon.Lexicon, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return lexicon.FromFS(os.DirFS(path), ".")
	}
	return loadLexicon(path)
}
