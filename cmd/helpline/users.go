package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/logging"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/services/console/app"
)

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
	p, err := platform.Open(ctx, platform.Config{Env: env, Name: "helpline-users", Role: natsauth.Admin}, log)
	if err != nil {
		return err // a data directory in use says by whom, and how to reach it
	}
	defer p.Close()
	staff := app.NewStaff(p.Store, nil, file, time.Now, log)
	if err := staff.Register(ctx, *id, strings.TrimSpace(*name), *role, password, "cli", events.Meta{OccurredAt: time.Now()}); err != nil {
		if errors.Is(err, app.ErrWeakPassword) {
			return usageError{err.Error()}
		}
		return err
	}
	log.Info().Str("staff_id", *id).Str("role", *role).Msg("staff account added")
	fmt.Fprintf(io.out, "added %s (%s): sign in at /login with this id\n", *id, *role)
	return nil
}
