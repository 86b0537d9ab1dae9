// Package config holds Helpline's typed configuration: the HELPLINE_*
// environment of a process, and the YAML file of lines, staff, rota and
// escalation policies. Only cmd/ reads the environment; it passes a lookup
// function here.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/memlimit"
)

// Env is the process configuration from HELPLINE_* variables.
type Env struct {
	HTTPAddr         string
	DataDir          string
	ConfigFile       string
	NATSURL          string
	NATSListen       string
	NATSNkeyFile     string
	NATSCAFile       string
	DatabaseURL      string
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioAPIURL     string
	PublicURL        string
	MasterKeyFile    string
	LogLevel         string
	LogFormat        string
	Replicas         int
	DuplicatesWindow time.Duration
	ShutdownTimeout  time.Duration
	ClientIPHeader   string
	// MetricsToken, when set, is the bearer token /metrics requires;
	// unset, /metrics answers only this machine (see httpserver).
	MetricsToken string
	// MemoryLimit is the soft memory limit of `helpline run` in bytes (0:
	// none), kept by internal/memlimit: raised while the live heap needs
	// more. GOMEMLIMIT, when set, is the runtime's own and wins.
	MemoryLimit int64
	// TriageModel is "on" or "off": whether triage's learned model sits
	// beside its rules (lexicon.WithModel). Use TriageModelOn: the zero
	// value is on, as the default is.
	TriageModel string
}

// Variable names. These are fixed: operators and scripts rely on them.
const (
	VarHTTPAddr      = "HELPLINE_HTTP_ADDR"
	VarDataDir       = "HELPLINE_DATA_DIR"
	VarConfig        = "HELPLINE_CONFIG"
	VarNATSURL       = "HELPLINE_NATS_URL"
	VarNATSListen    = "HELPLINE_NATS_LISTEN"
	VarNATSNkeyFile  = "HELPLINE_NATS_NKEY_FILE"
	VarNATSCAFile    = "HELPLINE_NATS_CA_FILE"
	VarDatabaseURL   = "HELPLINE_DATABASE_URL"
	VarTwilioSID     = "HELPLINE_TWILIO_ACCOUNT_SID"
	VarTwilioToken   = "HELPLINE_TWILIO_AUTH_TOKEN"
	VarTwilioAPIURL  = "HELPLINE_TWILIO_API_URL"
	VarPublicURL     = "HELPLINE_PUBLIC_URL"
	VarMasterKeyFile = "HELPLINE_MASTER_KEY_FILE"
	VarLogLevel      = "HELPLINE_LOG_LEVEL"
	VarLogFormat     = "HELPLINE_LOG_FORMAT"
	VarReplicas      = "HELPLINE_STREAM_REPLICAS"
	VarDuplicates    = "HELPLINE_DEDUPE_WINDOW"
	VarShutdown      = "HELPLINE_SHUTDOWN_TIMEOUT"
	VarClientIP      = "HELPLINE_CLIENT_IP_HEADER"
	VarMetricsToken  = "HELPLINE_METRICS_TOKEN"
	VarMemoryLimit   = "HELPLINE_MEMORY_LIMIT"
	VarTriageModel   = "HELPLINE_TRIAGE_MODEL"
)

// Defaults of the variables that have one: LoadEnv applies them, Vars
// documents them, and test beds get them by loading an environment.
const (
	DefaultHTTPAddr   = "127.0.0.1:8080"
	DefaultDataDir    = "./data"
	DefaultConfigFile = "deploy/helpline.example.yaml"
	DefaultLogLevel   = "info"
	DefaultLogFormat  = "auto"
	// DefaultTriageModel: triage ships with its learned model (issue 12).
	DefaultTriageModel = "on"
	// DefaultReplicas is for the embedded server; DefaultClusterReplicas
	// for an external NATS.
	DefaultReplicas        = 1
	DefaultClusterReplicas = 3
	DefaultDuplicates      = events.DefaultDuplicatesWindow
	DefaultShutdown        = 20 * time.Second
	// DefaultMemoryLimit is `helpline run`'s soft memory limit: the limit
	// counts the runtime's memory, not the binary's pages (about 30 MiB of
	// resident memory), so 112 MiB keeps the process's resident memory
	// within issue 17's 150 MB while the live heap fits in it with half of
	// itself to spare (memlimit.MinHeadroom; loadtest/README.md).
	DefaultMemoryLimit = 112 << 20
	// MinDuplicates is the shortest dedupe window accepted
	// (events.MinDuplicatesWindow: what the window covers, and why no more).
	MinDuplicates = events.MinDuplicatesWindow
)

// VarDoc describes one variable for `helpline help` and the README.
type VarDoc struct{ Name, Default, Meaning string }

