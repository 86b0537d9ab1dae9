// Package consume runs a service's event handlers, each one of two kinds
// of Spec. A Shared handler has its own durable JetStream consumer
// (explicit acks, position kept across restarts) that the service's
// replicas share, on a watermill router with a recoverer, retries with
// backoff, and a poison queue for events a handler can never process. A
// Local one is this process following the log on its own (a read model,
// a cache), with nothing kept on the server.
//
// Transient failures are never dead-lettered: a page that cannot be sent now is retried until it
// can, because a dead-lettered page is a missed page. A failure the event
// log reports as permanent (events.ErrPermanent: an event over its size
// limit, say) is retried a few times in process, then dead-lettered, so
// that one bad event does not hold its handler back forever (a Local
// handler passes it over: every process would dead-letter the same one).
// Every dead letter is counted (helpline_events_dead_lettered_total) and logged at
// error level.
package consume

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/wmjetstream"
)

// Handler handles one event. Handlers are idempotent: a redelivered event
// changes nothing twice. Returning an error retries the event; wrap it
// with Permanent to send it to the dead-letter stream instead. An error
// that is events.ErrPermanent goes there after Config.Retries retries.
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

// deadLetter says why an event whose handling ended with err goes to the
// dead-letter stream, or "" if it does not: marked Permanent by the
// handler, or refused for good by the event log (the in-process retries
// are spent by then).
func deadLetter(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.As(err, new(undecodable)):
		return "undecodable"
	case IsPermanent(err):
		return "permanent"
	case errors.Is(err, events.ErrPermanent):
		return "log_refused"
	}
	return ""
}

// undecodable is an event the envelope codec cannot read.
type undecodable struct{ err error }

func (u undecodable) Error() string { return "undecodable event: " + u.err.Error() }
func (u undecodable) Unwrap() error { return u.err }

// Spec is one handler and how it reads the log, one of two kinds: Shared,
// a durable consumer the replicas of a service share, each event handed
// to one of them; or Local, this process following the log on its own.
// Each kind holds only what applies to it, so a combination that means
// nothing (a batch on a shared consumer, a shared consumer that is both
// in stream order and in parallel) does not compile.
type Spec interface {
	// handlerName is the Name of the handler and of its consumer.
	handlerName() string
}

var (
	_ Spec = Shared{}
	_ Spec = Local{}
)

// Shared is a handler on a durable consumer shared by every process that
// runs it (a service's replicas): each event is handed to one of them and
// acknowledged once handled; the server keeps the position across
// restarts. A failure is retried in process, then the event is
// redelivered; one that can never be handled goes to the dead-letter
// stream.
type Shared struct {
	// Name is the durable consumer's name and the handler's: unique per
	// service and stable across releases (renaming it replays the log).
	Name string
	// Filter is the subject filter, e.g. events.AggregateSubjects("conversation").
	Filter  string
	Handler Handler
	// Order is the order events are handed over in: AnyOrder{} (what a
	// nil Order means), InOrder{} or PerAggregate{}.
	Order Order
}

// Order is how a Shared consumer hands its handler events: AnyOrder,
// InOrder or PerAggregate.
type Order interface {
	// subscribe sets the subscription's configuration for the order.
	subscribe(sc *wmjetstream.SubscriberConfig, cfg Config)
}

var (
	_ Order = AnyOrder{}
	_ Order = InOrder{}
	_ Order = PerAggregate{}
)

// AnyOrder hands over a few events per pull request, one at a time; one
// that failed is redelivered after later ones.
type AnyOrder struct{}

func (AnyOrder) subscribe(*wmjetstream.SubscriberConfig, Config) {}

// InOrder hands the handler its events strictly in stream order: at most
// one is in flight across every process sharing the consumer
// (MaxAckPending 1), and one that failed is redelivered before any later
// one. A projection, whose checkpoint must never pass an event it has not
// applied, needs it; it costs an ack round trip per event.
type InOrder struct{}

func (InOrder) subscribe(sc *wmjetstream.SubscriberConfig, _ Config) {
	// The server delivers nothing more while one event is
	// unacknowledged, and redeliveries go before new events.
	sc.MaxAckPending, sc.FetchBatch = 1, 1
}

