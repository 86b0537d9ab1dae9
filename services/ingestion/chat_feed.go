package ingestion

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
)

// ChatReader reads a subject's events after a sequence without creating a
// consumer (events.Store.WithoutConsumers).
type ChatReader interface {
	Read(ctx context.Context, subject string, from uint64, fn func(events.Envelope) error) (uint64, error)
}

// JetStreamChatFeed follows conversations live for every open chat page of
// this process through one subscription: one ordered consumer on the
// conversation subjects (ephemeral, gap-checked and re-created by the
// client), whose events are handed out in memory to the followers of each
// subject. Open pages therefore cost the NATS server nothing: however many
// anonymous clients hold a stream, they never spend the stream's consumer
// limit, which triage, notification and the console need.
//
// A follower first reads what it missed from the log (message gets, no
// consumer), then takes the fanned-out events; one that falls more than
// chatFollowerBuffer events behind (a slow client) catches up from the log
// again, so the feed never waits for a client.
type JetStreamChatFeed struct {
	js     jetstream.JetStream
	stream string
	log    ChatReader
	logger zerolog.Logger

	mu        sync.Mutex
	cc        jetstream.ConsumeContext // the one subscription, once started
	closed    bool
	followers map[string]map[*chatFollower]struct{}
	count     int
}

var _ ChatFeed = (*JetStreamChatFeed)(nil)

// NewJetStreamChatFeed follows subjects of stream (the store's domain
// stream: events.Store.Config().Stream), catching followers up through log.
// The subscription starts with the first follower; Close stops it.
func NewJetStreamChatFeed(js jetstream.JetStream, stream string, log ChatReader, logger zerolog.Logger) *JetStreamChatFeed {
	return &JetStreamChatFeed{js: js, stream: stream, log: log, logger: logger.With().Str("component", "chatfeed").Logger(),
		followers: make(map[string]map[*chatFollower]struct{})}
}

// chatFollowerBuffer is how many live events a follower may have waiting
// before it is told to catch up from the log instead.
const chatFollowerBuffer = 32

type chatFollower struct {
	subject string
	ch      chan events.Envelope
	// behind has a value when the follower dropped an event: it reads the
	// log again from what it handed over last.
	behind chan struct{}
}

// Follow calls fn for each event stored on subject after sequence after,
// until ctx ends or fn returns an error.
func (f *JetStreamChatFeed) Follow(ctx context.Context, subject string, after uint64, fn func(events.Envelope) error) error {
	fl, err := f.subscribe(ctx, subject)
	if err != nil {
		return err
	}
	defer f.unsubscribe(fl)
	// Registered before reading: whatever is appended after the read is
	// handed to fl, whatever before is in the read (the subscription
	// started before fl registered).
	last := after
	catchUp := func() error {
		l, err := f.log.Read(ctx, subject, last, fn)
		if l > last {
			last = l
		}
		if err != nil {
			return fmt.Errorf("follow %s: %w", subject, err)
		}
		return nil
	}
	if err := catchUp(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-fl.behind:
			if err := catchUp(); err != nil {
				return err
			}
		case e := <-fl.ch:
			if e.Sequence <= last {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
			last = e.Sequence
		}
	}
}

// Followers is how many Follow calls are open in this process.
func (f *JetStreamChatFeed) Followers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

// Close stops the subscription; Follow calls still open get nothing more
// live and later ones fail. Call it when the process shuts down.
func (f *JetStreamChatFeed) Close() {
	f.mu.Lock()
	cc := f.cc
	f.closed, f.cc = true, nil
	f.mu.Unlock()
	// Outside mu: a delivery in flight takes mu.
	if cc != nil {
		cc.Stop()
	}
}

func (f *JetStreamChatFeed) subscribe(ctx context.Context, subject string) (*chatFollower, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("%w: chat feed closed", events.ErrUnavailable)
	}
	if f.cc == nil {
		if err := f.start(ctx); err != nil {
			return nil, err
		}
	}
	fl := &chatFollower{subject: subject, ch: make(chan events.Envelope, chatFollowerBuffer), behind: make(chan struct{}, 1)}
	if f.followers[subject] == nil {
		f.followers[subject] = make(map[*chatFollower]struct{})
	}
	f.followers[subject][fl] = struct{}{}
	f.count++
	return fl, nil
}

func (f *JetStreamChatFeed) unsubscribe(fl *chatFollower) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.followers[fl.subject], fl)
	if len(f.followers[fl.subject]) == 0 {
		delete(f.followers, fl.subject)
	}
	f.count--
}

// start opens the one subscription, from the event after the stream's
// last: every event appended from now on reaches the followers. The
// caller holds mu.
func (f *JetStreamChatFeed) start(ctx context.Context) error {
	st, err := f.js.Stream(ctx, f.stream)
	if err != nil {
		return fmt.Errorf("%w: chat feed: %w", events.ErrUnavailable, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: chat feed: %w", events.ErrUnavailable, err)
	}
	// A start sequence rather than "new": after a reset before any event
	// arrived, the ordered consumer starts again from the same place.
	cons, err := f.js.OrderedConsumer(ctx, f.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.AggregateSubjects(events.AggregateConversation)},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    info.State.LastSeq + 1,
	})
	if err != nil {
		return fmt.Errorf("%w: chat feed: %w", events.ErrUnavailable, err)
	}
	cc, err := cons.Consume(f.deliver, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		// Missed heartbeats and reconnects are handled by the ordered
		// consumer itself (it resets); they are worth a debug line only.
		if !errors.Is(err, jetstream.ErrConnectionClosed) {
			f.logger.Debug().Err(err).Msg("chat feed")
		}
	}))
	if err != nil {
		return fmt.Errorf("%w: chat feed: %w", events.ErrUnavailable, err)
	}
	f.cc = cc
	f.logger.Info().Uint64("from", info.State.LastSeq+1).Msg("chat feed started: one subscription for every open chat stream")
	return nil
}

// deliver hands an event to its subject's followers without waiting for
// any of them: a follower whose buffer is full is told to catch up.
func (f *JetStreamChatFeed) deliver(m jetstream.Msg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fls := f.followers[m.Subject()]
	if len(fls) == 0 {
		return
	}
	e, err := events.FromJetStream(m)
	if err != nil {
		f.logger.Warn().Err(err).Str("subject", m.Subject()).Msg("skip undecodable event")
		return
	}
	for fl := range fls {
		select {
		case fl.ch <- e:
		default:
			select {
			case fl.behind <- struct{}{}:
			default:
			}
		}
	}
}
