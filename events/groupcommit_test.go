package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/natstest"
	"github.com/helpline-org/helpline/internal/poll"
)

// groupCall is one caller's append through a GroupCommit and its answer.
type groupCall struct {
	conv   string
	expect events.Expect
	envs   []events.Envelope
	acks   []events.Appended
	err    error
}

// groupRound makes calls' appends wait together in g and then lets g
// commit them, as concurrent handlers' appends meet in one round.
func groupRound(t *testing.T, g *events.GroupCommit, calls []*groupCall) {
	t.Helper()
	waiting, release := events.HoldGroupCommit(g)
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() { c.acks, c.err = g.Append(context.Background(), c.expect, c.envs...) })
	}
	poll.Until(t, 10*time.Second, func() error {
		if n := waiting(); n != len(calls) {
			return fmt.Errorf("%d of %d appends waiting", n, len(calls))
		}
		return nil
	})
	release()
	wg.Wait()
}

func groupEnvelope(t *testing.T, conv, id string) events.Envelope {
	t.Helper()
	e, err := events.NewWithID(id, conv, events.MessageReceived{MessageID: id, LineID: "main", ClientID: "c1",
		Channel: events.ChannelSMS, Body: events.Sealed{KeyID: "c1", Data: []byte("sealed")}, ReceivedAt: t0},
		events.Meta{OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// storedAt reads the event at each ack's sequence and checks it is the
// one appended there.
func storedAt(t *testing.T, js jetstream.JetStream, c *groupCall) {
	t.Helper()
	st, err := js.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.acks) != len(c.envs) {
		t.Fatalf("%s: %d answers for %d events", c.conv, len(c.acks), len(c.envs))
	}
	for i, a := range c.acks {
		m, err := st.GetMsg(context.Background(), a.Seq)
		if err != nil {
			t.Fatalf("%s: get %d: %v", c.conv, a.Seq, err)
		}
		if id := m.Header.Get(jetstream.MsgIDHeader); id != c.envs[i].ID || m.Subject != c.envs[i].Subject() {
			t.Fatalf("%s: sequence %d holds %s on %s, want %s", c.conv, a.Seq, id, m.Subject, c.envs[i].ID)
		}
	}
}

// TestGroupCommitOneBatch: appends of many conversations waiting together
// go as one atomic batch; each caller gets the sequences its own events
// were stored at, events of one append in order, and each expected
// sequence was checked for its own conversation.
func TestGroupCommitOneBatch(t *testing.T) {
	t.Parallel()
	js, s := natstest.Log(t)
	ctx := context.Background()
	// One conversation has history: its append expects its last event.
	first := groupEnvelope(t, "gc-old", "gc-old-0")
	prior, err := s.Append(ctx, events.ExpectNew, first)
	if err != nil {
		t.Fatal(err)
	}
	g := events.NewGroupCommit(s, events.GroupCommitConfig{MinBatch: 4})
	calls := []*groupCall{{conv: "gc-old", expect: events.ExpectSeq(prior[0].Seq), envs: []events.Envelope{groupEnvelope(t, "gc-old", "gc-old-1")}}}
	for i := range 20 {
		conv := fmt.Sprintf("gc-%d", i)
		c := &groupCall{conv: conv, expect: events.ExpectNew}
		if i%3 == 0 {
			c.expect = events.ExpectAny
		}
		for j := range 1 + i%3 {
			c.envs = append(c.envs, groupEnvelope(t, conv, fmt.Sprintf("%s-%d", conv, j)))
		}
		calls = append(calls, c)
	}
	groupRound(t, g, calls)
	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("%s: %v", c.conv, c.err)
		}
		storedAt(t, js, c)
	}
	if st := g.Stats(); st.Batches != 1 || st.Batched != uint64(len(calls)) || st.Single != 0 {
		t.Fatalf("stats %+v, want one batch of %d", st, len(calls))
	}
}

// TestGroupCommitConflictReachesOnlyItsCaller: one stale expectation in a
// round refuses the atomic batch; every append of it is then made on its
// own, so only the stale one's caller hears of the conflict.
func TestGroupCommitConflictReachesOnlyItsCaller(t *testing.T) {
	t.Parallel()
	js, s := natstest.Log(t)
	if _, err := s.Append(context.Background(), events.ExpectNew, groupEnvelope(t, "gcc-taken", "gcc-taken-0")); err != nil {
		t.Fatal(err)
	}
	g := events.NewGroupCommit(s, events.GroupCommitConfig{MinBatch: 2})
	stale := &groupCall{conv: "gcc-taken", expect: events.ExpectNew, envs: []events.Envelope{groupEnvelope(t, "gcc-taken", "gcc-taken-1")}}
	calls := []*groupCall{stale}
	for i := range 8 {
		conv := fmt.Sprintf("gcc-%d", i)
		calls = append(calls, &groupCall{conv: conv, expect: events.ExpectNew, envs: []events.Envelope{groupEnvelope(t, conv, conv+"-0")}})
	}
	groupRound(t, g, calls)
	if !errors.Is(stale.err, events.ErrConcurrency) {
		t.Fatalf("stale append: %v, want ErrConcurrency", stale.err)
	}
	for _, c := range calls[1:] {
		if c.err != nil {
			t.Fatalf("%s: %v", c.conv, c.err)
		}
		storedAt(t, js, c)
	}
	if st := g.Stats(); st.Batches != 0 || st.Single != uint64(len(calls)) {
		t.Fatalf("stats %+v, want every append on its own", st)
	}
}