// PerAggregate handles events of different aggregates (conversations) at
// once, up to Config.InFlight per process, and the events of one aggregate
// one after another in stream order: one that fails is retried in place,
// before any later event of its aggregate. For handlers whose effects are
// per aggregate and appended with its expected sequence, so that a
// redelivery records nothing twice. Replicas share the consumer as
// before; two replicas may still hold events of one aggregate at once (the
// expected sequence decides).
type PerAggregate struct {
	// Urgent, when set, is asked of every event the handler's
	// subscription receives, before its turn: true hands the event's
	// aggregate over first, its earlier events in order before it
	// (wmjetstream.SubscriberConfig.Urgent). The subscription then holds
	// up to Config.LookAhead events, of which Config.InFlight are handled
	// at once: behind a backlog, an urgent event (a crisis text) is found
	// among the next LookAhead and does not wait for those before it. It
	// decides only the order across aggregates: what it says of an event
	// changes nothing of how that event is handled.
	Urgent func(ctx context.Context, e events.Envelope) bool
}

func (p PerAggregate) subscribe(sc *wmjetstream.SubscriberConfig, cfg Config) {
	// Many events in flight, keyed by aggregate: a batch per pull
	// request, and room on the server for every replica's.
	sc.Key, sc.InFlight, sc.FetchBatch = aggregateOf, cfg.InFlight, min(cfg.InFlight, 16)
	if p.Urgent != nil {
		// Hold far more than are handled, to find the urgent ones, with
		// room on the server for several replicas' look-ahead, and pull
		// in larger batches.
		sc.Urgent, sc.LookAhead = p.urgent, max(cfg.LookAhead, cfg.InFlight)
		sc.MaxAckPending, sc.FetchBatch = lookAheadReplicas*sc.LookAhead, min(sc.LookAhead, 512)
	}
}

// urgent is Urgent on a received message's data: one that does not decode
// is not urgent (its handling dead-letters it).
func (p PerAggregate) urgent(ctx context.Context, _ string, data []byte) bool {
	e, err := events.Unmarshal(data, 0)
	if err != nil {
		return false
	}
	return p.Urgent(ctx, e)
}

func (s Shared) handlerName() string { return s.Name }

// Local is a handler this process follows the log with on its own instead
// of sharing a durable consumer: an ordered consumer, in stream order,
// with nothing acknowledged and no position kept by the server (no write
// to the log's disk per event), starting after From(). For a read model in
// memory, which each process holds whole and rebuilds at start: a durable
// consumer shared by several processes would hand each only part of the
// events, and its saved position is worth nothing to a model rebuilt
// anyway. A failure is retried in place; an event that can never be
// applied is counted, logged and passed over (every process would
// dead-letter the same one).
type Local struct {
	// Name is the handler's: unique in the process.
	Name string
	// Filter is the subject filter, e.g. events.AggregateSubjects("conversation").
	Filter  string
	Handler Handler
	// From returns the last stream sequence the handler already has
	// (required).
	From func() uint64
	// New has a follower whose From is 0 start after the log's last event
	// as it is when the follower starts, instead of the log's first: for
	// a cache, which needs nothing from before it started.
	New bool
	// Skip, when set, is asked first of every event the follower
	// receives, with its subject and stream sequence, before the event is
	// decoded: true means the handler has nothing to do with it (a cache
	// that holds it already), and it counts as handled without being
	// decoded (so an undecodable one is not counted as dead-lettered
	// either). For a follower most of whose events need no decoding.
	Skip func(subject string, seq uint64) bool
	// Batch, when set, is handed the events the follower has at hand at
	// once, in stream order: those the server said follow the one
	// received, up to maxBatch, instead of one Handler call each (a
	// projection applies them in one transaction: behind the log, one
	// round trip per event is what keeps it behind). A failure is retried
	// in place, the whole batch; a permanent one has the batch handed to
	// Handler event by event, so only the event that can never be applied
	// is passed over.
	Batch func(ctx context.Context, es []events.Envelope) error
}

func (l Local) handlerName() string { return l.Name }

