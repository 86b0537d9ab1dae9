package inbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// TestOpen checks Open against the real keyring, with bodies sealed as
// ingestion seals them: the client's key, additional data
// events.BodyAAD(envelope id).
func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := testbed.New(t, bedConfig, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	seal := func(client, eventID, text string) events.Sealed {
		data, err := b.Keys.Seal(ctx, client, []byte(text), events.BodyAAD(eventID))
		projectiontest.Must(t, err)
		return events.Sealed{KeyID: client, Data: data}
	}
	conv := Conversation{ID: "c1", ClientID: "client-a"}
	msg := Message{ID: "m1", EventID: "sms-1", Direction: DirectionIn, Body: seal("client-a", "sms-1", "words")}
	other := seal("client-b", "sms-2", "someone else's words")

	if got, err := Open(ctx, b.Keys, conv, msg); err != nil || got != "words" {
		t.Fatalf("open: %q, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		c    Conversation
		m    Message
		want error
	}{
		{"another event's additional data", conv, Message{ID: "m1", EventID: "sms-9", Body: msg.Body}, keyring.ErrDecrypt},
		{"another client's body", conv, Message{ID: "m2", EventID: "sms-2", Body: other}, keyring.ErrDecrypt},
		{"another client's body under this client's key id", conv,
			Message{ID: "m2", EventID: "sms-2", Body: events.Sealed{KeyID: "client-a", Data: other.Data}}, keyring.ErrDecrypt},
		{"no body", conv, Message{ID: "ooh-1", Direction: DirectionOut, Kind: events.SendAutoReply}, ErrNoBody},
		{"an erased conversation", Conversation{ID: "c1", ClientID: "client-a", Erased: true}, msg, keyring.ErrErased},
	} {
		if _, err := Open(ctx, b.Keys, tc.c, tc.m); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	projectiontest.Must(t, b.Keys.Erase(ctx, "client-a"))
	if _, err := Open(ctx, b.Keys, conv, msg); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("open after the key was erased: %v, want ErrErased", err)
	}
}
