package triage_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

// backlogTexts are the ordinary and crisis texts of the backlog (the
// load generator's, loadtest/openloop.go).
var backlogTexts = struct{ ordinary, crisis []string }{
	ordinary: []string{
		"can we move my appointment to thursday",
		"thanks for yesterday, it helped to talk",
		"what time are you open on saturday",
		"i had a rough week at work but im ok",
		"is there someone i can talk to about my landlord",
	},
	crisis: []string{
		"i took 30 paracetamol and i want to die",
		"i am going to kill myself tonight",
		"i cant go on, i have the pills ready to end it",
	},
}

// TestCrisisBehindBacklogTriagedFirst: a crisis text that came in behind
// a backlog of ordinary ones (triage was down) is triaged before them, the
// message before it in its conversation first, and every message still
// gets one verdict, each conversation's in order. Triage handles one
// message at a time here, so the order is what the look-ahead chose.
func TestCrisisBehindBacklogTriagedFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	svc, follow := w.replica(t)
	cc := testbed.ConsumeConfig()
	cc.InFlight, cc.LookAhead = 1, 256
	start := func() func() {
		r, err := consume.NewRouter(w.JS, w.Store, cc, append(svc.Specs(), follow), nil, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		return testbed.RunRouter(t, r)
	}
	start()() // the consumer exists, as for a triage that died
	const ordinary = 40
	for i := range ordinary {
		w.text(t, fmt.Sprintf("+4477008%05d", i%10), backlogTexts.ordinary[i%len(backlogTexts.ordinary)])
	}
	// The crisis comes from a client who texted before, in the backlog.
	w.text(t, "+447700800003", "i am going to kill myself tonight")
	start()
	verdicts := w.waitFor(t, "conversation.message_triaged", ordinary+1)
	received := w.byType(t, "conversation.message_received")
	crisisConv := received[len(received)-1].AggregateID
	at := -1
	for i, v := range verdicts {
		if testbed.Payload[events.MessageTriaged](t, v).Risk == events.RiskCrisis {
			at = i
			break
		}
	}
	// At most a few ordinary messages were handed over before the
	// crisis was seen, and its conversation's earlier messages go before
	// it: client 3 texted 4 times in the backlog.
	if at < 0 || at > 10 {
		t.Fatalf("the crisis was verdict %d of %d, want among the first few", at, len(verdicts))
	}
	triaged := map[string]int{}
	for _, v := range verdicts {
		triaged[testbed.Payload[events.MessageTriaged](t, v).MessageID]++
	}
	var inConv []string
	for _, e := range received {
		m := testbed.Payload[events.MessageReceived](t, e)
		if triaged[m.MessageID] != 1 {
			t.Errorf("message %s has %d verdicts, want 1", m.MessageID, triaged[m.MessageID])
		}
		if e.AggregateID == crisisConv {
			inConv = append(inConv, m.MessageID)
		}
	}
	var order []string
	for _, v := range verdicts {
		if v.AggregateID == crisisConv {
			order = append(order, testbed.Payload[events.MessageTriaged](t, v).MessageID)
		}
	}
	if !slices.Equal(order, inConv) {
		t.Fatalf("conversation %s triaged %v, want its messages' order %v", crisisConv, order, inConv)
	}
}

// BenchmarkTriageBacklog measures triage catching up after an outage, on
// an in-process fsync-always server: while no triage runs, a backlog of
// texts comes in (ordinary ones from 200 returning clients, every 25th a
// crisis from a new client, as the load generator sends them); then one
// triage replica starts, as a process does, with its follower of the
// log. It reports how fast the backlog drains (the triage consumer's
// events, its own verdicts and escalations included, per second, until
// nothing is pending) and each crisis's time from the start to its
// escalation in the log (the stream's timestamp): min, p50, max, and the
// max as a share of the drain. Texting the backlog in is not timed.
//
// Each round drains twice, alternately: with triage appending each
// verdict by itself through the store (the plain figures), and through a
// GroupCommit (group_*, and the ratio store/group of the drains; group_
// batched is the share of verdicts committed in atomic batches).
//
//	go test -run '^$' -bench TriageBacklog -benchtime 1x ./services/triage/
func BenchmarkTriageBacklog(b *testing.B) {
	for _, n := range []int{2000} {
		b.Run(fmt.Sprintf("texts=%d", n), func(b *testing.B) {
			var store, group backlogFigures
			for i := range b.N {
				if i%2 == 0 {
					store.add(runBacklog(b, n, 25, false))
					group.add(runBacklog(b, n, 25, true))
				} else {
					group.add(runBacklog(b, n, 25, true))
					store.add(runBacklog(b, n, 25, false))
				}
			}
			store.report(b, "")
			group.report(b, "group_")
			b.ReportMetric(store.drain/group.drain, "store/group")
		})
	}
}

