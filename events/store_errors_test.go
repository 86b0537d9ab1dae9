package events_test

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
)

// smallPayload is a server max_payload below events.MaxEnvelopeBytes, so
// that an event the codec accepts can still be over the server's limit.
const smallPayload = 16 << 10

// TestOverMaxPayloadIsPermanent: an event larger than the server takes is
// refused for good (ErrPermanent: a 500, a dead letter), not reported as
// the log being unavailable (a 503, retried forever).
func TestOverMaxPayloadIsPermanent(t *testing.T) {
	t.Parallel()
	srv := natstest.ServerWith(t, "", func(o *server.Options) { o.MaxPayload = smallPayload })
	_, js := natstest.Connect(t, srv.ClientURL())
	s := newStore(t, js, 1)
	e, err := events.NewWithID("m-big", "conv-big", events.MessageReceived{MessageID: "m-big", LineID: "main", ClientID: "c1",
		Channel: events.ChannelSMS, Body: events.Sealed{KeyID: "c1", Data: make([]byte, smallPayload)}, ReceivedAt: t0},
		events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(context.Background(), events.ExpectAny, e)
	if !errors.Is(err, events.ErrPermanent) || errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("append over the max payload: %v, want ErrPermanent only", err)
	}
	if _, seq, err := s.Load(context.Background(), events.AggregateConversation, "conv-big"); err != nil || seq != 0 {
		t.Fatalf("after the refusal: seq %d, %v; want nothing stored", seq, err)
	}
}

// TestOverEnvelopeLimitIsPermanent: an event over the codec's own limit is
// refused for good too.
func TestOverEnvelopeLimitIsPermanent(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	e, err := events.NewWithID("m-huge", "conv-huge", events.MessageReceived{MessageID: "m-huge", LineID: "main", ClientID: "c1",
		Channel: events.ChannelSMS, Body: events.Sealed{KeyID: "c1", Data: make([]byte, events.MaxEnvelopeBytes)}, ReceivedAt: t0},
		events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(context.Background(), events.ExpectAny, e)
	if !errors.Is(err, events.ErrPermanent) || !errors.Is(err, events.ErrInvalidEnvelope) || errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("append over the envelope limit: %v, want ErrPermanent (ErrInvalidEnvelope)", err)
	}
}
