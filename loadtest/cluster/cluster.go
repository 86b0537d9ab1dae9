// Package cluster brings up Helpline's distributed shape as processes on
// loopback, where there is no container engine: three nats-server
// processes as a JetStream cluster (sync on every write, TLS, a NATS user
// per role: the config of deploy/nats/ that docker-compose.yml uses, with
// credentials and certificates made as README says), a PostgreSQL the caller
// provides, and each service as its own `helpline serve` process, two
// ingestion replicas among them. The process-shaped cluster test, the
// local-cluster script, the load generator and the fault drills all stand
// on it.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/freeport"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/natsauth"
)

// Line is the line every cluster configures; DutyPhone and BackupPhone
// are paged for it.
const (
	LineID      = "main"
	LineNumber  = "+442079460000"
	DutyPhone   = "+447700900101"
	BackupPhone = "+447700900102"
)

// DefaultLines is a line open all week whose escalations page the duty
// worker and, after an hour without acknowledgement, the backup.
const DefaultLines = `
lines:
  - {id: ` + LineID + `, name: Cluster Line, number: "` + LineNumber + `", timezone: Europe/London, always_open: true, first_response_target: 24h, send_rate: 1000}
staff:
  - {id: dana, name: Dana Duty, role: duty, work_phone: "` + DutyPhone + `"}
  - {id: bo, name: Bo Backup, role: duty, work_phone: "` + BackupPhone + `"}
rota:
  - {line: ` + LineID + `, level: duty, staff: dana}
  - {line: ` + LineID + `, level: backup, staff: bo}
policies:
  - {id: default, levels: [duty, backup], ack_timeout: 1h, rounds: 1}
`

// PublicURL is the public base URL every ingestion replica is configured
// with: the address of the load balancer in front of them, which Twilio
// signs. Webhooks are signed for it and posted to any replica.
const PublicURL = "http://helpline.invalid"

// Binaries are the programs the cluster runs.
type Binaries struct{ Helpline, NATSServer string }

// Build compiles helpline and nats-server (from the module's own
// dependency, so the version is go.mod's) into dir.
func Build(ctx context.Context, dir string) (Binaries, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{Helpline: filepath.Join(dir, "helpline"), NATSServer: filepath.Join(dir, "nats-server")}
	for out, pkg := range map[string]string{b.Helpline: "./cmd/helpline", b.NATSServer: "github.com/nats-io/nats-server/v2"} {
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", out, pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
		}
	}
	return b, nil
}

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// moduleRoot is the directory of the helpline module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the helpline module")
	}
	return filepath.Dir(mod), nil
}

// Config describes a cluster.
type Config struct {
	// Dir holds the nodes' storage, the services' data, config and logs.
	Dir string
	Bin Binaries
	// DatabaseURL is the projector's database (an empty, fresh one).
	DatabaseURL string
	// Twilio is where the services send SMS: a Twilio-compatible fake.
	TwilioAPIURL, TwilioAccountSID, TwilioAuthToken string
	// Lines is the YAML configuration (DefaultLines when empty).
	Lines string
	// Replicas per service; defaults: ingestion 2, triage 1,
	// notification 1, projector 1, console 0.
	Replicas map[string]int
	// LogLevel of the services (default "info").
	LogLevel string
	// Embedded runs the whole service as one `helpline run` process (its
	// NATS in process with fsync on every write, memory projections: the
	// default a new user starts) instead of three NATS nodes and a process
	// per service; DatabaseURL and Replicas are not used. The process is
	// the one service of role "ingestion" (it takes the webhooks).
	Embedded bool
}

// Roles are the services a cluster runs, in start order.
var Roles = []string{"ingestion", "triage", "notification", "projector", "console"}

// Cluster is the running processes.
type Cluster struct {
	cfg      Config
	NATS     []*Proc
	Services []*Proc
	// Master is the master key every service shares (the harness made it),
	// so a load generator can tell which pseudonym a number will get.
	Master  keyring.MasterKey
	natsURL string
	// auth holds each role's nkey seed, the servers' auth.conf and
	// cluster.conf, and tls/ the certificates.
	auth string
	env  []string // the services' environment, without their own addresses or credential
}

