package events_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

var t0 = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

func newStore(t *testing.T, js jetstream.JetStream, replicas int) *events.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := events.NewStore(ctx, js, events.StoreConfig{Replicas: replicas}, nopLog)
	if err != nil {
		t.Fatalf("new store: %v", err)
	}
	return s
}

// newStoreOnFreshServer is a one-replica store on a server of its own.
func newStoreOnFreshServer(t *testing.T) *events.Store {
	t.Helper()
	js := natstest.JetStream(t)
	return newStore(t, js, 1)
}

func started(t *testing.T, convID string) events.Envelope {
	t.Helper()
	e, err := events.New(convID, events.ConversationStarted{LineID: "main", ClientID: "c1", Pseudonym: "C-AAAA", Channel: events.ChannelSMS},
		events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func received(t *testing.T, convID, msgID string) events.Envelope {
	t.Helper()
	e, err := events.NewWithID(msgID, convID, events.MessageReceived{MessageID: msgID, LineID: "main", ClientID: "c1",
		Channel: events.ChannelSMS, Body: events.Sealed{KeyID: "c1", Data: []byte{1, 2, 3}}, ReceivedAt: t0},
		events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAppendLoadRoundTrip(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()

	in := []events.Envelope{started(t, "conv-rt"), received(t, "conv-rt", "m-rt-1"), received(t, "conv-rt", "m-rt-2")}
	acks, err := s.Append(ctx, events.ExpectNew, in...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	got, last, err := s.Load(ctx, events.AggregateConversation, "conv-rt")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(got) != len(in) {
		t.Fatalf("loaded %d events, want %d", len(got), len(in))
	}
	if last != acks[len(acks)-1].Seq {
		t.Errorf("last seq %d, want %d", last, acks[len(acks)-1].Seq)
	}
	for i := range in {
		if got[i].ID != in[i].ID || got[i].Type != in[i].Type || string(got[i].Payload) != string(in[i].Payload) ||
			!got[i].OccurredAt.Equal(in[i].OccurredAt) || got[i].Sequence != acks[i].Seq {
			t.Errorf("event %d: got %+v, want %+v (seq %d)", i, got[i], in[i], acks[i].Seq)
		}
	}
	// Another aggregate's events never leak into this one's history.
	if _, err := s.Append(ctx, events.ExpectNew, started(t, "conv-other")); err != nil {
		t.Fatal(err)
	}
	again, _, err := s.Load(ctx, events.AggregateConversation, "conv-rt")
	if err != nil || len(again) != len(in) {
		t.Fatalf("reload: %d events, err %v", len(again), err)
	}
	empty, last, err := s.Load(ctx, events.AggregateConversation, "conv-none")
	if err != nil || len(empty) != 0 || last != 0 {
		t.Fatalf("empty aggregate: %d events, last %d, err %v", len(empty), last, err)
	}
}

func TestConcurrentAppendsOneWins(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()
	acks, err := s.Append(ctx, events.ExpectNew, started(t, "conv-cc"))
	if err != nil {
		t.Fatal(err)
	}
	expected := acks[0].Seq

	const racers = 8
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := events.New("conv-cc", events.EscalationAcknowledged{EscalationID: "e1", StaffID: fmt.Sprintf("duty%d", i)}, events.Meta{OccurredAt: t0})
			if err != nil {
				errs <- err
				return
			}
			_, err = s.Append(ctx, events.ExpectSeq(expected), e)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	wins, conflicts := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, events.ErrConcurrency):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 || conflicts != racers-1 {
		t.Fatalf("wins %d, conflicts %d; want 1 and %d", wins, conflicts, racers-1)
	}
}

func TestExpectNewRejectsExistingAggregate(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, events.ExpectNew, started(t, "conv-new")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(ctx, events.ExpectNew, started(t, "conv-new"))
	if !errors.Is(err, events.ErrConcurrency) {
		t.Fatalf("second start: got %v, want ErrConcurrency", err)
	}
}

func TestSameMessageIDIsOneEvent(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()
	e := received(t, "conv-dd", "twilio-SM0001")
	first, err := s.Append(ctx, events.ExpectAny, e)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Append(ctx, events.ExpectAny, e)
	if err != nil {
		t.Fatal(err)
	}
	if !second[0].Duplicate || second[0].Seq != first[0].Seq {
		t.Fatalf("resend: %+v, want duplicate of seq %d", second[0], first[0].Seq)
	}
	// A retry with an expected sequence that has since moved is still a
	// duplicate, not a conflict: retrying an append is always safe.
	third, err := s.Append(ctx, events.ExpectSeq(0), e)
	if err != nil || !third[0].Duplicate {
		t.Fatalf("resend with stale expectation: %+v, %v", third, err)
	}
	got, _, err := s.Load(ctx, events.AggregateConversation, "conv-dd")
	if err != nil || len(got) != 1 {
		t.Fatalf("loaded %d events (err %v), want 1", len(got), err)
	}
}

// TestBatchAfterADuplicateExpectsTheLogsLast is the defect triage hit on
// closed lines: a decision re-recorded an event already stored (its
// out-of-hours contact, appended by an attempt whose next event then
// conflicted) ahead of new ones, while another writer had appended after
// it. The duplicate's original sequence is not the aggregate's last: the
// next event must expect what the batch expected, or it conflicts on
// every attempt ("wrong last sequence") until the repository gives up.
func TestBatchAfterADuplicateExpectsTheLogsLast(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()
	ooh, other, clock := received(t, "conv-bd", "m-ooh"), received(t, "conv-bd", "m-other"), received(t, "conv-bd", "m-clock")
	first, err := s.Append(ctx, events.ExpectNew, started(t, "conv-bd"), ooh)
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.Append(ctx, events.ExpectSeq(first[1].Seq), other) // another writer, after the first event of the batch
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Append(ctx, events.ExpectSeq(last[0].Seq), ooh, clock)
	if err != nil {
		t.Fatalf("batch re-recording a stored event: %v", err)
	}
	if !got[0].Duplicate || got[0].Seq != first[1].Seq || got[1].Duplicate || got[1].Seq <= last[0].Seq {
		t.Fatalf("acks %+v: want the first a duplicate of seq %d, the second new after %d", got, first[1].Seq, last[0].Seq)
	}
	// The expectation still holds the batch to the state it was decided
	// on: a stale one conflicts even when its first event is a duplicate.
	if _, err := s.Append(ctx, events.ExpectSeq(last[0].Seq), ooh, received(t, "conv-bd", "m-late")); !errors.Is(err, events.ErrConcurrency) {
		t.Fatalf("stale batch after a duplicate: %v, want ErrConcurrency", err)
	}
}

func TestAcknowledgedEventsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := natstest.Server(t, dir)
	nc, js := natstest.Connect(t, srv.ClientURL())
	s := newStore(t, js, 1)
	ctx := context.Background()
	const n = 200
	var ids []string
	for i := range n {
		e := received(t, "conv-dur", fmt.Sprintf("m-dur-%d", i))
		if _, err := s.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		ids = append(ids, e.ID)
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()

	srv2 := natstest.Server(t, dir)
	_, js2 := natstest.Connect(t, srv2.ClientURL())
	s2 := newStore(t, js2, 1)
	got, _, err := s2.Load(ctx, events.AggregateConversation, "conv-dur")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("after restart: %d events, want %d", len(got), n)
	}
	for i := range got {
		if got[i].ID != ids[i] {
			t.Fatalf("event %d is %s, want %s", i, got[i].ID, ids[i])
		}
	}
}

func TestClusterKeepsAppendingWithOneNodeDown(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test in -short mode")
	}
	t.Parallel()
	c := natstest.StartCluster(t, 3)
	_, js := natstest.Connect(t, c.URLs())
	s := newStore(t, js, 3)
	ctx := context.Background()

	var acked []string
	appendN := func(prefix string, n int) {
		t.Helper()
		for i := range n {
			e := received(t, "conv-cl", fmt.Sprintf("%s-%d", prefix, i))
			actx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := s.Append(actx, events.ExpectAny, e)
			cancel()
			if err != nil {
				t.Fatalf("append %s: %v", e.ID, err)
			}
			acked = append(acked, e.ID)
		}
	}
	appendN("before", 50)

	// Stop the stream leader's node: the worst case for the remaining two.
	leader := streamLeader(t, ctx, js)
	down := -1
	for i, srv := range c.Servers {
		if srv.Name() == leader {
			down = i
		}
	}
	if down < 0 {
		t.Fatalf("leader %q not found", leader)
	}
	c.Stop(down)
	appendN("during", 50)

	c.Restart(t, down)
	appendN("after", 20)

	// The returned node must catch up and hold every acknowledged event:
	// read through a connection to it alone once it is current.
	_, jsBack := natstest.Connect(t, c.Servers[down].ClientURL())
	poll.Until(t, 30*time.Second, func() error {
		st, err := jsBack.Stream(ctx, events.DefaultStream)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current {
				return fmt.Errorf("replica %s not current", r.Name)
			}
		}
		if info.State.Msgs != uint64(len(acked)) {
			return fmt.Errorf("%d msgs, want %d", info.State.Msgs, len(acked))
		}
		return nil
	})
	got, _, err := s.Load(ctx, events.AggregateConversation, "conv-cl")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(acked) {
		t.Fatalf("%d events after the node returned, want %d", len(got), len(acked))
	}
	for i := range got {
		if got[i].ID != acked[i] {
			t.Fatalf("event %d is %s, want %s", i, got[i].ID, acked[i])
		}
	}
}

func streamLeader(t *testing.T, ctx context.Context, js jetstream.JetStream) string {
	t.Helper()
	return streamInfo(t, ctx, js).Cluster.Leader
}

// streamInfo is the event stream's information as the server has it now.
func streamInfo(t *testing.T, ctx context.Context, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	st, err := js.Stream(ctx, events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

var nopLog = zerolog.Nop()

// TestReadersDoNotAccumulate loads an aggregate many times in a row: each
// load's reader consumer must be gone afterwards, or a busy ingestion would
// hit the server's consumer limit.
func TestReadersDoNotAccumulate(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t)
	s := newStore(t, js, 1)
	ctx := context.Background()
	if _, err := s.Append(ctx, events.ExpectNew, started(t, "conv-rd")); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if _, _, err := s.Load(ctx, events.AggregateConversation, "conv-rd"); err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
	}
	if info := streamInfo(t, ctx, js); info.State.Consumers > 2 {
		t.Fatalf("%d consumers left after 300 loads", info.State.Consumers)
	}
}

// TestLongReadsSwitchToAConsumer loads an aggregate longer than the reads
// done by message gets, and reads from the middle: every event, in order,
// once, across the switch; and a short load creates no consumer at all.
func TestLongReadsSwitchToAConsumer(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()
	in := []events.Envelope{started(t, "conv-long")}
	for i := range 150 {
		in = append(in, received(t, "conv-long", fmt.Sprintf("m-long-%d", i)))
	}
	if _, err := s.Append(ctx, events.ExpectNew, in[:1]...); err != nil {
		t.Fatal(err)
	}
	// Another aggregate's events interleave on the stream.
	for i, e := range in[1:] {
		if _, err := s.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := s.Append(ctx, events.ExpectAny, received(t, "conv-other", fmt.Sprintf("m-other-%d", i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, last, err := s.Load(ctx, events.AggregateConversation, "conv-long")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) || got[len(got)-1].Sequence != last {
		t.Fatalf("loaded %d events (last %d), want %d", len(got), last, len(in))
	}
	for i := range got {
		if got[i].ID != in[i].ID || (i > 0 && got[i].Sequence <= got[i-1].Sequence) {
			t.Fatalf("event %d: %s seq %d, want %s in order", i, got[i].ID, got[i].Sequence, in[i].ID)
		}
	}
	var n int
	if _, err := s.Read(ctx, events.Subject(events.AggregateConversation, "conv-long"), got[99].Sequence, func(events.Envelope) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(in)-100 {
		t.Fatalf("read %d events after the 100th, want %d", n, len(in)-100)
	}
}

func TestSinceReadsOnlyWhatFollows(t *testing.T) {
	t.Parallel()
	s := newStoreOnFreshServer(t)
	ctx := context.Background()
	if got, last, err := s.Since(ctx, events.AggregateConversation, "conv-since", 0, 8); err != nil || len(got) != 0 || last != 0 {
		t.Fatalf("empty aggregate: %d events, last %d, %v", len(got), last, err)
	}
	acks, err := s.Append(ctx, events.ExpectNew, started(t, "conv-since"), received(t, "conv-since", "m-s-1"))
	if err != nil {
		t.Fatal(err)
	}
	// Another aggregate's events in between are not this one's.
	if _, err := s.Append(ctx, events.ExpectNew, started(t, "conv-between")); err != nil {
		t.Fatal(err)
	}
	more, err := s.Append(ctx, events.ExpectSeq(acks[1].Seq), received(t, "conv-since", "m-s-2"), received(t, "conv-since", "m-s-3"))
	if err != nil {
		t.Fatal(err)
	}
	got, last, err := s.Since(ctx, events.AggregateConversation, "conv-since", acks[0].Seq, 8)
	if err != nil {
		t.Fatal(err)
	}
	if last != more[1].Seq {
		t.Errorf("last %d, want %d", last, more[1].Seq)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	want := []string{"m-s-1", "m-s-2", "m-s-3"}
	if strings.Join(ids, ",") != strings.Join(want, ",") || got[2].Sequence != more[1].Seq {
		t.Errorf("since %d: %v, want %v", acks[0].Seq, ids, want)
	}
	if got, _, err := s.Since(ctx, events.AggregateConversation, "conv-since", last, 8); err != nil || len(got) != 0 {
		t.Errorf("up to date: %d events, %v", len(got), err)
	}
	if _, _, err := s.Since(ctx, events.AggregateConversation, "conv-since", 0, 2); !errors.Is(err, events.ErrTooFarBehind) {
		t.Errorf("4 events behind with max 2: %v, want ErrTooFarBehind", err)
	}
}
