package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// triageService builds triage and returns its handlers and timer loop.
func triageService(ctx context.Context, p *platform, file *config.File, keys *keyring.Keyring) ([]consume.Spec, func(context.Context), error) {
	lex, err := lexicon.Default()
	if err != nil {
		return nil, nil, err
	}
	tm, err := timers.Open(ctx, p.js, "helpline_triage_timers", p.env.Replicas, time.Now, p.log)
	if err != nil {
		return nil, nil, err
	}
	svc, err := triage.New(file, lexicon.NewClassifier(lex), keys, p.store, tm, time.Now, p.log)
	if err != nil {
		return nil, nil, err
	}
	p.log.Info().Str("svc", "triage").Str("lexicon", lex.Version()).Msg("lexicon loaded")
	return svc.Specs(), func(ctx context.Context) { tm.Run(ctx, time.Second, svc.OnUnanswered) }, nil
}

// addTriage adds triage's handlers and its first-response timers to pr.
// Replicas share the durable consumer (each event is triaged once by the
// group) and the timer bucket (a timer may fire on two replicas at once:
// the escalation is appended with the conversation's expected sequence
// and a deterministic id, so it is recorded once).
func addTriage(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring) error {
	specs, loop, err := triageService(ctx, pr.p, file, keys)
	if err != nil {
		return err
	}
	pr.add(specs, loop)
	return nil
}

// cmdTriage runs `helpline triage explain`: one message per line on stdin,
// one JSON verdict per line on stdout, so an admin can try a lexicon
// before deploying it.
func cmdTriage(_ context.Context, args []string, io stdio, _ lookupFunc) error {
	const usage = "usage: helpline triage explain [--lexicon FILE.yaml] < messages.txt"
	if len(args) == 0 || args[0] != "explain" {
		return usageError{usage}
	}
	fs := newFlags("triage explain", io)
	file := fs.String("lexicon", "", "a lexicon YAML file to try instead of the shipped lexicons")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{usage}
	}
	lex, err := loadLexicon(*file)
	if err != nil {
		return err
	}
	cl := lexicon.NewClassifier(lex)
	in := bufio.NewScanner(io.in)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	out := bufio.NewWriter(io.out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		v := cl.Classify(in.Text())
		if v.Matches == nil {
			v.Matches = []lexicon.Match{}
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return nil
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
