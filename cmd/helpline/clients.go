package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/erasure"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/internal/natsauth"
)

// clientsUsage is the usage of `helpline clients`.
const clientsUsage = `usage: helpline clients erase --reason TEXT [--by STAFF] <pseudonym or client id>
       helpline clients retention [--dry-run] [--by STAFF]`

// cmdClients runs `helpline clients erase` and `helpline clients retention`.
func cmdClients(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	if len(args) == 0 {
		return usageError{clientsUsage}
	}
	switch args[0] {
	case "erase":
		return cmdClientsErase(ctx, args[1:], io, lookup)
	case "retention":
		return cmdClientsRetention(ctx, args[1:], io, lookup)
	}
	return usageError{clientsUsage}
}

// openAdmin opens the platform as the administrative NATS user, the one
// that may destroy data keys, and the eraser over its keyring.
func openAdmin(ctx context.Context, lookup lookupFunc, log zerolog.Logger) (*platform.Platform, *erasure.Eraser, error) {
	env, err := loadEnv(lookup)
	if err != nil {
		return nil, nil, err
	}
	p, err := platform.Open(ctx, platform.Config{Env: env, Name: "helpline-clients", Role: natsauth.Admin}, log)
	if err != nil {
		return nil, nil, err // a data directory in use says by whom, and how to reach it
	}
	keys, _, err := p.Keys(ctx)
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	return p, erasure.NewEraser(keys, events.NewClients(p.Store), time.Now), nil
}

// clientsLog is the commands' logger.
func clientsLog(io stdio, lookup lookupFunc) (zerolog.Logger, error) {
	env, err := loadEnv(lookup)
	if err != nil {
		return zerolog.Logger{}, err
	}
	return logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("svc", "clients").Logger(), nil
}

// cmdClientsErase runs `helpline clients erase`.
func cmdClientsErase(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	const usage = "usage: helpline clients erase --reason TEXT [--by STAFF] <pseudonym or client id>"
	fs := newFlags("clients erase", io)
	reason := fs.String("reason", "", "why the client is erased (recorded in the log; required)")
	by := fs.String("by", "cli", "staff id of whoever asked for the erasure")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(*reason) == "" {
		return usageError{usage}
	}
	target := fs.Arg(0)
	if err := events.ValidateID(*by); err != nil {
		return usageError{"--by: " + err.Error()}
	}
	log, err := clientsLog(io, lookup)
	if err != nil {
		return err
	}
	p, eraser, err := openAdmin(ctx, lookup, log)
	if err != nil {
		return err
	}
	defer p.Close()
	ids, err := findClients(ctx, p.Store, target)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := eraser.Erase(ctx, id, *by, *reason); err != nil {
			return err
		}
		log.Info().Str("client", id).Msg("client erased: data key destroyed, content unreadable")
		fmt.Fprintf(io.out, "erased %s\n", id)
	}
	return nil
}

// cmdClientsRetention runs `helpline clients retention`: it erases (with
// --dry-run, lists) the clients whose conversations have all been closed
// longer than their line's retention_days. `helpline run` on its
// embedded log runs the same job daily itself; in a cluster, run this on
// a schedule (a cron job, deploy/k8s/retention-cronjob.yaml): it connects
// as the administrative user, the only one that may destroy data keys.
func cmdClientsRetention(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	fs := newFlags("clients retention", io)
	dryRun := fs.Bool("dry-run", false, "list how many clients would be erased, and their opaque client ids, and erase nothing")
	by := fs.String("by", "retention", "staff id recorded as having asked for the erasures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: helpline clients retention [--dry-run] [--by STAFF]"}
	}
	if err := events.ValidateID(*by); err != nil {
		return usageError{"--by: " + err.Error()}
	}
	log, err := clientsLog(io, lookup)
	if err != nil {
		return err
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}
	periods := erasure.Periods{}
	for _, l := range file.Lines {
		periods[l.ID] = l.Retention()
	}
	p, eraser, err := openAdmin(ctx, lookup, log)
	if err != nil {
		return err
	}
	defer p.Close()
	job := erasure.NewRetention(p.Store, eraser, periods, time.Now)
	return runRetention(ctx, job, *dryRun, *by, io, log)
}

// runRetention lists or erases what job finds due, saying so on io.out.
func runRetention(ctx context.Context, job *erasure.Retention, dryRun bool, by string, io stdio, log zerolog.Logger) error {
	if dryRun {
		ids, err := job.Due(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.out, "%d clients would be erased (dry run)\n", len(ids))
		for _, id := range ids {
			fmt.Fprintln(io.out, id)
		}
		return nil
	}
	ids, err := job.Run(ctx, by)
	for _, id := range ids {
		log.Info().Str("client", id).Str("reason", erasure.ReasonRetention).Msg("client erased: data key destroyed, content unreadable")
		fmt.Fprintf(io.out, "erased %s\n", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(io.out, "%d clients erased (retention)\n", len(ids))
	return nil
}

// findClients resolves a pseudonym (or a client id) to client ids by
// reading the clients' registrations. A display pseudonym can in principle
// be shared by two clients; both are reported and erasure refused.
func findClients(ctx context.Context, store *events.Store, target string) ([]string, error) {
	if err := events.ValidateID(target); err != nil {
		return nil, usageError{"client: " + err.Error()}
	}
	var found []string
	_, err := store.Read(ctx, events.AggregateSubjects(events.AggregateClient), 0, func(e events.Envelope) error {
		if e.Type != events.TypeClientRegistered {
			return nil
		}
		p, err := e.Decode()
		if err != nil {
			return err
		}
		if e.AggregateID == target || strings.EqualFold(p.(events.ClientRegistered).Pseudonym, target) {
			found = append(found, e.AggregateID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no client %s: %w", target, events.ErrNotFound)
	case 1:
		return found, nil
	}
	return nil, errors.New("pseudonym " + target + " names several clients; erase by client id: " + strings.Join(found, ", "))
}
