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

// follower runs one Local handler: an ordered consumer of this process alone,
// in stream order, with nothing acknowledged and no position kept on the
// server (so no write to the log's disk per event), started after what the
// handler already has (Local.From).
type follower struct {
	spec   Local
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
		if f.spec.Batch == nil {
			if err := f.handle(ctx, jm); err != nil {
				return err
			}
			continue
		}
		batch, nextErr := f.gather(it, jm)
		if err := f.handleBatch(ctx, batch); err != nil {
			return err
		}
		if nextErr != nil {
			return nextErr
		}
	}
}

// maxBatch is how many events a Batch call gets at most; batchWait how
// long the follower waits for one the server said follows.
const (
	maxBatch  = 256
	batchWait = 50 * time.Millisecond
)

// gather returns first and the events the server said follow it (each
// delivery says how many of the filter's are pending after it), up to
// maxBatch, without waiting for any other: caught up, a batch is one
// event. An error of the iterator other than a wait that ran out is
// returned after the batch, to be handled once the batch is.
func (f *follower) gather(it jetstream.MessagesContext, first jetstream.Msg) ([]jetstream.Msg, error) {
	batch := []jetstream.Msg{first}
	for len(batch) < maxBatch {
		md, err := batch[len(batch)-1].Metadata()
		if err != nil || md.NumPending == 0 {
			return batch, nil
		}
		jm, err := it.Next(jetstream.NextMaxWait(batchWait))
		if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			return batch, nil
		}
		if err != nil {
			return batch, err
		}
		batch = append(batch, jm)
	}
	return batch, nil
}

// handle applies one event: a failure is retried in place (nothing later
// is applied before it), a permanent one is counted, logged and passed
// over. It returns an error only when ctx ends.
func (f *follower) handle(ctx context.Context, jm jetstream.Msg) error {
	start := time.Now()
	defer func() { f.m.duration.WithLabelValues(f.spec.Name).Observe(time.Since(start).Seconds()) }()
	md, err := jm.Metadata()
	if err != nil {
		f.deadLetter(jm.Metadata, Permanent(undecodable{fmt.Errorf("metadata: %w", err)}))
		return nil
	}
	if f.spec.Skip != nil && f.spec.Skip(jm.Subject(), md.Sequence.Stream) {
		f.m.handled.WithLabelValues(f.spec.Name, "ok").Inc()
		return nil
	}
	e, err := events.Unmarshal(jm.Data(), md.Sequence.Stream)
	if err != nil {
		f.deadLetter(jm.Metadata, Permanent(undecodable{err}))
		return nil
	}
	return f.handleEvent(ctx, e)
}

// handleEvent is handle of a decoded event.
func (f *follower) handleEvent(ctx context.Context, e events.Envelope) error {
	err := f.retry(ctx, func(ctx context.Context) error { return f.spec.Handler(ctx, e) },
		func() *zerolog.Event { return f.log.Warn().Str("event", e.ID).Str("type", e.Type) })
	switch {
	case err == nil:
		f.m.handled.WithLabelValues(f.spec.Name, "ok").Inc()
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		f.deadLetter(func() (*jetstream.MsgMetadata, error) {
			return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: e.Sequence}}, nil
		}, err)
	}
	return nil
}

// handleBatch applies a gathered batch with Local.Batch, retried in place;
// when it fails for good, event by event (handleEvent), so that only an
// event that can never be applied is passed over. Each event's handling
// time is counted as the batch's divided among its events. It returns an
// error only when ctx ends.
func (f *follower) handleBatch(ctx context.Context, jms []jetstream.Msg) error {
	start := time.Now()
	es := make([]events.Envelope, 0, len(jms))
	for _, jm := range jms {
		md, err := jm.Metadata()
		if err != nil {
			f.deadLetter(jm.Metadata, Permanent(undecodable{fmt.Errorf("metadata: %w", err)}))
			continue
		}
		if f.spec.Skip != nil && f.spec.Skip(jm.Subject(), md.Sequence.Stream) {
			f.m.handled.WithLabelValues(f.spec.Name, "ok").Inc()
			continue
		}
		e, err := events.Unmarshal(jm.Data(), md.Sequence.Stream)
		if err != nil {
			f.deadLetter(jm.Metadata, Permanent(undecodable{err}))
			continue
		}
		es = append(es, e)
	}
	if len(es) == 0 {
		return nil
	}
	err := f.retry(ctx, func(ctx context.Context) error { return f.spec.Batch(ctx, es) },
		func() *zerolog.Event {
			return f.log.Warn().Uint64("from_seq", es[0].Sequence).Uint64("to_seq", es[len(es)-1].Sequence)
		})
	switch {
	case err == nil:
		each := time.Since(start) / time.Duration(len(es))
		for range es {
			f.m.handled.WithLabelValues(f.spec.Name, "ok").Inc()
			f.m.duration.WithLabelValues(f.spec.Name).Observe(each.Seconds())
		}
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	f.log.Warn().Err(err).Str("handler", f.spec.Name).Uint64("from_seq", es[0].Sequence).Uint64("to_seq", es[len(es)-1].Sequence).
		Msg("batch cannot be applied; applying its events one by one")
	for _, e := range es {
		if err := f.handleEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// retry runs fn until it succeeds, fails for good (deadLetter) or ctx
// ends, counting and logging each failure it retries.
func (f *follower) retry(ctx context.Context, fn func(context.Context) error, warn func() *zerolog.Event) error {
	p := transient.Policy{Wait: f.cfg.RetryWait, MaxWait: 2 * time.Second, Retry: func(err error) bool { return deadLetter(err) == "" }}
	return transient.Do(ctx, p, func(ctx context.Context) error {
		err := fn(ctx)
		if err != nil && deadLetter(err) == "" {
			f.m.handled.WithLabelValues(f.spec.Name, "retry").Inc()
			warn().Err(err).Str("handler", f.spec.Name).Msg("handler failed; will retry")
		}
		return err
	})
}

// deadLetter counts and logs an event the handler can never apply. Nothing
// is published: every process following the log would publish the same.
func (f *follower) deadLetter(metadata func() (*jetstream.MsgMetadata, error), err error) {
	reason := deadLetter(err)
	f.m.handled.WithLabelValues(f.spec.Name, "dead_letter").Inc()
	f.m.deadLettered.WithLabelValues(f.spec.Name, reason).Inc()
	l := f.log.Error().Err(err).Str("handler", f.spec.Name).Str("reason", reason)
	if md, merr := metadata(); merr == nil {
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
