package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/logging"
)

// cmdServe runs `helpline serve <service>`: one service as its own process
// against an external NATS cluster (and, for the projector and the
// console, SQL).
func cmdServe(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	usage := "usage: helpline serve " + app.ServiceNames()
	if len(args) == 0 {
		return usageError{usage}
	}
	name := args[0]
	svc, err := app.ParseService(name)
	if err != nil {
		return usageError{fmt.Sprintf("no service %q; %s", name, usage)}
	}
	env, err := processEnv(newFlags("serve "+name, io), args[1:], lookup)
	if err != nil {
		return err
	}
	if err := distributedEnv(svc, env, lookup); err != nil {
		return err
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("service", name).Logger()
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}
	return app.Run(ctx, app.Config{Env: env, File: file, Name: name, Services: []app.Service{svc}}, log)
}

// distributedEnv checks what a service needs when it runs alone: the
// cluster, the master key every replica shares, Twilio (the SMS sandbox
// needs ingestion and notification in one process), and SQL for the
// projector and the console (memory projections in a process nobody
// queries are no use).
func distributedEnv(svc app.Service, env config.Env, lookup lookupFunc) error {
	var errs []error
	if env.Embedded() {
		errs = append(errs, fmt.Errorf("%s is not set: 'helpline serve' runs against a NATS cluster ('helpline run' embeds one)", config.VarNATSURL))
	}
	if env.NATSNkeyFile == "" {
		errs = append(errs, fmt.Errorf("%s is not set: each service connects to NATS as its own user ('helpline nats users' makes their seeds)", config.VarNATSNkeyFile))
	}
	if v, ok := lookup(config.VarMasterKeyFile); svc.NeedsKeys() && (!ok || strings.TrimSpace(v) == "") {
		errs = append(errs, fmt.Errorf("%s is not set: every replica must use the same master key", config.VarMasterKeyFile))
	}
	if (svc == app.Ingestion || svc == app.Notification) && env.Sandbox() {
		errs = append(errs, fmt.Errorf("%s and %s are not set: the SMS sandbox only works in 'helpline run'", config.VarTwilioSID, config.VarTwilioToken))
	}
	if (svc == app.Projector || svc == app.Console) && env.DatabaseURL == "" {
		errs = append(errs, fmt.Errorf("%s is not set: the %s needs the SQL projections", config.VarDatabaseURL, svc))
	}
	if len(errs) > 0 {
		return fmt.Errorf("serve %s:\n  %s", svc, strings.ReplaceAll(errors.Join(errs...).Error(), "\n", "\n  "))
	}
	return nil
}