// backlogFigures sums the runs' figures.
type backlogFigures struct {
	runs                                           int
	drain, rate, first, p50, worst, share, batched float64
}

func (f *backlogFigures) add(r backlogRun) {
	f.runs++
	f.drain += r.drain.Seconds()
	f.rate += float64(r.events) / r.drain.Seconds()
	f.first += r.crisis[0].Seconds()
	f.p50 += r.crisis[len(r.crisis)/2].Seconds()
	f.worst += r.crisis[len(r.crisis)-1].Seconds()
	f.share += r.crisis[len(r.crisis)-1].Seconds() / r.drain.Seconds()
	if s := r.group; s.Batched+s.Single > 0 {
		f.batched += float64(s.Batched) / float64(s.Batched+s.Single)
	}
}

func (f *backlogFigures) report(b *testing.B, prefix string) {
	n := float64(f.runs)
	b.ReportMetric(f.drain/n, prefix+"drain_s")
	b.ReportMetric(f.rate/n, prefix+"events/s")
	b.ReportMetric(f.first/n, prefix+"crisis_min_s")
	b.ReportMetric(f.p50/n, prefix+"crisis_p50_s")
	b.ReportMetric(f.worst/n, prefix+"crisis_max_s")
	b.ReportMetric(f.share/n, prefix+"crisis_max/drain")
	if prefix != "" {
		b.ReportMetric(f.batched/n, prefix+"batched")
	}
}

// backlogRun is one drain: how long it took, how many events the
// consumer handled, and each crisis's time to escalation, sorted.
type backlogRun struct {
	drain  time.Duration
	events uint64
	crisis []time.Duration
	group  events.GroupCommitStats // when triage appended through a GroupCommit
}

func runBacklog(b *testing.B, n, crisisEvery int, group bool) backlogRun {
	b.StopTimer()
	bed := testbed.New(b, cfg, inHours)
	lex, err := lexicon.Default()
	if err != nil {
		b.Fatal(err)
	}
	convs, follow := bed.Conversations(b)
	var gc *events.GroupCommit
	if group {
		gc = events.NewGroupCommit(bed.Store, events.GroupCommitConfig{})
		convs = convs.Through(gc)
	}
	svc, err := triage.New(bed.File, lexicon.NewClassifier(lex), bed.Keys, convs, bed.Timers(b, "backlog"), bed.Clock.Now, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	// The consumer exists before the backlog, as it does for a triage
	// that died: start triage and stop it at once.
	bed.Run(b, svc.Specs())()

	crises := 0
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				from, body := fmt.Sprintf("+4477008%05d", i%200), backlogTexts.ordinary[i%len(backlogTexts.ordinary)]
				if i%crisisEvery == crisisEvery-1 {
					from, body = fmt.Sprintf("+4477005%05d", i), backlogTexts.crisis[i%len(backlogTexts.crisis)]
				}
				bed.Text(b, from, dayLine, body)
			}
		}()
	}
	for i := range n {
		if i%crisisEvery == crisisEvery-1 {
			crises++
		}
		work <- i
	}
	close(work)
	wg.Wait()
	d := testbed.DrainBacklog(b, bed.JS, "triage", n, func() func() { return bed.Run(b, append(svc.Specs(), follow)) })

	start := d.Start
	out := backlogRun{drain: d.Took, events: d.Acked}
	if gc != nil {
		out.group = gc.Stats()
	}
	for _, t := range escalationTimes(b, bed.JS) {
		out.crisis = append(out.crisis, t.Sub(start))
	}
	if len(out.crisis) != crises {
		b.Fatalf("%d escalations, want %d", len(out.crisis), crises)
	}
	slices.Sort(out.crisis)
	return out
}

// escalationTimes returns when each escalation in the log was stored.
func escalationTimes(b *testing.B, js jetstream.JetStream) []time.Time {
	ctx := context.Background()
	oc, err := js.OrderedConsumer(ctx, events.DefaultStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.AggregateSubjects(events.AggregateConversation)}})
	if err != nil {
		b.Fatal(err)
	}
	st, err := js.Stream(ctx, events.DefaultStream)
	if err != nil {
		b.Fatal(err)
	}
	last := st.CachedInfo().State.LastSeq
	var out []time.Time
	for {
		batch, err := oc.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				b.Fatal(err)
			}
			e, err := events.Unmarshal(m.Data(), meta.Sequence.Stream)
			if err != nil {
				b.Fatal(err)
			}
			if e.Type == events.TypeEscalationRaised {
				out = append(out, meta.Timestamp)
			}
			if meta.Sequence.Stream >= last {
				return out
			}
		}
		if err := batch.Error(); err != nil {
			b.Fatal(err)
		}
	}
}
