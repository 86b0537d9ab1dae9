package triage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// TestGroupCommittedVerdictsRedeliveredRecordNothing: triage appends its
// verdicts through a GroupCommit, many conversations' in one atomic
// batch, and acknowledges each message only once its verdict is durable.
// Then the process is taken to have died before any acknowledgement
// reached the server (its consumer is deleted, so a new replica is handed
// every message again): the new replica, with a GroupCommit and a cache
// of its own, records nothing, and every message keeps exactly one
// verdict. The redelivered batch is refused as a whole (its ids are
// duplicates) and each append made again on its own finds its event
// (message id, or the expected sequence and the store's search).
func TestGroupCommittedVerdictsRedeliveredRecordNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	ctx := context.Background()
	lex, err := lexicon.Default()
	if err != nil {
		t.Fatal(err)
	}
	replica := func() (*events.GroupCommit, func()) {
		convs, follow := w.Conversations(t)
		g := events.NewGroupCommit(w.Store, events.GroupCommitConfig{MinBatch: 2})
		svc, err := triage.New(w.File, lexicon.NewClassifier(lex), w.Keys, convs.Through(g), w.tm, w.Clock.Now, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		return g, w.Run(t, append(svc.Specs(), follow))
	}
	drained := func() {
		t.Helper()
		poll.Until(t, 2*time.Minute, func() error {
			c, err := w.JS.Consumer(ctx, events.DefaultStream, "triage")
			if err != nil {
				return err
			}
			info, err := c.Info(ctx)
			if err != nil {
				return err
			}
			if info.NumPending+uint64(info.NumAckPending) > 0 {
				return fmt.Errorf("triage: %d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
			}
			return nil
		})
	}
	_, stop := replica()
	stop() // the consumer exists, as for a triage that was down
	const texts = 48
	for i := range texts {
		body := backlogTexts.ordinary[i%len(backlogTexts.ordinary)]
		if i%16 == 15 {
			body = backlogTexts.crisis[i%len(backlogTexts.crisis)]
		}
		w.text(t, fmt.Sprintf("+4477009%05d", i%24), body)
	}
	g, stop := replica()
	w.waitFor(t, events.TypeMessageTriaged, texts)
	drained()
	stop()
	if st := g.Stats(); st.Batched == 0 {
		t.Fatalf("no verdict was committed in a batch (%+v): the test shows nothing", st)
	}
	written := natstest.Written(t, w.JS)[events.DefaultStream]

	if err := w.JS.DeleteConsumer(ctx, events.DefaultStream, "triage"); err != nil {
		t.Fatal(err)
	}
	g2, stop := replica()
	poll.Until(t, 2*time.Minute, func() error {
		c, err := w.JS.Consumer(ctx, events.DefaultStream, "triage")
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.AckFloor.Stream < written {
			return fmt.Errorf("redelivered up to %d of %d", info.AckFloor.Stream, written)
		}
		return nil
	})
	stop()
	if after := natstest.Written(t, w.JS)[events.DefaultStream]; after != written {
		t.Fatalf("the redelivery appended %d events (stats %+v)", after-written, g2.Stats())
	}
	triaged := map[string]int{}
	for _, v := range w.byType(t, events.TypeMessageTriaged) {
		triaged[testbed.Payload[events.MessageTriaged](t, v).MessageID]++
	}
	for _, e := range w.byType(t, events.TypeMessageReceived) {
		if id := testbed.Payload[events.MessageReceived](t, e).MessageID; triaged[id] != 1 {
			t.Errorf("message %s has %d verdicts, want 1", id, triaged[id])
		}
	}
}