// Start brings the cluster up and returns once every process is ready.
// On error everything started is killed.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Lines == "" {
		cfg.Lines = DefaultLines
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	reps := map[string]int{"ingestion": 2, "triage": 1, "notification": 1, "projector": 1, "console": 0}
	for k, v := range cfg.Replicas {
		reps[k] = v
	}
	c := &Cluster{cfg: cfg}
	start := c.start
	if cfg.Embedded {
		start = c.startEmbedded
	}
	if err := start(ctx, reps); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, reps map[string]int) error {
	cfg := c.cfg
	natsConf, err := c.natsAuth(ctx)
	if err != nil {
		return err
	}
	tlsDir := filepath.Join(c.auth, "tls")
	var routes, clients []string
	type node struct{ client, http, cluster string }
	nodes := make([]node, 3)
	for i := range nodes {
		if nodes[i].client, err = freeAddr(); err != nil {
			return err
		}
		if nodes[i].http, err = freeAddr(); err != nil {
			return err
		}
		if nodes[i].cluster, err = freeAddr(); err != nil {
			return err
		}
		routes = append(routes, "nats://"+nodes[i].cluster)
		clients = append(clients, "tls://"+nodes[i].client)
	}
	c.natsURL = strings.Join(clients, ",")
	for i, n := range nodes {
		name := fmt.Sprintf("nats-%d", i+1)
		c.NATS = append(c.NATS, &Proc{Name: name, Role: "nats", HTTPAddr: n.http, bin: cfg.Bin.NATSServer,
			args: []string{"-c", natsConf}, logPath: filepath.Join(cfg.Dir, name+".log"),
			env: append(baseEnv(), "NATS_SERVER_NAME="+name, "NATS_LISTEN="+n.client, "NATS_HTTP="+n.http, "NATS_CLUSTER="+n.cluster,
				"NATS_ROUTE_1="+routes[0], "NATS_ROUTE_2="+routes[1], "NATS_ROUTE_3="+routes[2],
				"NATS_STORE_DIR="+filepath.Join(cfg.Dir, name), "NATS_TLS_CERT="+filepath.Join(tlsDir, natsauth.TLSCertFile),
				"NATS_TLS_KEY="+filepath.Join(tlsDir, natsauth.TLSKeyFile), "NATS_TLS_CA="+filepath.Join(tlsDir, natsauth.TLSCAFile))})
	}
	for _, p := range c.NATS {
		if err := p.Start(); err != nil {
			return err
		}
	}
	for _, p := range c.NATS {
		if err := WaitHTTP(ctx, "http://"+p.HTTPAddr+"/healthz", time.Minute); err != nil {
			return fmt.Errorf("%s: %w (log %s)", p.Name, err, p.logPath)
		}
	}

	env, err := c.commonEnv()
	if err != nil {
		return err
	}
	env = append(env, "HELPLINE_NATS_URL="+c.natsURL, "HELPLINE_DATABASE_URL="+cfg.DatabaseURL, "HELPLINE_NATS_CA_FILE="+c.CAFile())
	c.env = env
	migrate := c.Command(ctx, "migrate")
	if out, err := migrate.CombinedOutput(); err != nil {
		return fmt.Errorf("helpline migrate: %w\n%s", err, out)
	}
	for _, role := range Roles {
		for i := 1; i <= reps[role]; i++ {
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s-%d", role, i)
			data := filepath.Join(cfg.Dir, name)
			if err := os.MkdirAll(data, 0o700); err != nil {
				return err
			}
			c.Services = append(c.Services, &Proc{Name: name, Role: role, HTTPAddr: addr, bin: cfg.Bin.Helpline,
				args: []string{"serve", role}, logPath: filepath.Join(cfg.Dir, name+".log"),
				env: append(append([]string(nil), env...), "HELPLINE_HTTP_ADDR="+addr, "HELPLINE_DATA_DIR="+data, c.nkeyEnv(natsauth.Role(role)))})
		}
	}
	// The migration made the streams and the shared keys bucket; the
	// services start together (each creates only its own buckets), as a
	// deployment rolling out would.
	for _, p := range c.Services {
		if err := p.Start(); err != nil {
			return err
		}
	}
	for _, p := range c.Services {
		if err := c.WaitReady(ctx, p, 2*time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// commonEnv makes the master key every process shares and writes it and
// the lines' configuration into the cluster's directory, and returns the
// environment every helpline process of the cluster gets.
func (c *Cluster) commonEnv() ([]string, error) {
	cfg := c.cfg
	var secret [32]byte
	_, _ = rand.Read(secret[:])
	var err error
	if c.Master, err = keyring.NewMasterKey(secret[:]); err != nil {
		return nil, err
	}
	keyFile, confFile := filepath.Join(cfg.Dir, "master.key"), filepath.Join(cfg.Dir, "helpline.yaml")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(secret[:])+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(confFile, []byte(cfg.Lines), 0o600); err != nil {
		return nil, err
	}
	return append(baseEnv(), "HELPLINE_MASTER_KEY_FILE="+keyFile, "HELPLINE_CONFIG="+confFile, "HELPLINE_PUBLIC_URL="+PublicURL,
		"HELPLINE_TWILIO_ACCOUNT_SID="+cfg.TwilioAccountSID, "HELPLINE_TWILIO_AUTH_TOKEN="+cfg.TwilioAuthToken,
		"HELPLINE_TWILIO_API_URL="+cfg.TwilioAPIURL, "HELPLINE_LOG_FORMAT=json", "HELPLINE_LOG_LEVEL="+cfg.LogLevel,
		"HELPLINE_SHUTDOWN_TIMEOUT=5s"), nil
}

// startEmbedded starts the whole service as one `helpline run` process
// (Config.Embedded).
func (c *Cluster) startEmbedded(ctx context.Context, _ map[string]int) error {
	env, err := c.commonEnv()
	if err != nil {
		return err
	}
	c.env = env
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	data := filepath.Join(c.cfg.Dir, "run-1")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	p := &Proc{Name: "run-1", Role: "ingestion", HTTPAddr: addr, bin: c.cfg.Bin.Helpline,
		args: []string{"run"}, logPath: filepath.Join(c.cfg.Dir, "run-1.log"),
		env: append(append([]string(nil), env...), "HELPLINE_HTTP_ADDR="+addr, "HELPLINE_DATA_DIR="+data)}
	c.Services = append(c.Services, p)
	if err := p.Start(); err != nil {
		return err
	}
	return c.WaitReady(ctx, p, 2*time.Minute)
}

// Command is a helpline command (e.g. "users", "add", ...) against the
// cluster, with the services' environment and the admin user's credential
// (the setup user's for migrate).
func (c *Cluster) Command(ctx context.Context, args ...string) *exec.Cmd {
	role := natsauth.Admin
	if len(args) > 0 && args[0] == "migrate" {
		role = natsauth.Setup
	}
	cmd := exec.CommandContext(ctx, c.cfg.Bin.Helpline, args...)
	cmd.Env = append(append([]string(nil), c.env...), c.nkeyEnv(role))
	return cmd
}

// natsAuth makes what `helpline nats users` and `helpline nats tls` make
// for an operator (a seed per role, auth.conf, a certificate for
// loopback) and puts the shipped cluster.conf beside them, where its
// include finds auth.conf. It returns that cluster.conf.
func (c *Cluster) natsAuth(ctx context.Context) (string, error) {
	c.auth = filepath.Join(c.cfg.Dir, "nats-auth")
	if _, err := natsauth.Users(c.auth, natsauth.Roles()); err != nil {
		return "", err
	}
	if err := natsauth.WriteTLS(filepath.Join(c.auth, "tls"), []string{"127.0.0.1", "localhost"}, time.Now()); err != nil {
		return "", err
	}
	shipped, err := natsConfigPath(ctx)
	if err != nil {
		return "", err
	}
	conf, err := os.ReadFile(shipped)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.auth, "cluster.conf")
	return path, os.WriteFile(path, conf, 0o600)
}

// NkeyFile is the role's seed; CAFile the authority of the nodes' TLS
// certificates.
func (c *Cluster) NkeyFile(r natsauth.Role) string {
	return filepath.Join(c.auth, string(r)+natsauth.SeedExt)
}
func (c *Cluster) CAFile() string { return filepath.Join(c.auth, "tls", natsauth.TLSCAFile) }

// nkeyEnv points HELPLINE_NATS_NKEY_FILE at the role's seed.
func (c *Cluster) nkeyEnv(r natsauth.Role) string { return "HELPLINE_NATS_NKEY_FILE=" + c.NkeyFile(r) }

// Connect connects to the cluster as the admin user (what an operator's
// tools may do: read the log, look at streams and consumers).
func (c *Cluster) Connect(name string) (*nats.Conn, error) {
	cl := natsauth.Client{Role: natsauth.Admin, NkeyFile: c.NkeyFile(natsauth.Admin), CAFile: c.CAFile(), Name: name}
	return cl.Connect(c.natsURL, zerolog.Nop())
}

// WaitReady waits until p answers ready: /readyz for a service, /healthz
// (JetStream current) for a NATS node.
func (c *Cluster) WaitReady(ctx context.Context, p *Proc, wait time.Duration) error {
	path := "/readyz"
	if p.Role == "nats" {
		path = "/healthz"
	}
	// Stop waiting as soon as the process has exited: it will not get ready.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for ctx.Err() == nil && p.Running() {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
		cancel()
	}()
	if err := WaitHTTP(ctx, "http://"+p.HTTPAddr+path, wait); err != nil {
		if !p.Running() {
			err = errors.New("exited")
		}
		return fmt.Errorf("%s not ready: %w (log %s)", p.Name, err, p.logPath)
	}
	return nil
}

// Close kills every process, services first.
func (c *Cluster) Close() {
	for _, p := range c.Services {
		_ = p.Kill()
	}
	for _, p := range c.NATS {
		_ = p.Kill()
	}
}

// Stop shuts every service down gracefully, then the NATS nodes.
func (c *Cluster) Stop() {
	for _, p := range c.Services {
		_ = p.Stop(10 * time.Second)
	}
	for _, p := range c.NATS {
		_ = p.Stop(10 * time.Second)
	}
}

// NATSURL is the client URL of every node, comma-separated.
func (c *Cluster) NATSURL() string { return c.natsURL }

// Role returns the processes of one service.
func (c *Cluster) Role(role string) []*Proc {
	var out []*Proc
	for _, p := range c.Services {
		if p.Role == role {
			out = append(out, p)
		}
	}
	return out
}

// Pseudonym is the label a number texting the cluster's line gets.
func (c *Cluster) Pseudonym(number string) string {
	pz := keyring.NewPseudonymizer(c.Master)
	return pz.Display(pz.ClientID(LineID, number), keyring.DefaultDisplayLen)
}

// WaitHTTP polls url until it answers 200 or wait passes.
func WaitHTTP(ctx context.Context, url string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	step := 20 * time.Millisecond
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", url, last)
		case <-time.After(step):
		}
		step = min(2*step, 250*time.Millisecond)
	}
}

// natsConfigPath is deploy/nats/cluster.conf in the module.
func natsConfigPath(ctx context.Context) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "deploy", "nats", "cluster.conf"), nil
}

// baseEnv is the harness's environment without any HELPLINE_ variable, so
// a developer's settings never leak into the cluster.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELPLINE_") {
			out = append(out, kv)
		}
	}
	return out
}

// freeAddr returns a loopback address with a port free now, below the
// ephemeral range and never one this process returned before (two nodes of
// one cluster once got the same monitoring port: "bind: address already in
// use"); see internal/freeport.
func freeAddr() (string, error) { return freeport.Addr() }
