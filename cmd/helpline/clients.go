package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/internal/natsauth"
)

// cmdClients runs `helpline clients erase`.
func cmdClients(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	if len(args) == 0 || args[0] != "erase" {
		return usageError{"usage: helpline clients erase --reason TEXT [--by STAFF] <pseudonym or client id>"}
	}
	fs := newFlags("clients erase", io)
	reason := fs.String("reason", "", "why the client is erased (recorded in the log; required)")
	by := fs.String("by", "cli", "staff id of whoever asked for the erasure")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(*reason) == "" {
		return usageError{"usage: helpline clients erase --reason TEXT [--by STAFF] <pseudonym or client id>"}
	}
	target := fs.Arg(0)
	if err := events.ValidateID(*by); err != nil {
		return usageError{"--by: " + err.Error()}
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("svc", "clients").Logger()
	p, err := platform.Open(ctx, platform.Config{Env: env, Name: "helpline-clients", Role: natsauth.Admin}, log)
	if err != nil {
		return err // a data directory in use says by whom, and how to reach it
	}
	defer p.Close()
	keys, _, err := p.Keys(ctx)
	if err != nil {
		return err
	}

	ids, err := findClients(ctx, p.Store, target)
	if err != nil {
		return err
	}
	clients := events.NewClients(p.Store)
	for _, id := range ids {
		if err := keys.Erase(ctx, id); err != nil {
			return fmt.Errorf("erase key of %s: %w", id, err)
		}
		if _, err := clients.Update(ctx, id, func(c *events.Client) error {
			return c.Erase(*by, *reason, events.Meta{OccurredAt: time.Now()})
		}); err != nil {
			return err
		}
		log.Info().Str("client", id).Msg("client erased: data key destroyed, content unreadable")
		fmt.Fprintf(io.out, "erased %s\n", id)
	}
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
