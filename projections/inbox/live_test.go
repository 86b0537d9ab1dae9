package inbox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/projections"
)

// TestLiveFollowsTheLog runs the projection as helpline run does: a
// durable consumer over conversation and client subjects. Messages,
// a STOP on the client aggregate and a new conversation of another client
// all reach the inbox while it runs.
func TestLiveFollowsTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := testbed.New(t, bedConfig, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	v := NewView(NewMemoryStore())
	r := projections.NewRunner(b.Store, v, zerolog.Nop())
	b.Run(t, []consume.Spec{r.Spec()})

	first := b.Text(t, "+447700900101", bedLine, "hello")
	b.Text(t, "+447700900101", bedLine, "STOP")
	b.Clock.Add(time.Minute)
	second := b.Text(t, "+447700900102", bedLine, "is anyone there")
	poll.Until(t, 15*time.Second, func() error {
		got, err := v.List(ctx, Query{})
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0].ID != second.ConversationID || got[1].ID != first.ConversationID {
			return fmt.Errorf("listed %v", ids(got))
		}
		if got[1].Consent != events.ConsentOptedOut || got[1].Unread != 2 || got[0].Unread != 1 {
			return fmt.Errorf("rows %+v", got)
		}
		return nil
	})
}
