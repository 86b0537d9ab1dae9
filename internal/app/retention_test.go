package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/erasure"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
)

var retentionConfig = appConfig("retention_days: 1", "")

// TestRunErasesClientsDueDailyOnItsClock runs a whole process as `helpline
// run` builds it (Retention on), on a hand-moved clock: not at once, but
// soon after its start, it erases nobody (the one conversation closed an
// hour ago); a day and more
// later on the clock it erases that client, recorded with reason
// retention, and not a client closed an hour before; its log has counts,
// never a client.
func TestRunErasesClientsDueDailyOnItsClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := testbed.New(t, retentionConfig, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	closeNow := func(conv string) { t.Helper(); b.Close(t, conv, "dana") }
	old := b.Text(t, "+447700900501", lineNumber, "hello")
	closeNow(old.ConversationID)
	b.Clock.Add(time.Hour)

	var logs logtest.Buffer
	apptest.Serve(t, b, token, app.Config{TimerTick: 20 * time.Millisecond, Retention: true}, zerolog.New(&logs))
	ran := func(n int) error {
		if got := strings.Count(logs.String(), `"svc":"retention","erased":`); got < n {
			return fmt.Errorf("retention ran %d times, want %d:\n%s", got, n, logs.String())
		}
		return nil
	}
	if err := ran(1); err == nil {
		t.Fatal("retention ran at once at the start, before its catch-up")
	}
	b.Clock.Add(app.RetentionFirstAfter)
	poll.Until(t, 30*time.Second, func() error { return ran(1) })
	if !strings.Contains(logs.String(), `"svc":"retention","erased":0,`) {
		t.Fatalf("the run at start erased someone:\n%s", logs.String())
	}
	if _, err := b.Keys.DataKey(ctx, old.ClientID); err != nil {
		t.Fatalf("closed an hour ago, erased at start: %v", err)
	}

	b.Clock.Add(46 * time.Hour)
	recent := b.Text(t, "+447700900502", lineNumber, "hello")
	closeNow(recent.ConversationID)
	b.Clock.Add(time.Hour) // old closed 48h10m ago, recent an hour ago: the day has come round
	var erased []events.Envelope
	poll.Until(t, 30*time.Second, func() error {
		if erased = b.Events(t, events.AggregateClient, events.TypeClientErased); len(erased) == 0 {
			return errors.New("nobody erased")
		}
		return nil
	})
	if len(erased) != 1 || erased[0].AggregateID != old.ClientID {
		t.Fatalf("erased %d clients, first %s; want only the client closed two days ago", len(erased), erased[0].AggregateID)
	}
	p, err := erased[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if e := p.(events.ClientErased); e.Reason != erasure.ReasonRetention {
		t.Fatalf("recorded %+v, want reason retention", e)
	}
	if _, err := b.Keys.DataKey(ctx, old.ClientID); !errors.Is(err, keyring.ErrErased) {
		t.Fatalf("the old client's key: %v, want erased", err)
	}
	poll.Until(t, 30*time.Second, func() error { return ran(2) })
	if _, err := b.Keys.DataKey(ctx, recent.ClientID); err != nil {
		t.Fatalf("closed an hour ago, erased: %v", err)
	}
	if !strings.Contains(logs.String(), `"svc":"retention","erased":1,`) {
		t.Fatalf("no count of the erasure in the log:\n%s", logs.String())
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		for _, id := range []string{old.ClientID, recent.ClientID, old.Pseudonym, "+447700900501"} {
			if strings.Contains(line, `"svc":"retention"`) && strings.Contains(line, id) {
				t.Fatalf("retention's log names a client (%s): %s", id, line)
			}
		}
	}
}
