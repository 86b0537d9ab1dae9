package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/app"
)

// TestEscalateByHandRequestID: the request id of a manual escalation is
// checked as a reply's and a hand-over's are (requestID): one longer than
// 40 characters is refused and records nothing; none (an API caller that
// gives no id) is given a new one, and the escalation is raised.
func TestEscalateByHandRequestID(t *testing.T) {
	t.Parallel()
	b, conv := opened(t, "+447700900941", "I do not feel safe at home")
	ctx := context.Background()
	escalate := func(id string) error {
		return b.app.Commands.EscalateByHand.Handle(ctx, app.EscalateByHand{Actor: dana, ConversationID: conv, RequestID: id, Reason: events.ManualReasons[0]})
	}
	if err := escalate(strings.Repeat("r", 41)); !errors.Is(err, app.ErrBadRequest) {
		t.Fatalf("a 41-character request id: %v, want a bad request", err)
	}
	if slices.Contains(b.history(t, conv), events.TypeEscalationRaised) {
		t.Fatal("a refused request raised an escalation")
	}
	if err := escalate(""); err != nil {
		t.Fatalf("no request id: %v, want one made for it", err)
	}
	if !slices.Contains(b.history(t, conv), events.TypeEscalationRaised) {
		t.Fatal("no escalation raised")
	}
}
