package app

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/ingestion"
)

// Service is one of the services a process can hold.
type Service string

// The services. `helpline run` holds them all; `helpline serve <service>`
// one, in any number of replicas: replicas of a service share its durable
// consumers (the group handles each event once) and its timer buckets.
const (
	Ingestion    Service = "ingestion"
	Triage       Service = "triage"
	Notification Service = "notification"
	// Projector follows the log into the projections (SQL when
	// HELPLINE_DATABASE_URL is set).
	Projector Service = "projector"
	// Console serves the staff's pages and API. It reads the projections
	// and also follows the log into them, on the projector's durable
	// consumers (each event is applied once, whoever applies it), so it is
	// never behind what it shows.
	Console Service = "console"
)

// All is every service, in the order a process builds them: what
// `helpline run` holds.
func All() []Service { return []Service{Ingestion, Notification, Triage, Projector, Console} }

// ParseService returns the service of that name.
func ParseService(name string) (Service, error) {
	if s := Service(name); slices.Contains(All(), s) {
		return s, nil
	}
	return "", fmt.Errorf("no service %q (want %s)", name, ServiceNames())
}

// ServiceNames lists the services as "a|b|c", sorted.
func ServiceNames() string {
	var names []string
	for _, s := range All() {
		names = append(names, string(s))
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// NeedsKeys reports whether the service reads or seals content, so needs
// the master key (which a distributed deployment must provide).
func (s Service) NeedsKeys() bool { return s != Projector }

// Config is what a process is built from.
type Config struct {
	// Env is the process's environment (config.LoadEnv).
	Env config.Env
	// File is the lines, staff, rota and policies.
	File *config.File
	// Name is the process's role, "run" or a service's name: it is logged
	// and names the NATS connection (helpline-<Name>). Default "run".
	Name string
	// Services are what the process holds; default All.
	Services []Service
	// Platform, when set, is the platform to build on (a test bed's); the
	// process then leaves it open. Nil opens one from Env, closed with the
	// process.
	Platform *platform.Platform
	// Listener, when set, is where Run serves HTTP instead of listening on
	// Env.HTTPAddr (a caller that needs the address before building).
	Listener net.Listener
	// Now is the services' clock; default time.Now.
	Now func() time.Time
	// TimerTick is how often the timer loops look for due timers; default 1s.
	TimerTick time.Duration
	// Consume tunes the event handlers (zero: consume's defaults).
	Consume consume.Config
	// Console tunes the console (zero: its defaults); SecureCookies is
	// also set when Env.PublicURL is https.
	Console console.Config
	// Chat tunes the web chat's HTTP port (zero: its defaults);
	// PublicURL and ClientAddrHeader come from Env.
	Chat ingestion.ChatHTTPConfig
	// Migrate applies the SQL migrations of the projections at start,
	// when Env.DatabaseURL is set.
	Migrate bool
	// Retention runs the retention job in the process, daily on Now:
	// `helpline run` on its embedded log, which only it holds, so there
	// is one runner. Against an external NATS the retention CronJob runs
	// it as the administrative user instead (the only one that may
	// destroy keys).
	Retention bool
}

// SetDefaults fills unset fields.
func (c *Config) SetDefaults() {
	c.Name = cmp.Or(c.Name, "run")
	if len(c.Services) == 0 {
		c.Services = All()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.TimerTick = cmp.Or(c.TimerTick, time.Second)
}

// Validate reports a configuration no process can run.
func (c Config) Validate() error {
	var errs []error
	if c.File == nil || len(c.File.Lines) == 0 {
		errs = append(errs, errors.New("app: no configuration file, or no line in it"))
	}
	for _, s := range c.Services {
		if _, err := ParseService(string(s)); err != nil {
			errs = append(errs, fmt.Errorf("app: %w", err))
		}
	}
	// The sandbox is a fake Twilio in this process: the webhook it calls
	// and the sender that calls it must both be here.
	if c.Env.Sandbox() && c.has(Ingestion) != c.has(Notification) {
		errs = append(errs, fmt.Errorf("app: %s and %s are not set: the SMS sandbox needs ingestion and notification in one process ('helpline run')",
			config.VarTwilioSID, config.VarTwilioToken))
	}
	if c.TimerTick < 0 {
		errs = append(errs, errors.New("app: negative timer tick"))
	}
	return errors.Join(errs...)
}

func (c Config) has(s Service) bool { return slices.Contains(c.Services, s) }

// needsKeys reports whether any service of the process needs the keyring.
func (c Config) needsKeys() bool {
	return slices.ContainsFunc(c.Services, Service.NeedsKeys)
}
