package consume_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
)

// TestRefusedByTheLogDeadLetters: a handler whose append the log refuses
// for good (an event over the server's max payload) has its event
// dead-lettered after the in-process retries, counted and logged, instead
// of being redelivered forever; the next event is handled.
func TestRefusedByTheLogDeadLetters(t *testing.T) {
	t.Parallel()
	const maxPayload = 16 << 10
	srv := natstest.ServerWith(t, "", func(o *server.Options) { o.MaxPayload = maxPayload })
	js, store := natstest.LogOn(t, srv)
	ctx := context.Background()
	appendN(t, store, 0, 2)
	var tries, handled atomic.Int32
	h := func(ctx context.Context, e events.Envelope) error {
		if e.ID != "e000" {
			handled.Add(1)
			return nil
		}
		tries.Add(1)
		// A reply whose body, sealed, is over the server's limit.
		big, err := events.NewWithID("big-reply", "conv2", events.ConversationClosed{ByStaffID: strings.Repeat("x", maxPayload)},
			events.Meta{OccurredAt: time.Now()})
		if err != nil {
			return consume.Permanent(err)
		}
		_, err = store.Append(ctx, events.ExpectAny, big)
		return fmt.Errorf("close conv2: %w", err)
	}
	reg := prometheus.NewRegistry()
	r, err := consume.NewRouter(js, store, consume.Config{NackDelay: 10 * time.Millisecond, RetryWait: time.Millisecond},
		[]consume.Spec{consume.Shared{Name: "refused", Filter: events.AggregateSubjects(events.AggregateConversation), Handler: h}}, reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	testbed.RunRouter(t, r)

	// The first try and Config.Retries (3) more, then the dead letter: the
	// consumer has acknowledged the event and does not hand it out again.
	dlq, err := js.Stream(ctx, events.DefaultDeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, func() error {
		info, err := dlq.Info(ctx)
		if err != nil {
			return err
		}
		cons, err := js.Consumer(ctx, events.DefaultStream, "refused")
		if err != nil {
			return err
		}
		ci := cons.CachedInfo()
		if info.State.Msgs != 1 || handled.Load() != 1 || ci.NumAckPending != 0 || ci.NumPending != 0 {
			return fmt.Errorf("%d dead letters, %d handled; consumer: %d pending, %d unacknowledged",
				info.State.Msgs, handled.Load(), ci.NumPending, ci.NumAckPending)
		}
		return nil
	})
	if _, err := dlq.GetLastMsgForSubject(ctx, events.DeadLetterSubjectPrefix+".refused"); err != nil {
		t.Fatalf("dead letter not under helpline.dlq.refused: %v", err)
	}
	if n := tries.Load(); n != 4 {
		t.Errorf("the refused event was tried %d times, want 4 (1 + 3 retries)", n)
	}
	if got := counter(t, reg, "helpline_events_dead_lettered_total", "refused", "log_refused"); got != 1 {
		t.Errorf("helpline_events_dead_lettered_total{handler=refused,reason=log_refused} = %v, want 1", got)
	}
}

// counter returns the value of the counter name{handler, reason} in reg.
func counter(t *testing.T, reg *prometheus.Registry, name, handler, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["handler"] == handler && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
