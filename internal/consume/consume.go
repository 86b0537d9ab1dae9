// Package consume runs a service's event handlers: each on its own durable
// JetStream consumer (explicit acks, position kept across restarts), on a
// watermill router with a recoverer, retries with backoff, and a poison
// queue for events a handler can never process. Transient failures are
// never dead-lettered: a page that cannot be sent now is retried until it
// can, because a dead-lettered page is a missed page.
package consume

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/wmjetstream"
)

// Handler handles one event. Handlers are idempotent: a redelivered event
// changes nothing twice. Returning an error retries the event; wrap it
// with Permanent to send it to the dead-letter stream instead.
type Handler func(ctx context.Context, e events.Envelope) error

// permanentError marks an event that can never be processed.
type permanentError struct{ err error }

func (p permanentError) Error() string { return "permanent: " + p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one retrying cannot fix (an undecodable event, a
// payload that breaks an invariant): the event goes to the dead-letter
// stream for an operator, and the handler moves on.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Spec describes one handler and its consumer.
type Spec struct {
	// Name is the durable consumer's name and the handler's: unique per
	// service and stable across releases (renaming it replays the log).
	Name string
	// Filter is the subject filter, e.g. events.AggregateSubjects("conversation").
	Filter  string
	Handler Handler
}

// Config tunes every handler of a router.
type Config struct {
	AckWait    time.Duration // default 30s
	NackDelay  time.Duration // default 2s: wait before redelivering a failed event
	Retries    int           // in-process retries before the nack; default 3
	RetryWait  time.Duration // first retry wait; default 100ms, doubling to 2s
	CloseAfter time.Duration // how long Close waits for handlers; default 10s
}

func (c *Config) setDefaults() {
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.NackDelay == 0 {
		c.NackDelay = 2 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 3
	}
	if c.RetryWait == 0 {
		c.RetryWait = 100 * time.Millisecond
	}
	if c.CloseAfter == 0 {
		c.CloseAfter = 10 * time.Second
	}
}

// Router runs handlers until its context ends.
type Router struct {
	r       *message.Router
	metrics *metrics
}

type metrics struct {
	handled  *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewRouter builds a router whose handlers consume from store's stream and
// dead-letter to helpline.dlq.<handler name>.
func NewRouter(js jetstream.JetStream, store *events.Store, cfg Config, specs []Spec, reg prometheus.Registerer, log zerolog.Logger) (*Router, error) {
	cfg.setDefaults()
	wlog := zlogAdapter{log: log.With().Str("component", "router").Logger()}
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseAfter}, wlog)
	if err != nil {
		return nil, err
	}
	pub, err := wmjetstream.NewPublisher(js, wmjetstream.PublisherConfig{}, wlog)
	if err != nil {
		return nil, err
	}
	m := &metrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_events_handled_total",
			Help: "Events handled, by handler and outcome (ok, retry, dead_letter)."}, []string{"handler", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "helpline_event_handler_seconds",
			Help: "Event handler latency.", Buckets: prometheus.DefBuckets}, []string{"handler"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.handled, m.duration} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					return nil, err
				}
			}
		}
	}
	r.AddMiddleware(middleware.Recoverer)
	for _, s := range specs {
		if err := events.ValidateID(s.Name); err != nil {
			return nil, fmt.Errorf("handler name: %w", err)
		}
		sub, err := wmjetstream.NewSubscriber(js, wmjetstream.SubscriberConfig{
			Stream:     store.Config().Stream,
			Durable:    func(string) string { return s.Name },
			AckWait:    cfg.AckWait,
			MaxDeliver: -1, // never give up on an event: see the package doc
			NackDelay:  cfg.NackDelay,
			// A few messages per pull request: one request per message
			// costs a round trip each. Handlers take milliseconds, far
			// below the ack wait the buffered ones run down meanwhile.
			FetchBatch: 4,
		}, wlog)
		if err != nil {
			return nil, err
		}
		poison, err := middleware.PoisonQueueWithFilter(pub, events.DeadLetterSubjectPrefix+"."+s.Name, IsPermanent)
		if err != nil {
			return nil, err
		}
		retry := middleware.Retry{MaxRetries: cfg.Retries, InitialInterval: cfg.RetryWait, MaxInterval: 2 * time.Second, Multiplier: 2,
			ShouldRetry: func(p middleware.RetryParams) bool { return !IsPermanent(p.Err) }, Logger: wlog}
		h := r.AddConsumerHandler(s.Name, s.Filter, sub, m.wrap(s, log))
		h.AddMiddleware(poison, retry.Middleware)
	}
	return &Router{r: r, metrics: m}, nil
}

// wrap decodes the envelope and calls the handler.
func (m *metrics) wrap(s Spec, log zerolog.Logger) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		start := time.Now()
		defer func() { m.duration.WithLabelValues(s.Name).Observe(time.Since(start).Seconds()) }()
		var seq uint64
		_, _ = fmt.Sscan(msg.Metadata.Get("js_stream_seq"), &seq)
		e, err := events.Unmarshal(msg.Payload, seq)
		if err != nil {
			m.handled.WithLabelValues(s.Name, "dead_letter").Inc()
			log.Error().Err(err).Str("handler", s.Name).Uint64("seq", seq).Msg("undecodable event: dead-lettered")
			return Permanent(err)
		}
		err = s.Handler(msg.Context(), e)
		switch {
		case err == nil:
			m.handled.WithLabelValues(s.Name, "ok").Inc()
		case IsPermanent(err):
			m.handled.WithLabelValues(s.Name, "dead_letter").Inc()
			log.Error().Err(err).Str("handler", s.Name).Str("event", e.ID).Str("type", e.Type).Str("correlation_id", e.CorrelationID).Msg("event dead-lettered")
		default:
			m.handled.WithLabelValues(s.Name, "retry").Inc()
			log.Warn().Err(err).Str("handler", s.Name).Str("event", e.ID).Str("type", e.Type).Str("correlation_id", e.CorrelationID).Msg("handler failed; will retry")
		}
		return err
	}
}

// Run runs the handlers until ctx ends, then waits for them to finish.
//
// Shutdown is not a failure: when ctx ends, even while handlers are still
// subscribing, Run returns nil.
func (r *Router) Run(ctx context.Context) error {
	err := r.r.Run(ctx)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Running is closed once every handler is subscribed.
func (r *Router) Running() chan struct{} { return r.r.Running() }

// zlogAdapter is watermill's logger on zerolog.
type zlogAdapter struct{ log zerolog.Logger }

func (z zlogAdapter) fields(e *zerolog.Event, f watermill.LogFields) *zerolog.Event {
	for k, v := range f {
		e = e.Interface(k, v)
	}
	return e
}
func (z zlogAdapter) Error(msg string, err error, f watermill.LogFields) {
	z.fields(z.log.Error().Err(err), f).Msg(msg)
}
func (z zlogAdapter) Info(msg string, f watermill.LogFields)  { z.fields(z.log.Debug(), f).Msg(msg) }
func (z zlogAdapter) Debug(msg string, f watermill.LogFields) { z.fields(z.log.Debug(), f).Msg(msg) }
func (z zlogAdapter) Trace(msg string, f watermill.LogFields) { z.fields(z.log.Trace(), f).Msg(msg) }
func (z zlogAdapter) With(f watermill.LogFields) watermill.LoggerAdapter {
	c := z.log.With()
	for k, v := range f {
		c = c.Interface(k, v)
	}
	return zlogAdapter{log: c.Logger()}
}