// Config tunes every handler of a router.
type Config struct {
	AckWait    time.Duration // default 30s
	NackDelay  time.Duration // default 2s: wait before redelivering a failed event
	Retries    int           // in-process retries before the nack; default 3
	RetryWait  time.Duration // first retry wait; default 100ms, doubling to 2s
	CloseAfter time.Duration // how long Close waits for handlers; default 10s
	InFlight   int           // events a PerAggregate handler handles at once; default 64
	// LookAhead is how many events a PerAggregate handler with Urgent
	// holds at once, to find the urgent ones among them; default 1,024.
	// Each is unacknowledged on the server until handled: those a process
	// that dies holds are redelivered after AckWait. One held longer than
	// a third of AckWait is kept alive with an in-progress ack, which on
	// a replicated consumer is a consensus write: keep LookAhead below
	// what the handler gets through in that time.
	LookAhead int
}

func (c *Config) setDefaults() {
	c.AckWait = cmp.Or(c.AckWait, 30*time.Second)
	c.NackDelay = cmp.Or(c.NackDelay, 2*time.Second)
	c.Retries = cmp.Or(c.Retries, 3)
	c.RetryWait = cmp.Or(c.RetryWait, 100*time.Millisecond)
	c.CloseAfter = cmp.Or(c.CloseAfter, 10*time.Second)
	c.InFlight = cmp.Or(c.InFlight, 64)
	c.LookAhead = cmp.Or(c.LookAhead, 1024)
}

// lookAheadReplicas is how many processes' look-ahead a PerAggregate
// consumer with Urgent has room for on the server (MaxAckPending): more
// replicas share what is left.
const lookAheadReplicas = 4

// aggregateOf is the aggregate id of an event's subject (its last token:
// events.Subject), what PerAggregate handlers are keyed by.
func aggregateOf(subject string) string { return subject[strings.LastIndexByte(subject, '.')+1:] }

// Router runs handlers until its context ends.
type Router struct {
	r         *message.Router // the shared, durable consumers; nil without any
	followers map[string]*follower
	metrics   *metrics
	running   chan struct{}
}

type metrics struct {
	handled      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	duration     *prometheus.HistogramVec
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
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_events_dead_lettered_total",
			Help: "Events sent to the dead-letter stream, by handler and reason (undecodable, permanent, log_refused)."},
			[]string{"handler", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "helpline_event_handler_seconds",
			Help: "Event handler latency.", Buckets: prometheus.DefBuckets}, []string{"handler"}),
	}
	if reg != nil {
		for i, c := range []prometheus.Collector{m.handled, m.deadLettered, m.duration} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					return nil, err
				}
				// A second router in the process counts in the first's.
				switch i {
				case 0:
					m.handled = are.ExistingCollector.(*prometheus.CounterVec)
				case 1:
					m.deadLettered = are.ExistingCollector.(*prometheus.CounterVec)
				case 2:
					m.duration = are.ExistingCollector.(*prometheus.HistogramVec)
				}
			}
		}
	}
	r.AddMiddleware(middleware.Recoverer)
	out := &Router{followers: map[string]*follower{}, metrics: m, running: make(chan struct{})}
	for _, s := range specs {
		if err := events.ValidateID(s.handlerName()); err != nil {
			return nil, fmt.Errorf("handler name: %w", err)
		}
		switch s := s.(type) {
		case Local:
			if s.From == nil {
				return nil, fmt.Errorf("handler %s: Local without From", s.Name)
			}
			out.followers[s.Name] = &follower{spec: s, js: js, stream: store.Config().Stream, cfg: cfg, m: m, log: log}
		case Shared:
			out.r = r
			sc := wmjetstream.SubscriberConfig{
				Stream:     store.Config().Stream,
				Durable:    func(string) string { return s.Name },
				AckWait:    cfg.AckWait,
				MaxDeliver: -1, // never give up on an event: see the package doc
				NackDelay:  cfg.NackDelay,
				// A few messages per pull request: one request per message
				// costs a round trip each. Handlers take milliseconds, far
				// below the ack wait the buffered ones run down meanwhile.
				FetchBatch: 4,
			}
			if s.Order != nil {
				s.Order.subscribe(&sc, cfg)
			}
			sub, err := wmjetstream.NewSubscriber(js, sc, wlog)
			if err != nil {
				return nil, err
			}
			poison, err := middleware.PoisonQueueWithFilter(pub, events.DeadLetterSubjectPrefix+"."+s.Name,
				func(err error) bool { return deadLetter(err) != "" })
			if err != nil {
				return nil, err
			}
			retry := middleware.Retry{MaxRetries: cfg.Retries, InitialInterval: cfg.RetryWait, MaxInterval: 2 * time.Second, Multiplier: 2,
				ShouldRetry: func(p middleware.RetryParams) bool { return !IsPermanent(p.Err) }, Logger: wlog}
			h := r.AddConsumerHandler(s.Name, s.Filter, sub, m.wrap(s, log))
			// Outermost first: the poison queue sees what is left once the
			// retries are spent, and the count sees it on its way there.
			h.AddMiddleware(poison, m.countDeadLetters(s.Name, log), retry.Middleware)
		default:
			return nil, fmt.Errorf("handler %s: a %T is not a Spec the router runs", s.handlerName(), s)
		}
	}
	return out, nil
}

