// Command trainmodel trains the lexicon's learned model (model.go) and
// writes its weights to data/model.bin. It reads the development data
// only, each file named here: testdata/dev.jsonl and testdata/batches
// (split into three writers by line), and the validation corpora already
// wired in as development data, one writer each (g-en, g-es and g-fr since
// ModelVersion 2026.12.7.2). Never the frozen corpus, nor a validation
// corpus not yet measured (h-en, h-es, h-fr): the list below is explicit,
// the folder is never globbed. Run it from the lexicon's
// directory, then bump ModelVersion and add its line to data/versions.sum:
//
//	go run ./testdata/tools/trainmodel
//
// It is deterministic: the same files give the same weights.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// validationWriters are the validation corpora that are development data
// (eval_test.go's validationCorpora), each one writer.
var validationWriters = []string{"a", "b", "d", "e-en", "e-es", "e-fr", "f-en", "f-es", "f-fr", "g-en", "g-es", "g-fr"}

// devWriters: the development corpus and the batches, written by the
// lexicon's authors, count as this many writers (by line), so that the
// threshold is also chosen on them out of fold.
const devWriters = 3

type line struct {
	Text    string   `json:"text"`
	Label   string   `json:"label"`
	Context []string `json:"context"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "trainmodel:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("o", "data/model.bin", "where to write the weights")
	flag.Parse()
	batches, err := filepath.Glob("testdata/batches/*.jsonl")
	if err != nil {
		return err
	}
	slices.Sort(batches)
	var items []lexicon.TrainingItem
	k := 0
	for _, path := range append([]string{"testdata/dev.jsonl"}, batches...) {
		ls, err := read(path)
		if err != nil {
			return err
		}
		for _, l := range ls {
			items = append(items, item(l, fmt.Sprintf("dev-%d", k%devWriters)))
			k++
		}
	}
	for _, w := range validationWriters {
		ls, err := read("testdata/validation/" + w + ".jsonl")
		if err != nil {
			return err
		}
		for _, l := range ls {
			items = append(items, item(l, w))
		}
	}
	lex, err := lexicon.FromFS(os.DirFS("."), "data")
	if err != nil {
		return err
	}
	data, err := lexicon.TrainModel(lex, items)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes from %d items\n", *out, len(data), len(items))
	return nil
}

func item(l line, writer string) lexicon.TrainingItem {
	return lexicon.TrainingItem{Text: l.Text, Context: l.Context, Crisis: l.Label == "crisis", Writer: writer}
}

func read(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []line
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if l.Text == "" {
			return nil, fmt.Errorf("%s: %w", path, errors.New("a line without text"))
		}
		out = append(out, l)
	}
	return out, sc.Err()
}
