package consume

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/transient"
)

// follower runs one Local spec: an ordered consumer of this process alone,
// in stream order, with nothing acknowledged and no position kept on the
// server (so no write to the log's disk per event), started after what the
// handler already has (Spec.From).
type follower struct {
	spec   Spec
	js     jetstream.JetStream
	stream string
	cfg    Config
	m      *metrics
	log    zerolog.Logger

	mu   sync.Mutex
	cons jetstream.Consumer // the current ordered consumer, nil before the first
}

// followRestart is how a failed ordered consumer is made again: every
// error but a closed connection, waiting from 100 ms up to 5 s.
var followRestart = transient.Policy{Wait: 100 * time.Millisecond, MaxWait: 5 * time.Second,
	Retry: func(err error) bool { return !errors.Is(err, nats.ErrConnectionClosed) }}

// run follows the log until ctx ends; ready is called once the first
// consumer exists.
func (f *follower) run(ctx context.Context, ready func()) error {
	err := transient.Do(ctx, followRestart, func(ctx context.Context) error {
		err := f.follow(ctx, ready)
		if ctx.Err() == nil && !errors.Is(err, nats.ErrConnectionClosed) {
			f.log.Warn().Err(err).Str("handler", f.spec.Name).Msg("following the log failed; following again")
		}
		return err
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("follow %s: %w", f.spec.Name, err)
}

// follow makes an ordered consumer from the handler's position and hands
// it every event until ctx ends or the consumer fails.
func (f *follower) follow(ctx context.Context, ready func()) error {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{f.spec.Filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    f.spec.From() + 1,
	}
	if cfg.OptStartSeq == 1 && f.spec.New {
		// From the log's end as it is now, not from whenever the server
		// makes the consumer (it does so at the first pull, after ready):
		// nothing appended once the follower is ready is passed over.
		st, err := f.js.Stream(ctx, f.stream)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		cfg.OptStartSeq = info.State.LastSeq + 1
	}
	cons, err := f.js.OrderedConsumer(ctx, f.stream, cfg)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.cons = cons
	f.mu.Unlock()
	ready()
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	for {
		jm, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := f.handle(ctx, jm); err != nil {
			return err
		}
	}
}

// handle applies one event: a failure is retried in place (nothing later
// is applied before it), a permanent one is counted, logged and passed
// over. It returns an error only when ctx ends.
func (f *follower) handle(ctx context.Context, jm jetstream.Msg) error {
	start := time.Now()
	defer func() { f.m.duration.WithLabelValues(f.spec.Name).Observe(time.Since(start).Seconds()) }()
	md, err := jm.Metadata()
	if err != nil {
		f.deadLetter(jm, Permanent(undecodable{fmt.Errorf("metadata: %w", err)}))
		return nil
	}
	if f.spec.Skip != nil && f.spec.Skip(jm.Subject(), md.Sequence.Stream) {
		f.m.handled.WithLabelValues(f.spec.Name, "ok").Inc()
		return nil
	}
	e, err := events.Unmarshal(jm.Data(), md.Sequence.Stream)
	if err != nil {
		f.deadLetter(jm, Permanent(undecodable{err}))
		return nil
	}
	p := transient.Policy{Wait: f.cfg.RetryWait, MaxWait: 2 * time.Second, Retry: func(err error) bool { return deadLetter(err) == "" }}
	err = transient.Do(ctx, p, func(ctx context.Context) error {
		err := f.spec.Handler(ctx, e)
		if err != nil && deadLetter(err) == "" {
			f.m.handled.WithLabelValues(f.spec.Name, "retry").Inc()
			f.log.Warn().Err(err).Str("handler", f.spec.Name).Str("event", e.ID).Str("type", e.Type).Msg("handler failed; will retry")
		}
		return err
	})
	switch {
	case err == nil:
		f.m.handled.WithLabelValues(f.spec.Name, "ok").Inc()
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		f.deadLetter(jm, err)
	}
	return nil
}

// deadLetter counts and logs an event the handler can never apply. Nothing
// is published: every process following the log would publish the same.
func (f *follower) deadLetter(jm jetstream.Msg, err error) {
	reason := deadLetter(err)
	f.m.handled.WithLabelValues(f.spec.Name, "dead_letter").Inc()
	f.m.deadLettered.WithLabelValues(f.spec.Name, reason).Inc()
	l := f.log.Error().Err(err).Str("handler", f.spec.Name).Str("reason", reason)
	if md, merr := jm.Metadata(); merr == nil {
		l = l.Uint64("seq", md.Sequence.Stream)
	}
	l.Msg("event passed over: it can never be applied")
}

// pending is how many events of the filter the follower has still to
// receive.
func (f *follower) pending(ctx context.Context) (uint64, error) {
	f.mu.Lock()
	cons := f.cons
	f.mu.Unlock()
	if cons == nil {
		return 0, fmt.Errorf("%s: not following the log yet", f.spec.Name)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending, nil
}