// wrap decodes the envelope and calls the handler.
func (m *metrics) wrap(s Shared, log zerolog.Logger) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		start := time.Now()
		defer func() { m.duration.WithLabelValues(s.Name).Observe(time.Since(start).Seconds()) }()
		var seq uint64
		_, _ = fmt.Sscan(msg.Metadata.Get("js_stream_seq"), &seq)
		e, err := events.Unmarshal(msg.Payload, seq)
		if err != nil {
			return Permanent(undecodable{err})
		}
		// Handed before: redelivered, or retried in process (the retry
		// middleware calls this again with the same message).
		ctx := msg.Context()
		if n, _ := strconv.Atoi(msg.Metadata.Get(wmjetstream.MetadataNumDelivered)); n > 1 || msg.Metadata.Get(triedKey) != "" {
			ctx = context.WithValue(ctx, redeliveredKey{}, true)
		}
		msg.Metadata.Set(triedKey, "1")
		err = s.Handler(ctx, e)
		switch {
		case err == nil:
			m.handled.WithLabelValues(s.Name, "ok").Inc()
		case IsPermanent(err):
			// Counted and logged on its way to the dead-letter stream.
		default:
			m.handled.WithLabelValues(s.Name, "retry").Inc()
			log.Warn().Err(err).Str("handler", s.Name).Str("event", e.ID).Str("type", e.Type).Str("correlation_id", e.CorrelationID).Msg("handler failed; will retry")
		}
		return err
	}
}

// countDeadLetters counts and logs, at error level, each event whose
// handling ends in the dead-letter stream.
func (m *metrics) countDeadLetters(handler string, log zerolog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			reason := deadLetter(err)
			if reason == "" {
				return out, err
			}
			m.handled.WithLabelValues(handler, "dead_letter").Inc()
			m.deadLettered.WithLabelValues(handler, reason).Inc()
			l := log.Error().Err(err).Str("handler", handler).Str("reason", reason).Str("seq", msg.Metadata.Get("js_stream_seq"))
			if e, derr := events.Unmarshal(msg.Payload, 0); derr == nil {
				l = l.Str("event", e.ID).Str("type", e.Type).Str("correlation_id", e.CorrelationID)
			}
			l.Msg("event dead-lettered")
			return out, err
		}
	}
}

// Run runs the handlers until ctx ends, then waits for them to finish.
//
// Shutdown is not a failure: when ctx ends, even while handlers are still
// subscribing, Run returns nil.
func (r *Router) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	var started sync.WaitGroup
	if r.r != nil {
		started.Add(1)
		g.Go(func() error {
			err := r.r.Run(gctx)
			if err != nil && gctx.Err() != nil && errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		})
		go func() {
			select {
			case <-r.r.Running():
			case <-gctx.Done():
			}
			started.Done()
		}()
	}
	for _, f := range r.followers {
		started.Add(1)
		g.Go(func() error {
			ready := sync.OnceFunc(started.Done)
			defer ready() // also when it ends before following
			return f.run(gctx, ready)
		})
	}
	go func() {
		started.Wait()
		if gctx.Err() == nil {
			close(r.running)
		}
	}()
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Running is closed once every handler is subscribed.
func (r *Router) Running() <-chan struct{} { return r.running }

// Lag is how many events the handler of that name has still to handle:
// for a shared consumer those the group has not acknowledged yet, for a
// Local one those it has not received yet.
func (r *Router) Lag(ctx context.Context, js jetstream.JetStream, stream, name string) (uint64, error) {
	if f, ok := r.followers[name]; ok {
		return f.pending(ctx)
	}
	c, err := js.Consumer(ctx, stream, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, fmt.Errorf("%s: not following the log yet", name)
	}
	if err != nil {
		return 0, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

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
