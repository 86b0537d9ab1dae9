package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logging"
)

// service adds one service to a process of its own.
type service struct {
	// needsKeys: the service reads or seals content, so it needs the
	// master key (which a distributed deployment must provide).
	needsKeys bool
	add       func(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring, pseudo *keyring.Pseudonymizer) error
}

// services are what `helpline serve` can run, one per process, each in any
// number of replicas. Replicas of a service use the same durable consumer
// names, so the group handles each event once, and the same timer buckets.
func services() map[string]service {
	return map[string]service{
		"ingestion": {needsKeys: true, add: func(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring, pseudo *keyring.Pseudonymizer) error {
			return mountIngestion(ctx, pr.srv.Router, pr.p, file, keys, pseudo, pr.p.env.TwilioAuthToken)
		}},
		"triage": {needsKeys: true, add: func(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring, _ *keyring.Pseudonymizer) error {
			return addTriage(ctx, pr, file, keys)
		}},
		"notification": {needsKeys: true, add: func(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring, _ *keyring.Pseudonymizer) error {
			return addNotification(ctx, pr, file, keys, smsConfig(pr.p.env, nil))
		}},
		"projector": {add: func(ctx context.Context, pr *process, file *config.File, _ *keyring.Keyring, _ *keyring.Pseudonymizer) error {
			_, err := addProjections(ctx, pr, file)
			return err
		}},
		// The console reads the SQL projections. It also follows the log
		// into them, on the projector's durable consumers (each event is
		// applied once, whoever applies it), so it is never behind what
		// it shows.
		"console": {needsKeys: true, add: func(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring, _ *keyring.Pseudonymizer) error {
			views, err := addProjections(ctx, pr, file)
			if err != nil {
				return err
			}
			return mountConsole(ctx, pr.srv.Router, pr.p, file, keys, views)
		}},
	}
}

func serviceNames() string {
	var names []string
	for n := range services() {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// cmdServe runs `helpline serve <service>`: one service as its own process
// against an external NATS cluster (and, for the projector, SQL).
func cmdServe(ctx context.Context, args []string, io stdio, lookup lookupFunc) error {
	usage := "usage: helpline serve " + serviceNames()
	if len(args) == 0 {
		return usageError{usage}
	}
	name := args[0]
	svc, ok := services()[name]
	if !ok {
		return usageError{fmt.Sprintf("no service %q; %s", name, usage)}
	}
	fs := newFlags("serve "+name, io)
	addr := fs.String("http", "", "listen address (overrides "+config.VarHTTPAddr+")")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return err
	}
	if *addr != "" {
		env.HTTPAddr = *addr
	}
	if err := distributedEnv(name, svc, env, lookup); err != nil {
		return err
	}
	log := logging.New(io.err, env.LogLevel, env.LogFormat).With().Str("service", name).Logger()
	file, err := loadConfigFile(env, lookup, log)
	if err != nil {
		return err
	}
	p, err := openPlatform(ctx, env, log, "helpline-"+name)
	if err != nil {
		return err
	}
	defer p.close()
	var (
		keys   *keyring.Keyring
		pseudo *keyring.Pseudonymizer
	)
	if svc.needsKeys {
		if keys, pseudo, err = openKeys(ctx, p); err != nil {
			return err
		}
		defer keys.Close()
	}
	pr := newProcess(p)
	defer pr.close()
	if err := svc.add(ctx, pr, file, keys, pseudo); err != nil {
		return err
	}
	return pr.serve(ctx, name)
}

// distributedEnv checks what a service needs when it runs alone: the
// cluster, the master key every replica shares, Twilio (the SMS sandbox
// needs ingestion and notification in one process), and SQL for the
// projector (memory projections in a process nobody queries are no use).
func distributedEnv(name string, svc service, env config.Env, lookup lookupFunc) error {
	var errs []error
	if env.Embedded() {
		errs = append(errs, fmt.Errorf("%s is not set: 'helpline serve' runs against a NATS cluster ('helpline run' embeds one)", config.VarNATSURL))
	}
	if v, ok := lookup(config.VarMasterKeyFile); svc.needsKeys && (!ok || strings.TrimSpace(v) == "") {
		errs = append(errs, fmt.Errorf("%s is not set: every replica must use the same master key", config.VarMasterKeyFile))
	}
	if (name == "ingestion" || name == "notification") && env.Sandbox() {
		errs = append(errs, fmt.Errorf("%s and %s are not set: the SMS sandbox only works in 'helpline run'", config.VarTwilioSID, config.VarTwilioToken))
	}
	if (name == "projector" || name == "console") && env.DatabaseURL == "" {
		errs = append(errs, fmt.Errorf("%s is not set: the %s needs the SQL projections", config.VarDatabaseURL, name))
	}
	if len(errs) > 0 {
		return fmt.Errorf("serve %s:\n  %s", name, strings.ReplaceAll(errors.Join(errs...).Error(), "\n", "\n  "))
	}
	return nil
}
