// Package natsembed runs the in-process NATS server of the embedded default:
// JetStream on a data directory, every write fsynced, no network port unless
// an operator asks for one, and then nobody on it without a credential. It
// holds the data directory's lock: one process serves a data directory.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/natsauth"
)

// Config configures the embedded server.
type Config struct {
	// DataDir is where JetStream keeps its files (the server adds
	// DataDir/jetstream).
	DataDir string
	// ListenAddr, when set (host:port), opens a client port so an operator
	// can point the nats CLI at the server. Empty means in-process only.
	ListenAddr string
	// ServerName defaults to "helpline-embedded".
	ServerName string
	// ReadyTimeout bounds start-up; default 10s.
	ReadyTimeout time.Duration
	// NoSync turns off fsync on every write. Only benchmarks that measure
	// its cost set it; it loses acknowledged writes on power failure.
	NoSync bool
}

// Server is a running embedded NATS server.
type Server struct {
	ns   *server.Server
	lock *dirLock
	// self is the in-process connections' nkey: made at start, never
	// written anywhere, admitted only in process, with every permission.
	self nkeys.KeyPair
	// adminSeed is the port's credential (empty without a port).
	adminSeed string
	log       zerolog.Logger
}

// AdminNkeyFile is where the credential of the embedded server's port is
// kept: the admin user's nkey seed, made on first use (0600).
func AdminNkeyFile(dataDir string) string {
	return filepath.Join(dataDir, "nats", string(natsauth.Admin)+natsauth.SeedExt)
}

// Start takes the data directory's lock (a *LockedError if another process
// holds it), starts the server and waits until it accepts connections.
func Start(cfg Config, log zerolog.Logger) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("natsembed: DataDir is required")
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "helpline-embedded"
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 10 * time.Second
	}
	lock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s, err := start(cfg, lock, log)
	if err != nil {
		lock.unlock()
		return nil, err
	}
	return s, nil
}

func start(cfg Config, lock *dirLock, log zerolog.Logger) (*Server, error) {
	opts := &server.Options{
		ServerName: cfg.ServerName,
		JetStream:  true,
		StoreDir:   cfg.DataDir,
		NoSigs:     true,
		// sync_interval: always. nats-server otherwise fsyncs every two
		// minutes, and the Jepsen analysis of 2.12.1 lost acknowledged
		// writes on power failure; a lost crisis message is a real harm.
		SyncAlways: !cfg.NoSync,
	}
	self, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("nkey: %w", err)
	}
	selfPub, _ := self.PublicKey()
	s := &Server{lock: lock, self: self, log: log.With().Str("component", "nats").Logger()}
	users := []natsauth.User{{PublicKey: selfPub, InProcessOnly: true}}
	if cfg.ListenAddr == "" {
		opts.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(cfg.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.ListenAddr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
		// The port admits the admin user only, with its generated seed:
		// nobody reaches the log anonymously.
		seed, created, err := natsauth.LoadOrCreateSeed(AdminNkeyFile(cfg.DataDir), natsauth.Admin)
		if err != nil {
			return nil, err
		}
		if created {
			s.log.Info().Str("file", seed.Path).Msg("generated the credential of the embedded NATS port (an nkey seed, 0600): keep it secret")
		}
		s.adminSeed = seed.Path
		users = append(users, seed.User())
	}
	if opts.Nkeys, err = natsauth.ServerUsers(users); err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	ns.SetLoggerV2(&zlog{log: s.log}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(cfg.ReadyTimeout) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server not ready within %s", cfg.ReadyTimeout)
	}
	s.ns = ns
	h := Holder{PID: os.Getpid(), Command: strings.Join(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), " ")}
	if cfg.ListenAddr != "" {
		h.NATSURL, h.NkeyFile = ns.ClientURL(), s.adminSeed
		s.log.Info().Str("url", h.NATSURL).Str("nkey_file", h.NkeyFile).
			Msg("embedded NATS port open: clients need the admin credential (nats --nkey FILE --inbox-prefix " + natsauth.Admin.InboxPrefix() + ")")
	}
	if err := lock.write(h); err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	return s, nil
}

// Connect opens an in-process client connection, with every permission,
// its reports in the structured log.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	pub, _ := s.self.PublicKey()
	opts := append(natsauth.LogOptions(s.log), nats.InProcessServer(s.ns), nats.Name(name), nats.MaxReconnects(-1),
		nats.Nkey(pub, s.self.Sign))
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect in-process: %w", err)
	}
	return nc, nil
}

// ClientURL is the server's client URL when it listens on a port.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Shutdown stops the server and waits for it, flushing JetStream, then
// releases the data directory.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.self.Wipe()
	s.lock.unlock()
}

// zlog adapts nats-server's logger to zerolog.
type zlog struct{ log zerolog.Logger }

// Noticef is the server's start-up banner and routine notices: debug.
func (l *zlog) Noticef(format string, v ...any) { l.log.Debug().Msgf(format, v...) }
func (l *zlog) Warnf(format string, v ...any)   { l.log.Warn().Msgf(format, v...) }
func (l *zlog) Fatalf(format string, v ...any)  { l.log.Error().Msgf(format, v...) }
func (l *zlog) Errorf(format string, v ...any)  { l.log.Error().Msgf(format, v...) }
func (l *zlog) Debugf(format string, v ...any)  { l.log.Debug().Msgf(format, v...) }
func (l *zlog) Tracef(format string, v ...any)  { l.log.Trace().Msgf(format, v...) }
