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

// codeNoSuitablePeers is "no suitable peers for placement": a replicated
// stream asked of a cluster whose peers have not all joined (or one is
// down). In a cluster that is coming up, it passes.
const codeNoSuitablePeers jetstream.ErrorCode = 10005

// placementPending reports whether err says the cluster has too few peers
// online for the stream right now.
func placementPending(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == codeNoSuitablePeers
}

// Policy is how an operation is retried.
type Policy struct {
	Attempts int           // at most this many tries; 0: until Total or ctx ends
	Attempt  time.Duration // each try's own deadline
	Wait     time.Duration // the first wait between tries; it doubles
	MaxWait  time.Duration // the longest wait between tries (0: no limit)
	Total    time.Duration // the longest the whole may take (0: ctx decides)
	// Placement also retries "no suitable peers": for creating streams
	// and buckets while a cluster's peers join.
	Placement bool
}

// Reads is the policy for gets and key-value operations on the hot path:
// short tries, so that after a node dies the next one goes out on the new
// connection at once, within about five seconds in all (Twilio waits 15).
var Reads = Policy{Attempts: 5, Attempt: time.Second, Wait: 50 * time.Millisecond}

// Setup is the policy for creating streams and buckets at start: a new
// cluster has no meta leader for a few seconds and its peers join one by
// one, and two replicas creating the same bucket at once (nats-server
// 2.15.2, R3) sometimes get no answer, though the bucket is made. A
// configuration the server refuses (3 replicas on a single node) is not
// retried: it will not get better by waiting.
var Setup = Policy{Attempt: 3 * time.Second, Wait: 100 * time.Millisecond, MaxWait: 2 * time.Second, Total: time.Minute, Placement: true}

// Do runs fn until it succeeds, fails with an error that does not pass,
// the attempts run out or ctx ends. fn must be safe to repeat: the try
// that timed out may have taken effect.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	if p.Total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Total)
		defer cancel()
	}
	wait := p.Wait
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.Attempt)
		err := fn(actx)
		cancel()
		passes := Is(err) || p.Placement && placementPending(err)
		if err == nil || !passes || ctx.Err() != nil || p.Attempts > 0 && attempt >= p.Attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		if wait *= 2; p.MaxWait > 0 {
			wait = min(wait, p.MaxWait)
		}
	}
}