// Vars lists every variable with its default and meaning.
func Vars() []VarDoc {
	return []VarDoc{
		{VarHTTPAddr, DefaultHTTPAddr, "where the HTTP surface listens"},
		{VarDataDir, DefaultDataDir, "embedded server's storage, generated keys"},
		{VarConfig, DefaultConfigFile, "the YAML file of lines, staff, rota, policies"},
		{VarNATSURL, "(empty: embedded server)", "external NATS cluster URL(s), comma-separated"},
		{VarNATSListen, "(empty: no port)", "host:port for the embedded server's client port (it requires the credential DATA_DIR/nats/admin.nk)"},
		{VarNATSNkeyFile, "(unset: no credential)", "file holding this process's NATS nkey seed (helpline nats users makes them; never logged)"},
		{VarNATSCAFile, "(unset: the system's)", "certificate authority of the NATS servers' TLS certificates"},
		{VarDatabaseURL, "(empty: memory projections)", "CockroachDB/PostgreSQL URL for projections"},
		{VarTwilioSID, "(unset: local SMS sandbox)", "Twilio account SID"},
		{VarTwilioToken, "(unset: local SMS sandbox)", "Twilio auth token (never logged)"},
		{VarTwilioAPIURL, "(unset: https://api.twilio.com)", "base URL of a Twilio-compatible API"},
		{VarPublicURL, "http:// + HTTP address", "the public base URL Twilio calls and signs"},
		{VarMasterKeyFile, "DATA_DIR/master.key (generated, 0600)", "the key that wraps per-client keys"},
		{VarLogLevel, DefaultLogLevel, "debug, info, warn or error"},
		{VarLogFormat, DefaultLogFormat, "json, console, or auto (console on a terminal)"},
		{VarReplicas, fmt.Sprintf("%d embedded, %d with an external NATS", DefaultReplicas, DefaultClusterReplicas), "replicas of the streams"},
		{VarDuplicates, shortDuration(DefaultDuplicates), "message-id dedupe window (at least " + shortDuration(MinDuplicates) + ")"},
		{VarShutdown, shortDuration(DefaultShutdown), "how long shutdown waits for in-flight work"},
		{VarMetricsToken, "(unset: /metrics answers only this machine)", "bearer token a Prometheus scraping from elsewhere sends to /metrics (at least 16 characters; never logged)"},
		{VarMemoryLimit, memlimit.Format(DefaultMemoryLimit), "soft memory limit of `helpline run` (KiB, MiB, GiB; off: none), raised to twice the live heap while the live heap needs more than it with half of itself to spare; GOMEMLIMIT, when set, wins"},
		{VarClientIP, "(empty: the connection's address)", "header a trusted reverse proxy sets to the client's address (e.g. X-Forwarded-For; the last entry is used)"},
		{VarTriageModel, DefaultTriageModel, "on or off: triage's learned model beside its rules (off: the rules alone)"},
	}
}

