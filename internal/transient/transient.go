// Package transient tells the NATS failures that pass by themselves (a
// stream electing a leader, a request lost when the node a process was
// connected to dies) from those that do not, and retries an idempotent
// operation through them.
package transient

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// codeTemporarilyUnavailable is JetStream's "temporarily unavailable"
// (HTTP 503) API error code, returned while a replicated stream elects a
// leader.
const codeTemporarilyUnavailable jetstream.ErrorCode = 10163

// Is reports whether err is a failure that passes: retrying the same
// request soon is likely to work.
func Is(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == codeTemporarilyUnavailable || apiErr.Code == 503
	}
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}

// Policy is how an operation is retried.
type Policy struct {
	Attempts int           // at most this many tries
	Attempt  time.Duration // each try's own deadline
	Wait     time.Duration // the first wait between tries; it doubles
}

// Reads is the policy for gets and key-value operations on the hot path:
// short tries, so that after a node dies the next one goes out on the new
// connection at once, within about five seconds in all (Twilio waits 15).
var Reads = Policy{Attempts: 5, Attempt: time.Second, Wait: 50 * time.Millisecond}

// Do runs fn until it succeeds, fails with an error that does not pass,
// the attempts run out or ctx ends. fn must be safe to repeat: the try
// that timed out may have taken effect.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	wait := p.Wait
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.Attempt)
		err := fn(actx)
		cancel()
		if err == nil || !Is(err) || ctx.Err() != nil || attempt >= p.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}
