// Package natsembed runs the in-process NATS server of the embedded default:
// JetStream on a data directory, every write fsynced, no network port unless
// an operator asks for one.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
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
	ns *server.Server
}

// Start starts the server and waits until it accepts connections.
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
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	ns.SetLoggerV2(&zlog{log: log.With().Str("component", "nats").Logger()}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(cfg.ReadyTimeout) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server not ready within %s", cfg.ReadyTimeout)
	}
	return &Server{ns: ns}, nil
}

// Connect opens an in-process client connection.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(s.ns), nats.Name(name), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("connect in-process: %w", err)
	}
	return nc, nil
}

// ClientURL is the server's client URL when it listens on a port.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Shutdown stops the server and waits for it, flushing JetStream.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
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