// TestGroupCommitRedeliveredAppendsNothingTwice: the appends of a
// committed batch made again with the same events and expectations, as a
// handler does when its process died after the batch was durable and
// before it acknowledged its input (the input is redelivered): each caller
// hears the original sequences, as duplicates, and the log holds each
// event once.
func TestGroupCommitRedeliveredAppendsNothingTwice(t *testing.T) {
	t.Parallel()
	js, s := natstest.Log(t)
	g := events.NewGroupCommit(s, events.GroupCommitConfig{MinBatch: 2})
	var calls, again []*groupCall
	for i := range 6 {
		conv := fmt.Sprintf("gcr-%d", i)
		envs := []events.Envelope{groupEnvelope(t, conv, conv+"-0"), groupEnvelope(t, conv, conv+"-1")}
		calls = append(calls, &groupCall{conv: conv, expect: events.ExpectNew, envs: envs})
		again = append(again, &groupCall{conv: conv, expect: events.ExpectNew, envs: envs})
	}
	groupRound(t, g, calls)
	written := natstest.Written(t, js)
	// A new process: a GroupCommit of its own.
	g2 := events.NewGroupCommit(s, events.GroupCommitConfig{MinBatch: 2})
	groupRound(t, g2, again)
	for i, c := range again {
		if c.err != nil {
			t.Fatalf("%s again: %v", c.conv, c.err)
		}
		for j, a := range c.acks {
			if !a.Duplicate || a.Seq != calls[i].acks[j].Seq {
				t.Fatalf("%s again: event %d answered %+v, want a duplicate of %d", c.conv, j, a, calls[i].acks[j].Seq)
			}
		}
	}
	if after := natstest.Written(t, js); fmt.Sprint(after) != fmt.Sprint(written) {
		t.Fatalf("the log grew on redelivery: %v -> %v", written, after)
	}
	if st := g.Stats(); st.Batches != 1 {
		t.Fatalf("first round %+v, want one batch", st)
	}
}

// TestGroupCommitWithoutAtomicStream: on a stream made without atomic
// publishing (before this version), the first round is refused as a
// whole, every append goes on its own, and so do all later ones.
func TestGroupCommitWithoutAtomicStream(t *testing.T) {
	t.Parallel()
	srv := natstest.Server(t, "")
	_, js := natstest.Connect(t, srv.ClientURL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: events.DefaultStream, Subjects: []string{events.SubjectPrefix + ".>"},
		Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	s, err := events.OpenStore(ctx, js, events.StoreConfig{}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	g := events.NewGroupCommit(s, events.GroupCommitConfig{MinBatch: 2})
	for round := range 2 {
		var calls []*groupCall
		for i := range 4 {
			conv := fmt.Sprintf("gcn-%d-%d", round, i)
			calls = append(calls, &groupCall{conv: conv, expect: events.ExpectNew, envs: []events.Envelope{groupEnvelope(t, conv, conv+"-0")}})
		}
		groupRound(t, g, calls)
		for _, c := range calls {
			if c.err != nil {
				t.Fatalf("%s: %v", c.conv, c.err)
			}
			storedAt(t, js, c)
		}
	}
	if st := g.Stats(); st.Batches != 0 || st.Single != 8 {
		t.Fatalf("stats %+v, want every append on its own", st)
	}
}

// TestGroupCommitOnACluster: on three replicas the batch is one Raft
// proposal of several entries; each caller still gets its own events'
// sequences, and a stale expectation still reaches only its caller.
func TestGroupCommitOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test in -short mode")
	}
	t.Parallel()
	c := natstest.StartCluster(t, 3)
	_, js := natstest.Connect(t, c.URLs())
	s := newStore(t, js, 3)
	g := events.NewGroupCommit(s, events.GroupCommitConfig{MinBatch: 2})
	var calls []*groupCall
	for i := range 12 {
		conv := fmt.Sprintf("gck-%d", i)
		calls = append(calls, &groupCall{conv: conv, expect: events.ExpectNew,
			envs: []events.Envelope{groupEnvelope(t, conv, conv+"-0"), groupEnvelope(t, conv, conv+"-1")}})
	}
	groupRound(t, g, calls)
	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("%s: %v", c.conv, c.err)
		}
		storedAt(t, js, c)
	}
	if st := g.Stats(); st.Batches != 1 {
		t.Fatalf("stats %+v, want one batch", st)
	}
	stale := &groupCall{conv: "gck-0", expect: events.ExpectNew, envs: []events.Envelope{groupEnvelope(t, "gck-0", "gck-0-2")}}
	fresh := &groupCall{conv: "gck-new", expect: events.ExpectNew, envs: []events.Envelope{groupEnvelope(t, "gck-new", "gck-new-0")}}
	groupRound(t, g, []*groupCall{stale, fresh})
	if !errors.Is(stale.err, events.ErrConcurrency) || fresh.err != nil {
		t.Fatalf("stale: %v (want ErrConcurrency), fresh: %v (want none)", stale.err, fresh.err)
	}
	storedAt(t, js, fresh)
}
