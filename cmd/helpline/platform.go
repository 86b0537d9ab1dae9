package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/natsembed"
)

// platform is what every service stands on: the log (embedded or
// external), the event store over it, and the metrics registry.
type platform struct {
	env      config.Env
	log      zerolog.Logger
	embedded *natsembed.Server
	nc       *nats.Conn
	js       jetstream.JetStream
	store    *events.Store
	metrics  *prometheus.Registry
}

// openPlatform connects to the log and makes sure the streams exist.
func openPlatform(ctx context.Context, env config.Env, log zerolog.Logger, name string) (*platform, error) {
	p := &platform{env: env, log: log, metrics: prometheus.NewRegistry()}
	p.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if env.Embedded() {
		p.embedded, err = natsembed.Start(natsembed.Config{DataDir: env.DataDir, ListenAddr: env.NATSListen}, log)
		if err != nil {
			return nil, fmt.Errorf("embedded nats: %w", err)
		}
		p.nc, err = p.embedded.Connect(name)
	} else {
		p.nc, err = nats.Connect(env.NATSURL, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn().Err(err).Msg("nats disconnected") }),
			nats.ReconnectHandler(func(*nats.Conn) { log.Info().Msg("nats reconnected") }))
	}
	if err != nil {
		p.close()
		return nil, fmt.Errorf("connect nats: %w", err)
	}
	p.js, err = jetstream.New(p.nc)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	p.store, err = events.NewStore(sctx, p.js, events.StoreConfig{Replicas: env.Replicas, Duplicates: env.DuplicatesWindow}, log)
	if err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// close drains the connection (finishing in-flight publishes and acks) and
// stops the embedded server, flushing it to disk.
func (p *platform) close() {
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
