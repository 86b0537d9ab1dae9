// Package natstest starts real NATS servers for tests: one in-process node,
// or a cluster of several in one process; opens the event log on one
// (Log); and runs benchmarks that time a path against raw JetStream
// publishes on the same server (BenchVersusRaw).
package natstest

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/freeport"
)

// Server starts a JetStream server with file storage in dir (t.TempDir()
// when dir is empty) and fsync on every write, as in production.
func Server(t testing.TB, dir string) *server.Server {
	t.Helper()
	return ServerWith(t, dir, nil)
}

// ServerWith is Server with options changed by configure (when not nil):
// a lower max_payload, say.
func ServerWith(t testing.TB, dir string, configure func(*server.Options)) *server.Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	o := &server.Options{JetStream: true, StoreDir: dir, Port: -1, NoSigs: true, SyncAlways: true, ProfBlockRate: blockProfileRate()}
	if configure != nil {
		configure(o)
	}
	s := start(t, o)
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// blockProfileRate is the blocking profile's rate go test was asked for
// (-blockprofile, -blockprofilerate), 0 when none: a server's Start sets
// the process's rate to its own option, and would otherwise switch the
// test's profile off (make profile-webhook's blocking profile came out
// empty).
func blockProfileRate() int {
	if f := flag.Lookup("test.blockprofile"); f == nil || f.Value.String() == "" {
		return 0
	}
	rate, err := strconv.Atoi(flag.Lookup("test.blockprofilerate").Value.String())
	if err != nil {
		return 0
	}
	return rate
}

func start(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	return s
}

// Connect returns a client connection and its JetStream context, closed at
// the end of the test.
func Connect(t testing.TB, urls string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("connect %s: %v", urls, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// JetStream is the JetStream context of a client connected (Connect) to
// a server of the test's own (Server, in a temporary directory).
func JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	_, js := Connect(t, Server(t, "").ClientURL())
	return js
}

// Log is the event log (events.Store, default configuration) on a server
// of its own (Server), and the JetStream context it is on.
func Log(t testing.TB) (jetstream.JetStream, *events.Store) {
	t.Helper()
	return LogOn(t, Server(t, ""))
}

// LogOn is the event log (events.Store, default configuration) on s, and
// the JetStream context it is on.
func LogOn(t testing.TB, s *server.Server) (jetstream.JetStream, *events.Store) {
	t.Helper()
	_, js := Connect(t, s.ClientURL())
	store, err := events.NewStore(context.Background(), js, events.StoreConfig{}, zerolog.Nop())
	if err != nil {
		t.Fatalf("event store: %v", err)
	}
	return js, store
}

// Cluster is n JetStream servers routed together in one process.
type Cluster struct {
	Servers []*server.Server
	opts    []*server.Options
}

// StartCluster starts an n-node cluster, each node with its own store
// directory, all fsyncing every write.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	ports := freePorts(t, n)
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	c := &Cluster{}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			SyncAlways: true,
			Cluster:    server.ClusterOpts{Name: "helpline-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     server.RoutesFromStr(joinComma(routes)),
		}
		c.opts = append(c.opts, o)
		c.Servers = append(c.Servers, start(t, o))
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			if s != nil {
				s.Shutdown()
				s.WaitForShutdown()
			}
		}
	})
	return c
}

// URLs returns the client URLs of the running nodes, comma-separated.
func (c *Cluster) URLs() string {
	var urls []string
	for _, s := range c.Servers {
		if s != nil && s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return joinComma(urls)
}

// Stop shuts node i down (its files stay).
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}

// Restart starts node i again on the same store directory and cluster port.
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	o := c.opts[i].Clone()
	o.Port = -1
	c.Servers[i] = start(t, o)
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		p, err := freeport.Port()
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		ports = append(ports, p)
	}
	return ports
}

func joinComma(ss []string) string { return strings.Join(ss, ",") }

// Written returns, per stream, how many messages it has stored since it
// was made (its last sequence): a key-value bucket that keeps one value
// per key still counts every write. With fsync on every write, each is
// one fsync.
func Written(t testing.TB, js jetstream.JetStream) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	l := js.ListStreams(context.Background())
	for info := range l.Info() {
		out[info.Config.Name] = info.State.LastSeq
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