var headerName = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// LoadEnv reads the environment through lookup (os.LookupEnv in main) and
// validates it. Errors name the variable at fault.
func LoadEnv(lookup func(string) (string, bool)) (Env, error) {
	get := func(name, def string) string {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	var errs []error
	e := Env{
		HTTPAddr:         get(VarHTTPAddr, DefaultHTTPAddr),
		DataDir:          get(VarDataDir, DefaultDataDir),
		ConfigFile:       get(VarConfig, DefaultConfigFile),
		NATSURL:          get(VarNATSURL, ""),
		NATSListen:       get(VarNATSListen, ""),
		NATSNkeyFile:     get(VarNATSNkeyFile, ""),
		NATSCAFile:       get(VarNATSCAFile, ""),
		DatabaseURL:      get(VarDatabaseURL, ""),
		TwilioAccountSID: get(VarTwilioSID, ""),
		TwilioAuthToken:  get(VarTwilioToken, ""),
		TwilioAPIURL:     get(VarTwilioAPIURL, ""),
		PublicURL:        get(VarPublicURL, ""),
		MasterKeyFile:    get(VarMasterKeyFile, ""),
		LogLevel:         get(VarLogLevel, DefaultLogLevel),
		LogFormat:        get(VarLogFormat, DefaultLogFormat),
		ClientIPHeader:   get(VarClientIP, ""),
		MetricsToken:     get(VarMetricsToken, ""),
	}
	var err error
	if e.TriageModel, err = TriageModel(lookup); err != nil {
		errs = append(errs, err)
	}
	if e.MetricsToken != "" && len(e.MetricsToken) < 16 {
		errs = append(errs, fmt.Errorf("%s: want at least 16 characters", VarMetricsToken))
	}
	if _, _, err := net.SplitHostPort(e.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("%s=%q: want host:port: %w", VarHTTPAddr, e.HTTPAddr, err))
	}
	if e.NATSListen != "" {
		if _, _, err := net.SplitHostPort(e.NATSListen); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want host:port: %w", VarNATSListen, e.NATSListen, err))
		}
	}
	e.PublicURL = cmp.Or(e.PublicURL, "http://"+e.HTTPAddr)
	if u, err := url.Parse(e.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s=%q: want an absolute http(s) URL", VarPublicURL, e.PublicURL))
	}
	e.PublicURL = strings.TrimRight(e.PublicURL, "/")
	e.MasterKeyFile = cmp.Or(e.MasterKeyFile, filepath.Join(e.DataDir, "master.key"))
	if (e.TwilioAccountSID == "") != (e.TwilioAuthToken == "") {
		errs = append(errs, fmt.Errorf("%s and %s must be set together (both unset runs the local SMS sandbox)", VarTwilioSID, VarTwilioToken))
	}
	if e.TwilioAPIURL != "" {
		if u, err := url.Parse(e.TwilioAPIURL); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q: want an absolute URL", VarTwilioAPIURL, e.TwilioAPIURL))
		}
	}
	if e.ClientIPHeader != "" && !headerName.MatchString(e.ClientIPHeader) {
		errs = append(errs, fmt.Errorf("%s=%q: want a header name like X-Forwarded-For", VarClientIP, e.ClientIPHeader))
	}
	switch e.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want debug, info, warn or error", VarLogLevel, e.LogLevel))
	}
	switch e.LogFormat {
	case "auto", "json", "console":
	default:
		errs = append(errs, fmt.Errorf("%s=%q: want auto, json or console", VarLogFormat, e.LogFormat))
	}
	defReplicas := DefaultReplicas
	if e.NATSURL != "" {
		defReplicas = DefaultClusterReplicas
	}
	replicas := get(VarReplicas, strconv.Itoa(defReplicas))
	if _, err := fmt.Sscanf(replicas, "%d", &e.Replicas); err != nil || e.Replicas < 1 || e.Replicas > 5 {
		errs = append(errs, fmt.Errorf("%s=%q: want 1 to 5", VarReplicas, replicas))
	}
	dup := get(VarDuplicates, shortDuration(DefaultDuplicates))
	if e.DuplicatesWindow, err = time.ParseDuration(dup); err != nil || e.DuplicatesWindow < MinDuplicates {
		errs = append(errs, fmt.Errorf("%s=%q: want a duration of at least %s (the log's own retries of an append)", VarDuplicates, dup, shortDuration(MinDuplicates)))
	}
	shutdown := get(VarShutdown, shortDuration(DefaultShutdown))
	if e.ShutdownTimeout, err = time.ParseDuration(shutdown); err != nil || e.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s=%q: want a positive duration", VarShutdown, shutdown))
	}
	limit := get(VarMemoryLimit, memlimit.Format(DefaultMemoryLimit))
	if e.MemoryLimit, err = memlimit.Parse(limit); err != nil {
		errs = append(errs, fmt.Errorf("%s=%q: %w", VarMemoryLimit, limit, err))
	}
	return e, errors.Join(errs...)
}

// TriageModel reads HELPLINE_TRIAGE_MODEL through lookup: "on" (the
// default, also when unset or blank) or "off"; anything else is an error
// naming the variable. `helpline triage explain` reads it alone, so that
// explain shows what the service would decide.
func TriageModel(lookup func(string) (string, bool)) (string, error) {
	v, ok := lookup(VarTriageModel)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return DefaultTriageModel, nil
	}
	switch v {
	case "on", "off":
		return v, nil
	}
	return DefaultTriageModel, fmt.Errorf("%s=%q: want on or off", VarTriageModel, v)
}

// shortDuration writes d as a person would: 15m, not 15m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Sandbox reports whether the process runs the local SMS sandbox instead of
// talking to Twilio.
func (e Env) Sandbox() bool { return e.TwilioAccountSID == "" }

// TriageModelOn reports whether triage classifies with its learned model
// beside the rules: unless HELPLINE_TRIAGE_MODEL=off.
func (e Env) TriageModelOn() bool { return e.TriageModel != "off" }

// Embedded reports whether the process runs its own NATS server.
func (e Env) Embedded() bool { return e.NATSURL == "" }

// Redacted returns the environment with secrets replaced, safe to log.
func (e Env) Redacted() Env {
	r := e
	if r.TwilioAuthToken != "" {
		r.TwilioAuthToken = "[redacted]"
	}
	if r.DatabaseURL != "" {
		if u, err := url.Parse(r.DatabaseURL); err == nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "redacted")
			}
			r.DatabaseURL = u.String()
		} else {
			r.DatabaseURL = "[unparseable, redacted]"
		}
	}
	if r.NATSURL != "" {
		var parts []string
		for _, p := range strings.Split(r.NATSURL, ",") {
			if u, err := url.Parse(p); err == nil && u.User != nil {
				u.User = url.User("redacted")
				p = u.String()
			}
			parts = append(parts, p)
		}
		r.NATSURL = strings.Join(parts, ",")
	}
	return r
}

// MapLookup looks variables up in m: LoadEnv's lookup for a process that
// is not configured by its real environment (test beds, load tests).
func MapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
