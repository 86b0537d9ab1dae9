// Command trainmodel trains the learned backstop of issue 12's experiment
// (model.go) on the development corpora only, testdata/dev.jsonl and
// testdata/batches/*.jsonl (never the validation or frozen corpora), and
// writes its weights to the file -o names, with the SHA-256 of the corpora
// it read on stderr. Training is deterministic (a fixed seed): the same
// corpora give the same bytes. The model is not shipped (see the README,
// "Triage"); its measurements are tests in model_eval_test.go. Run it from
// the lexicon's directory:
//
//	cd services/triage/lexicon && go run ./testdata/tools/trainmodel -o /tmp/model.bin
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/helpline-org/helpline/services/triage/lexicon"
)

func main() {
	out := flag.String("o", "", "the file to write the weights to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "trainmodel:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	if out == "" {
		return errors.New("-o FILE is required")
	}
	batches, err := filepath.Glob("testdata/batches/*.jsonl")
	if err != nil {
		return err
	}
	slices.Sort(batches)
	l, err := lexicon.Default()
	if err != nil {
		return err
	}
	cl := lexicon.NewClassifier(l)
	var items []lexicon.TrainingItem
	for _, path := range append([]string{"testdata/dev.jsonl"}, batches...) {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := parse(cl, data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		items = append(items, got...)
		fmt.Fprintf(os.Stderr, "%x %s: %d items\n", sha256.Sum256(data), path, len(got))
	}
	if err := os.WriteFile(out, lexicon.TrainModel(items), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "trained on %d items: %s\n", len(items), out)
	return nil
}

// parse reads a corpus in the labelling guide's format; an item's context
// gives the signals the shipped rules raise in it, one minute apart.
func parse(cl *lexicon.Classifier, data []byte) ([]lexicon.TrainingItem, error) {
	var out []lexicon.TrainingItem
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l struct {
			Text    string   `json:"text"`
			Label   string   `json:"label"`
			Signals []string `json:"signals"`
			Context []string `json:"context"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		var recent []string
		var r lexicon.Recent
		at := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
		for _, m := range l.Context {
			v := cl.ClassifyIn(m, r, at)
			r = r.Add(v, at)
			for _, s := range v.Signals {
				if !slices.Contains(recent, s) {
					recent = append(recent, s)
				}
			}
			at = at.Add(time.Minute)
		}
		out = append(out, lexicon.TrainingItem{Text: l.Text, Crisis: l.Label == "crisis", Signals: l.Signals, Recent: recent})
	}
	return out, sc.Err()
}
