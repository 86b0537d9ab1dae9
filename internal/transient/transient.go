// Package transient tells the NATS failures that pass by themselves (a
// stream electing a leader, a request lost when the node a process was
// connected to dies) from those that do not, and retries an operation
// through them. It is the module's one retry policy, built on
// github.com/cenkalti/backoff/v5: every retry of a NATS call, a key-value
// operation, a handler's publish or a provider's send goes through Do.
//
// Its two sentinels are what the log's boundary reports once retrying is
// over: ErrUnavailable (try again later: a webhook answers 503, a handler
// retries) and ErrPermanent (it will never work: 500, and a handler
// dead-letters the event). events.ErrUnavailable and events.ErrPermanent
// are these errors.
package transient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The log's boundary errors; see Classify.
var (
	// ErrUnavailable means the log did not answer in time, or answered
	// "not now": the same request may work later.
	ErrUnavailable = errors.New("event log unavailable")
	// ErrPermanent means the log refused the request for a reason that
	// waiting does not fix (a payload over its size limit, a subject no
	// stream takes, a malformed request).
	ErrPermanent = errors.New("refused by the event log")
)

// codeTemporarilyUnavailable is JetStream's "temporarily unavailable"
// (HTTP 503) API error code, returned while a replicated stream elects a
// leader.
const codeTemporarilyUnavailable jetstream.ErrorCode = 10163

// codeDuplicateInProcess is "duplicate message id is in process" (HTTP
// 409): a replicated stream was asked to store a message whose id it has
// proposed but not yet stored, which is what a publish retried after its
// first try timed out meets (nats-server 2.15.2,
// JSStreamDuplicateMessageConflict). It passes: once the first is stored,
// the same publish is answered as a duplicate with its sequence.
const codeDuplicateInProcess jetstream.ErrorCode = 10158

// Is reports whether err is a failure that passes: retrying the same
// request soon is likely to work.
func Is(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == codeTemporarilyUnavailable || apiErr.ErrorCode == codeDuplicateInProcess || apiErr.Code == 503
	}
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}

// Classify marks err, a failure of a request to the log that the caller
// has no sentinel of its own for, as ErrPermanent or ErrUnavailable, and
// returns nil for nil. Permanent are the refusals that no wait changes:
// a payload over the server's or the stream's limit, an invalid subject
// or key, and the server's 4xx answers (a bad request, an expected stream
// that is not the one the subject goes to, a stream or bucket that does
// not exist). Everything else (timeouts, no responders, 503, a leader
// change, a closed or draining connection, a cancelled request, an answer
// nobody has seen before) is unavailable: a handler retries it, which for
// a page is better than dead-lettering it. Callers map their own
// conditions first (a conflict, a missing key).
func Classify(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrUnavailable), errors.Is(err, ErrPermanent):
		return err
	case permanent(err):
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	default:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
}

func permanent(err error) bool {
	if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrBadSubject) ||
		errors.Is(err, jetstream.ErrInvalidKey) || errors.Is(err, jetstream.ErrInvalidBucketName) ||
		errors.Is(err, jetstream.ErrBucketNotFound) {
		return true
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode == codeTemporarilyUnavailable || apiErr.ErrorCode == codeDuplicateInProcess {
		return false
	}
	// 408 (a request timeout) and 429 (too many requests) pass.
	return apiErr.Code >= 400 && apiErr.Code < 500 && apiErr.Code != 408 && apiErr.Code != 429
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

// Policy is how an operation is retried. Waits grow exponentially (×2,
// with ±20% jitter so that replicas retrying together spread out).
type Policy struct {
	Attempts int           // at most this many tries; 0: until Total or ctx ends
	Attempt  time.Duration // each try's own deadline (0: none, ctx decides)
	Wait     time.Duration // the first wait between tries
	MaxWait  time.Duration // the longest wait between tries (0: no limit)
	Total    time.Duration // the longest the whole may take (0: ctx decides)
	// Placement also retries "no suitable peers": for creating streams
	// and buckets while a cluster's peers join.
	Placement bool
	// Retry says which errors to retry; nil means those that pass (Is).
	Retry func(error) bool
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

// Final marks err as not to be retried, whatever the policy says; Do
// returns err itself.
func Final(err error) error { return backoff.Permanent(err) }

// Do runs fn until it succeeds, fails with an error the policy does not
// retry, the attempts run out or ctx ends, and returns fn's last error.
// fn must be safe to repeat: the try that timed out may have taken effect.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	if p.Total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Total)
		defer cancel()
	}
	retry := p.Retry
	if retry == nil {
		retry = func(err error) bool { return Is(err) || p.Placement && placementPending(err) }
	}
	var last error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if p.Attempt > 0 {
			actx, cancel = context.WithTimeout(ctx, p.Attempt)
		}
		defer cancel()
		last = fn(actx)
		var final *backoff.PermanentError
		if last != nil && errors.As(last, &final) {
			last = final.Err
			return struct{}{}, final
		}
		if last != nil && (!retry(last) || ctx.Err() != nil) {
			return struct{}{}, backoff.Permanent(last)
		}
		return struct{}{}, last
	}, backoff.WithBackOff(p.backOff()), backoff.WithMaxTries(uint(max(p.Attempts, 0))), backoff.WithMaxElapsedTime(0))
	if err != nil && last != nil {
		// ctx ended during a wait: the last try's error says more.
		return last
	}
	return err
}

// noLimit stands for "no longest wait": backoff needs one.
const noLimit = time.Hour

func (p Policy) backOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = p.Wait
	b.Multiplier = 2
	b.RandomizationFactor = 0.2
	b.MaxInterval = noLimit
	if p.MaxWait > 0 {
		b.MaxInterval = p.MaxWait
	}
	return b
}
