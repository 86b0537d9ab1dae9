package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/services/console"
)

// consoleService builds the console over the platform's log and the
// process's projections; `helpline run` mounts it, and `helpline serve
// console` is this plus a server.
func consoleService(ctx context.Context, p *platform, file *config.File, keys *keyring.Keyring, views *projectionSet) (*console.Service, error) {
	sessions, err := console.OpenSessions(ctx, p.js, p.env.Replicas, 15*time.Minute, 12*time.Hour, time.Now)
	if err != nil {
		return nil, err
	}
	secure := false
	if u, err := url.Parse(p.env.PublicURL); err == nil && u.Scheme == "https" {
		secure = true
	}
	d := console.Deps{Log: p.store, Keys: keys, Inbox: views.inbox, Queue: views.queue, Figures: views.times, Sessions: sessions,
		File: file, Now: time.Now, Logger: p.log}
	return console.New(ctx, console.Config{SecureCookies: secure}, d)
}

// mountConsole adds the console's pages and API to the router.
func mountConsole(ctx context.Context, r chi.Router, p *platform, file *config.File, keys *keyring.Keyring, views *projectionSet) error {
	svc, err := consoleService(ctx, p, file, keys, views)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	svc.Mount(r)
	context.AfterFunc(ctx, svc.Close) // shutdown ends the live streams
	if len(svc.Accounts().List()) == 0 {
		p.log.Warn().Str("svc", "console").Msg("no staff accounts yet: create the first admin with 'helpline users add --id ID --name NAME --role admin' (password on stdin)")
	}
	return nil
}

const usersUsage = "helpline users add [--id STAFF_ID] --name NAME --role worker|duty|manager|admin < password"

// cmdUsers runs `helpline users add`: a staff account as events, the
// password read from the first line of stdin and stored only as an
// argon2id hash.
func cmdUsers(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: " + usersUsage}
	}
	fs := newFlags("users add", io)
	id := fs.String("id", "", "staff id to sign in with; default: the configuration's staff id of that name")
	name := fs.String("name", "", "the person's name, shown to staff (a client sees the first name at most)")
	role := fs.String("role", "", "worker, duty, manager or admin")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 || strings.TrimSpace(*name) == "" {
		return usageError{"usage: " + usersUsage}
	}
	if !events.ValidRole(*role) {
		return usageError{fmt.Sprintf("--role %q: want worker, duty, manager or admin", *role)}
	}
	password, err := bufio.NewReader(io.in).ReadString('\n')
	if err != nil && password == "" {
		return usageError{"the password is read from stdin (one line)"}
	}
	password = strings.TrimRight(password, "\r\n")
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("svc", "users").Logger()
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}
	if *id == "" {
		for _, st := range file.Staff {
			if st.Name == strings.TrimSpace(*name) {
				*id = st.ID
			}
		}
		if *id == "" {
			return usageError{"--id is needed: no staff member of that name in the configuration"}
		}
	}
	p, err := openPlatform(ctx, env, log, "helpline-users")
	if err != nil {
		return fmt.Errorf("%w (in embedded mode stop 'helpline run' first, or run it with %s and point %s at it, with %s=1)",
			err, config.VarNATSListen, config.VarNATSURL, config.VarReplicas)
	}
	defer p.close()
	accounts := console.NewAccounts(p.store)
	if err := accounts.Register(ctx, *id, strings.TrimSpace(*name), *role, password, "cli", events.Meta{OccurredAt: time.Now()}); err != nil {
		if errors.Is(err, console.ErrWeakPassword) {
			return usageError{err.Error()}
		}
		return err
	}
	log.Info().Str("staff_id", *id).Str("role", *role).Msg("staff account added")
	fmt.Fprintf(io.out, "added %s (%s): sign in at /login with this id\n", *id, *role)
	return nil
}
