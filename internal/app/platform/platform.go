// Package platform is what every helpline service stands on, opened the
// same way by processes (internal/app), the command-line tools and the
// test beds: the log (the embedded NATS server or an external cluster),
// the event store over it, the keyring, the metrics registry, and the
// receiver through which messages enter the log.
package platform

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/natsembed"
)

// Config is what a platform is opened from.
type Config struct {
	// Env gives the log (NATSURL, or the embedded server in DataDir), the
	// streams' replicas and dedupe window, and the master key file.
	Env config.Env
	// Name names the NATS connection (helpline-run, helpline-triage, ...);
	// default "helpline".
	Name string
	// Role is the NATS user the platform connects as to an external NATS
	// (with Env's HELPLINE_NATS_NKEY_FILE), and says whether it
	// provisions the log (see Provisions); default natsauth.Run.
	Role natsauth.Role
}

// SetDefaults fills unset fields.
func (c *Config) SetDefaults() {
	c.Name = cmp.Or(c.Name, "helpline")
	c.Role = cmp.Or(c.Role, natsauth.Run)
}

// Provisions reports whether a platform of role creates and updates the
// streams and the shared keys bucket: the setup user (helpline migrate),
// and `helpline run` (or a test bed) on its own embedded server. Services
// and administrative commands open what exists and change no
// configuration: their NATS users may not.
func Provisions(env config.Env, role natsauth.Role) bool {
	return role == natsauth.Setup || (env.Embedded() && role == natsauth.Run)
}

// Validate reports a configuration that cannot open a platform.
func (c Config) Validate() error {
	var errs []error
	if c.Env.Embedded() && c.Env.DataDir == "" {
		errs = append(errs, fmt.Errorf("%s is empty: the embedded server needs a data directory", config.VarDataDir))
	}
	if c.Env.Replicas < 1 {
		errs = append(errs, fmt.Errorf("%s: want at least 1 replica, have %d", config.VarReplicas, c.Env.Replicas))
	}
	if c.Env.MasterKeyFile == "" {
		errs = append(errs, fmt.Errorf("%s is empty", config.VarMasterKeyFile))
	}
	return errors.Join(errs...)
}

// Platform is what every service stands on: the log (embedded or
// external), the event store over it, the keyring, and the metrics
// registry. The command-line tools open one by itself; a process opens
// one, or builds on a test bed's.
type Platform struct {
	Env     config.Env
	JS      jetstream.JetStream
	Store   *events.Store
	Metrics *prometheus.Registry
	Log     zerolog.Logger

	embedded  *natsembed.Server
	nc        *nats.Conn
	provision bool

	keysMu sync.Mutex
	keys   *keyring.Keyring
	pseudo *keyring.Pseudonymizer

	convsOnce sync.Once
	convs     *events.Conversations

	groupOnce sync.Once
	group     *events.GroupCommit
}

// Conversations is the process's one conversation repository, shared by
// the services it holds (ingestion's receiver, triage, notification), so
// that one follower of the log (consume.FollowConversations, which the
// process runs) keeps one cache of conversations current for all of them.
func (p *Platform) Conversations() *events.Conversations {
	p.convsOnce.Do(func() {
		p.convs, _ = events.NewConversations(p.Store, events.DefaultConversationCacheSize) // size > 0: cannot fail
	})
	return p.convs
}

// Grouped is the process's conversation repository appending through its
// one GroupCommit: the handlers of triage and notification, many
// conversations at once, append through it, so that appends waiting
// together share one write of the log (an atomic batch, one fsync), each
// handler's returning only once its own events are durable. It shares
// Conversations' cache.
func (p *Platform) Grouped() *events.Conversations {
	p.groupOnce.Do(func() { p.group = events.NewGroupCommit(p.Store, events.GroupCommitConfig{}) })
	return p.Conversations().Through(p.group)
}

// Open connects to the log (starting the embedded server, which takes the
// data directory's lock, when no external NATS is configured; otherwise as
// cfg.Role's NATS user) and opens the streams, creating or updating them
// if the role provisions. An administrative command on a fresh embedded
// data directory creates them.
func Open(ctx context.Context, cfg Config, log zerolog.Logger) (*Platform, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env, name := cfg.Env, cfg.Name
	p := &Platform{Env: env, Log: log, Metrics: prometheus.NewRegistry(), provision: Provisions(cfg.Env, cfg.Role)}
	p.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if env.Embedded() {
		p.embedded, err = natsembed.Start(natsembed.Config{DataDir: env.DataDir, ListenAddr: env.NATSListen}, log)
		if err != nil {
			return nil, fmt.Errorf("embedded nats: %w", err)
		}
		p.nc, err = p.embedded.Connect(name)
	} else {
		c := natsauth.Client{Role: cfg.Role, NkeyFile: env.NATSNkeyFile, CAFile: env.NATSCAFile, Name: name}
		p.nc, err = c.Connect(env.NATSURL, log)
	}
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	if p.JS, err = jetstream.New(p.nc); err != nil {
		p.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	scfg := events.StoreConfig{Replicas: env.Replicas, Duplicates: env.DuplicatesWindow}
	if p.provision {
		p.Store, err = events.NewStore(sctx, p.JS, scfg, log)
	} else if p.Store, err = events.OpenStore(sctx, p.JS, scfg, log); errors.Is(err, events.ErrNoStreams) && env.Embedded() {
		p.Store, err = events.NewStore(sctx, p.JS, scfg, log)
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Keys opens the keyring on first use and returns it with the
// pseudonymizer. The embedded default generates a master key on first run
// (with a warning to back it up); against an external NATS the key must
// exist, or each replica would make its own and none could read the
// others' data. The platform closes the keyring.
func (p *Platform) Keys(ctx context.Context) (*keyring.Keyring, *keyring.Pseudonymizer, error) {
	p.keysMu.Lock()
	defer p.keysMu.Unlock()
	if p.keys != nil {
		return p.keys, p.pseudo, nil
	}
	master, created, err := keyring.LoadOrCreateMasterKey(p.Env.MasterKeyFile, p.Env.Embedded())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", config.VarMasterKeyFile, err)
	}
	if created {
		p.Log.Warn().Str("file", p.Env.MasterKeyFile).
			Msg("generated a new master key: back it up and keep it secret; without it no stored message can be read")
	}
	if p.provision {
		if _, err := keyring.EnsureBucket(ctx, p.JS, keyring.BucketConfig{Replicas: p.Env.Replicas}); err != nil {
			return nil, nil, err
		}
	}
	keys, err := keyring.New(ctx, p.JS, keyring.Config{Master: master}, p.Log)
	if err != nil {
		return nil, nil, err
	}
	p.keys, p.pseudo = keys, keyring.NewPseudonymizer(master)
	return p.keys, p.pseudo, nil
}

// Close closes the keyring, drains the connection (finishing in-flight
// publishes and acks) and stops the embedded server, flushing it to disk.
func (p *Platform) Close() {
	p.keysMu.Lock()
	if p.keys != nil {
		p.keys.Close()
		p.keys = nil
	}
	p.keysMu.Unlock()
	if p.nc != nil {
		if err := p.nc.Drain(); err != nil {
			p.nc.Close()
		}
		for i := 0; i < 100 && !p.nc.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if p.embedded != nil {
		p.embedded.Shutdown()
	}
}
