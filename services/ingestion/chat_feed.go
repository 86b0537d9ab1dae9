package ingestion

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
)

// JetStreamChatFeed follows one subject of the event stream live, with an
// ordered consumer (ephemeral, in memory on the server, gap-checked by the
// client, re-created by the client after a gap or a lost connection).
type JetStreamChatFeed struct {
	js     jetstream.JetStream
	stream string
	logger zerolog.Logger
}

var _ ChatFeed = (*JetStreamChatFeed)(nil)

// NewJetStreamChatFeed follows subjects of stream (the store's domain
// stream: events.Store.Config().Stream).
func NewJetStreamChatFeed(js jetstream.JetStream, stream string, logger zerolog.Logger) *JetStreamChatFeed {
	return &JetStreamChatFeed{js: js, stream: stream, logger: logger.With().Str("component", "chatfeed").Logger()}
}

// chatFeedInactive is how long the server keeps a follower's consumer once
// nobody pulls from it: the safety net for a consumer this process could
// not delete (it crashed, or lost the server when the stream ended).
const chatFeedInactive = 30 * time.Second

// Follow calls fn for each event stored on subject after sequence after,
// until ctx ends or fn returns an error. It deletes its consumer before it
// returns: each open chat page holds one consumer on the server, and
// leftovers would pile up to the server's consumer limit.
func (f *JetStreamChatFeed) Follow(ctx context.Context, subject string, after uint64, fn func(events.Envelope) error) error {
	cons, err := f.js.OrderedConsumer(ctx, f.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{subject},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       after + 1,
		InactiveThreshold: chatFeedInactive,
	})
	if err != nil {
		return fmt.Errorf("%w: follow %s: %w", events.ErrUnavailable, subject, err)
	}
	// The ordered consumer re-creates its server-side consumer under a new
	// name after a reset; whichever is current at the end is deleted (the
	// client deletes the ones it replaced itself).
	defer f.deleteConsumer(cons)

	// mu serialises fn with the end of Follow: a message the library hands
	// over after Follow decided to return is dropped, and Follow does not
	// return while fn runs.
	var (
		mu   sync.Mutex
		done bool
		stop = make(chan error, 1)
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		e, err := events.FromJetStream(m)
		if err != nil {
			f.logger.Warn().Err(err).Str("subject", subject).Msg("skip undecodable event")
			return
		}
		if err := fn(e); err != nil {
			done = true
			stop <- err
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		// Missed heartbeats and reconnects are handled by the ordered
		// consumer itself (it resets); they are worth a debug line only.
		if !errors.Is(err, jetstream.ErrConnectionClosed) {
			f.logger.Debug().Err(err).Str("subject", subject).Msg("follow")
		}
	}))
	if err != nil {
		return fmt.Errorf("%w: follow %s: %w", events.ErrUnavailable, subject, err)
	}
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case err = <-stop:
	}
	mu.Lock()
	done = true
	mu.Unlock()
	cc.Stop()
	return err
}

func (f *JetStreamChatFeed) deleteConsumer(cons jetstream.Consumer) {
	ci := cons.CachedInfo()
	if ci == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := f.js.DeleteConsumer(ctx, f.stream, ci.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		f.logger.Debug().Err(err).Str("consumer", ci.Name).Msg("delete follower; the server drops it when idle")
	}
}
