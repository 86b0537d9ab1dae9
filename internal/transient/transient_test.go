package transient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/internal/transient"
)

func TestIs(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{jetstream.ErrNoStreamResponse, true},
		{fmt.Errorf("put: %w", nats.ErrNoResponders), true},
		{nats.ErrTimeout, true},
		{context.DeadlineExceeded, true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10163}, true},
		{&jetstream.APIError{Code: 409, ErrorCode: 10158, Description: "duplicate message id is in process"}, true},
		{jetstream.ErrKeyNotFound, false},
		{jetstream.ErrKeyRevisionMismatch, false},
		{&jetstream.APIError{Code: 400, ErrorCode: 10071}, false},
		{context.Canceled, false},
		{errors.New("bad request"), false},
	} {
		if got := transient.Is(c.err); got != c.want {
			t.Errorf("Is(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestDoRetriesWhatPassesOnly(t *testing.T) {
	p := transient.Policy{Attempts: 4, Attempt: time.Second, Wait: time.Millisecond}
	tries := 0
	err := transient.Do(context.Background(), p, func(context.Context) error {
		if tries++; tries < 3 {
			return jetstream.ErrNoStreamResponse
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Errorf("two elections then success: %v after %d tries, want nil after 3", err, tries)
	}
	tries = 0
	err = transient.Do(context.Background(), p, func(context.Context) error { tries++; return jetstream.ErrKeyNotFound })
	if !errors.Is(err, jetstream.ErrKeyNotFound) || tries != 1 {
		t.Errorf("a lasting error: %v after %d tries, want it after 1", err, tries)
	}
	tries = 0
	err = transient.Do(context.Background(), p, func(context.Context) error { tries++; return nats.ErrNoResponders })
	if !errors.Is(err, nats.ErrNoResponders) || tries != 4 {
		t.Errorf("never answered: %v after %d tries, want it after 4", err, tries)
	}
	// Each try has its own deadline; a try that hangs ends with it.
	tries = 0
	p.Attempt = 10 * time.Millisecond
	err = transient.Do(context.Background(), p, func(ctx context.Context) error {
		if tries++; tries == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	if err != nil || tries != 2 {
		t.Errorf("a lost request then an answer: %v after %d tries", err, tries)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := transient.Do(ctx, p, func(ctx context.Context) error { return ctx.Err() }); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled caller: %v", err)
	}
}

func TestSetupWaitsForPeersNotForBadConfigurations(t *testing.T) {
	p := transient.Setup
	p.Wait, p.MaxWait = time.Millisecond, time.Millisecond
	tries := 0
	err := transient.Do(context.Background(), p, func(context.Context) error {
		if tries++; tries < 4 {
			return &jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement, peer offline"}
		}
		return nil
	})
	if err != nil || tries != 4 {
		t.Errorf("peers joining: %v after %d tries, want nil after 4", err, tries)
	}
	tries = 0
	single := &jetstream.APIError{Code: 500, ErrorCode: 10074, Description: "replicas > 1 not supported in non-clustered mode"}
	err = transient.Do(context.Background(), p, func(context.Context) error { tries++; return single })
	if !errors.Is(err, single) || tries != 1 {
		t.Errorf("3 replicas on one node: %v after %d tries, want the refusal at once", err, tries)
	}
	// The read policy does not wait for placement.
	tries = 0
	_ = transient.Do(context.Background(), transient.Reads, func(context.Context) error {
		tries++
		return &jetstream.APIError{Code: 400, ErrorCode: 10005}
	})
	if tries != 1 {
		t.Errorf("reads retried a placement error %d times", tries)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"timeout", nats.ErrTimeout, transient.ErrUnavailable},
		{"no responders", nats.ErrNoResponders, transient.ErrUnavailable},
		{"no stream response (a leader election)", jetstream.ErrNoStreamResponse, transient.ErrUnavailable},
		{"503", &jetstream.APIError{Code: 503, ErrorCode: 10163}, transient.ErrUnavailable},
		// A publish retried after its first try timed out, the first not
		// yet stored by the replicated stream: a reply answered 500 in
		// the process cluster's CI run.
		{"duplicate message id in process", &jetstream.APIError{Code: 409, ErrorCode: 10158}, transient.ErrUnavailable},
		{"connection closed", nats.ErrConnectionClosed, transient.ErrUnavailable},
		{"cancelled", context.Canceled, transient.ErrUnavailable},
		{"unknown", errors.New("something new"), transient.ErrUnavailable},
		{"server max payload", fmt.Errorf("publish: %w", nats.ErrMaxPayload), transient.ErrPermanent},
		{"stream max message size", &jetstream.APIError{Code: 400, ErrorCode: 10054}, transient.ErrPermanent},
		{"wrong stream", &jetstream.APIError{Code: 400, ErrorCode: 10060}, transient.ErrPermanent},
		{"bad request", jetstream.ErrBadRequest, transient.ErrPermanent},
		{"stream not found", jetstream.ErrStreamNotFound, transient.ErrPermanent},
		{"invalid key", jetstream.ErrInvalidKey, transient.ErrPermanent},
		{"already classified", fmt.Errorf("get: %w", transient.ErrPermanent), transient.ErrPermanent},
	} {
		got := transient.Classify(c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("%s: Classify(%v) = %v, want %v wrapping it", c.name, c.err, got, c.want)
		}
		other := transient.ErrPermanent
		if c.want == transient.ErrPermanent {
			other = transient.ErrUnavailable
		}
		if errors.Is(got, other) {
			t.Errorf("%s: Classify(%v) = %v is both", c.name, c.err, got)
		}
	}
	if transient.Classify(nil) != nil {
		t.Error("Classify(nil) is not nil")
	}
}

func TestRetryAndFinal(t *testing.T) {
	stop := errors.New("closed for good")
	p := transient.Policy{Attempts: 5, Wait: time.Millisecond, Retry: func(err error) bool { return !errors.Is(err, stop) }}
	tries := 0
	err := transient.Do(context.Background(), p, func(context.Context) error {
		if tries++; tries < 3 {
			return errors.New("anything")
		}
		return stop
	})
	if !errors.Is(err, stop) || tries != 3 {
		t.Errorf("own retry rule: %v after %d tries, want the stop after 3", err, tries)
	}
	tries = 0
	err = transient.Do(context.Background(), transient.Reads, func(context.Context) error {
		tries++
		return transient.Final(nats.ErrTimeout)
	})
	if !errors.Is(err, nats.ErrTimeout) || tries != 1 {
		t.Errorf("final: %v after %d tries, want it after 1", err, tries)
	}
}
