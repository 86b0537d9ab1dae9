package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/deploy"
	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/config"
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

type lookupFunc func(string) (string, bool)

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type command struct {
	summary string
	usage   string
	run     func(ctx context.Context, args []string, io stdio, env lookupFunc) error
}

func commands() map[string]command {
	return map[string]command{
		"run": {
			summary: "run every service in one process (embedded NATS, memory projections, SMS sandbox without Twilio credentials)",
			usage:   "helpline run",
			run:     cmdRun,
		},
		"serve": {
			summary: "run one service as its own process against a NATS cluster (" + app.ServiceNames() + ")",
			usage:   "helpline serve " + app.ServiceNames() + " [--http ADDR]",
			run:     cmdServe,
		},
		"clients": {
			summary: "erase a client: destroy its data key so its messages and number can never be read again; retention: erase (--dry-run: list) the clients whose conversations all closed longer ago than their line's retention_days",
			usage:   strings.TrimPrefix(clientsUsage, "usage: "),
			run:     cmdClients,
		},
		"triage": {
			summary: "explain triage verdicts: one message per line on stdin, one JSON verdict per line out (signals, terms, rule, versions); --compare OLD shows which verdicts a lexicon change moves",
			usage:   strings.TrimPrefix(triageUsage, "usage: "),
			run:     cmdTriage,
		},
		"health": {
			summary: "exit 0 if the helpline at HELPLINE_HTTP_ADDR is ready (for container health checks)",
			usage:   "helpline health",
			run:     cmdHealth,
		},
		"migrate": {
			summary: "apply the SQL schema of the projections to HELPLINE_DATABASE_URL",
			usage:   "helpline migrate",
			run:     cmdMigrate,
		},
		"projections": {
			summary: "rebuild a SQL projection from the log, with progress",
			usage:   "helpline projections rebuild [name]",
			run:     cmdProjections,
		},
		"users": {
			summary: "add a staff account (password on stdin, stored as an argon2id hash)",
			usage:   usersUsage,
			run:     cmdUsers,
		},
		"nats": {
			summary: "make the NATS users' nkey seeds and the servers' authorization block (users), or test TLS certificates (tls)",
			usage:   natsUsage,
			run:     cmdNATS,
		},
		"help": {
			summary: "show help for a command",
			usage:   "helpline help [command]",
		},
	}
}

func dispatch(ctx context.Context, args []string, io stdio, env lookupFunc) error {
	cmds := commands()
	if len(args) == 0 {
		printUsage(io.err, cmds)
		return usageError{"no command given"}
	}
	name, rest := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" {
		if len(rest) == 0 {
			printUsage(io.out, cmds)
			return nil
		}
		c, ok := cmds[rest[0]]
		if !ok {
			return usageError{fmt.Sprintf("no command %q; see 'helpline help'", rest[0])}
		}
		fmt.Fprintf(io.out, "usage: %s\n\n%s\n", c.usage, c.summary)
		if rest[0] == "run" || rest[0] == "serve" {
			printVars(io.out)
		}
		return nil
	}
	c, ok := cmds[name]
	if !ok || c.run == nil {
		return usageError{fmt.Sprintf("no command %q; see 'helpline help'", name)}
	}
	return c.run(ctx, rest, io, env)
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Helpline: messaging and crisis triage for support lines.\n\nusage: helpline <command> [arguments]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\n'helpline help <command>' tells more.")
}

func printVars(w io.Writer) {
	fmt.Fprintln(w, "\nenvironment:")
	for _, v := range config.Vars() {
		fmt.Fprintf(w, "  %-30s %s (default %s)\n", v.Name, v.Meaning, v.Default)
	}
}

// newFlags returns a flag set that reports mistakes as usage errors.
func newFlags(name string, io stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

// loadConfigFile reads HELPLINE_CONFIG. When the variable is unset and the
// default path does not exist (the binary runs outside the source tree),
// the embedded copy of the documented example is used.
func loadConfigFile(env config.Env, lookup lookupFunc, log zerolog.Logger) (*config.File, error) {
	if _, set := lookup(config.VarConfig); !set && env.ConfigFile == config.DefaultConfigFile {
		if _, err := os.Stat(env.ConfigFile); errors.Is(err, fs.ErrNotExist) {
			log.Warn().Msg("no " + config.VarConfig + " and no " + config.DefaultConfigFile + " here: using the built-in example configuration")
			return config.ParseFile(deploy.ExampleConfig)
		}
	}
	return config.LoadFile(env.ConfigFile)
}

func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// processEnv parses the flags of a command that runs a process, --http
// (which overrides HELPLINE_HTTP_ADDR) added to fs's own, and reads the
// environment.
func processEnv(fs *flag.FlagSet, args []string, lookup lookupFunc) (config.Env, error) {
	addr := fs.String("http", "", "listen address (overrides "+config.VarHTTPAddr+")")
	if err := parseFlags(fs, args); err != nil {
		return config.Env{}, err
	}
	env, err := loadEnv(lookup)
	if err != nil {
		return env, err
	}
	if *addr != "" {
		env.HTTPAddr = *addr
	}
	return env, nil
}

// envOnly is the environment of a command that takes no arguments: usage
// is its usage error when it is given some.
func envOnly(args []string, usage string, lookup lookupFunc) (config.Env, error) {
	if len(args) != 0 {
		return config.Env{}, usageError{usage}
	}
	return loadEnv(lookup)
}

// loadEnv reads and validates the HELPLINE_* environment.
func loadEnv(env lookupFunc) (config.Env, error) {
	e, err := config.LoadEnv(env)
	if err != nil {
		return e, fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return e, nil
}
