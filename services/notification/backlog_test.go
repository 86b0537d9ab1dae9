package notification_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/notification"
)

// TestUrgent: the pager's events that page someone are urgent, the rest
// are not; a delivery or call status only when it is a refusal.
func TestUrgent(t *testing.T) {
	t.Parallel()
	meta := events.Meta{CorrelationID: "c", OccurredAt: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		p    events.Payload
		want bool
	}{
		{events.EscalationRaised{EscalationID: "e1", LineID: "main", MessageID: "m1", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
			Categories: []string{"overdose_means"}, Terms: events.NoWords()}, true},
		{events.UrgentNoticeRaised{NoticeID: "n1", EscalationID: "e1", MessageID: "m1", StaffID: "sam", Categories: []string{"overdose_means"}, Due: meta.OccurredAt}, true},
		{events.EscalationDeclined{EscalationID: "e1", StaffID: "sam", Via: "sms"}, true},
		{events.DeliveryStatusChanged{ProviderMessageID: "SM1", Status: "undelivered"}, true},
		{events.DeliveryStatusChanged{ProviderMessageID: "SM1", Status: "failed"}, true},
		{events.DeliveryStatusChanged{ProviderMessageID: "SM1", Status: "delivered"}, false},
		{events.CallStatusChanged{ProviderCallID: "CA1", Status: "no-answer"}, true},
		{events.CallStatusChanged{ProviderCallID: "CA1", Status: "completed"}, false},
		{events.EscalationAcknowledged{EscalationID: "e1", StaffID: "sam", Via: events.AckConsole}, false},
		{events.ConversationAssigned{AssigneeID: "sam", ByStaffID: "sam"}, false},
	} {
		e, err := events.New("conv-1", tc.p, meta)
		if err != nil {
			t.Fatal(err)
		}
		if got := notification.Urgent(context.Background(), e); got != tc.want {
			t.Errorf("Urgent(%s %+v) = %v, want %v", e.Type, tc.p, got, tc.want)
		}
	}
}

// handledOrder wraps the pager's handler among specs so that it records,
// in order, each event it handled without an error; its first call waits
// for gate first.
func handledOrder(specs []consume.Spec, gate func()) ([]consume.Spec, func() []events.Envelope) {
	var mu sync.Mutex
	var handled []events.Envelope
	var once sync.Once
	out := slices.Clone(specs)
	for i, s := range out {
		if sh, ok := s.(consume.Shared); ok && sh.Name == notification.PagerConsumer {
			h := sh.Handler
			sh.Handler = func(ctx context.Context, e events.Envelope) error {
				once.Do(gate)
				err := h(ctx, e)
				if err == nil {
					mu.Lock()
					handled = append(handled, e)
					mu.Unlock()
				}
				return err
			}
			out[i] = sh
		}
	}
	return out, func() []events.Envelope { mu.Lock(); defer mu.Unlock(); return slices.Clone(handled) }
}

// TestPageBehindBacklogFirst: with Config.PagesFirst, crises whose
// escalations came in behind a backlog of other conversations' messages
// (notification was down) are paged before those messages are handed to
// the pager, each crisis's
// conversation's earlier events first and in order; every event is
// handled, each conversation's in order, and each escalation is paged
// once. The pager handles one event at a time here, so the order is what
// the look-ahead chose.
func TestPageBehindBacklogFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rota, err := notification.NewRota(w.File, w.Store)
	if err != nil {
		t.Fatal(err)
	}
	convs, follow := w.Conversations(t)
	svc := notification.New(notification.Config{PublicURL: w.public, SendRate: 1000, PagesFirst: true}, w.File, rota, w.sender, w.Keys, w.Store, convs, w.tm, w.Clock.Now,
		zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel))
	// The pager's first handling waits until its subscription was handed
	// the whole backlog: the order is then the look-ahead's choice, not
	// how soon the events reached it (the pager passes over a text in
	// microseconds, a few dozen before the escalations arrive).
	var backlog []events.Envelope
	gate := func() {
		cons, err := w.JS.Consumer(context.Background(), events.DefaultStream, notification.PagerConsumer)
		if err != nil {
			t.Error(err)
			return
		}
		// Polled here, in the handler's goroutine, where poll.Until
		// cannot fail the test: a backlog never held shows in the
		// order's assertions below.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if info, err := cons.Info(context.Background()); err == nil && info.NumAckPending >= len(backlog) {
				return
			}
		}
	}
	specs, handled := handledOrder(svc.Specs(), gate)
	cc := testbed.ConsumeConfig()
	cc.InFlight, cc.LookAhead = 1, 256
	start := func() func() {
		r, err := consume.NewRouter(w.JS, w.Store, cc, append(specs, follow), nil, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		return testbed.RunRouter(t, r)
	}
	start()() // the consumers exist, as for a notification that died

	// 60 texts from 10 clients; three crises among them: from client 3
	// (who texted before, in the backlog) after 20, from a new client
	// after 45, from client 7 at the end.
	escalated := map[string]string{} // escalation id -> conversation
	for i := range 60 {
		w.Text(t, fmt.Sprintf("+4477009%05d", i%10), lineNum, "can we move my appointment to thursday")
		switch i {
		case 20:
			conv, esc, _ := w.crisisFrom(t, "+447700900003", body)
			escalated[esc] = conv
		case 45:
			conv, esc, _ := w.crisisFrom(t, "+447700800001", body)
			escalated[esc] = conv
		}
	}
	conv, esc, _ := w.crisisFrom(t, "+447700900007", body)
	escalated[esc] = conv
	st, err := w.JS.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	last := info.State.LastSeq // the backlog's last event
	backlog = w.Events(t, events.AggregateConversation, "")
	backlog = slices.DeleteFunc(backlog, func(e events.Envelope) bool { return e.Sequence > last })

	start()
	w.waitTimers(t, slices.Collect(maps.Keys(escalated))...)
	poll.Until(t, 30*time.Second, func() error {
		if got := countUpTo(handled(), last); got < len(backlog) {
			return fmt.Errorf("the pager handled %d of the backlog's %d events", got, len(backlog))
		}
		return nil
	})

	// Before each escalation, at most a few events of conversations
	// without one were handled: the first, handed over before the
	// look-ahead saw the escalations, and those whose turn came while an
	// urgent conversation's next event waited for its previous one's ack
	// (wmjetstream's keyed turns: others may hold one turn in four, and at
	// least one). Seen: up to 3 usually, 5 in one run in six at load 5
	// (the bound was 3 and failed there); without the look-ahead 45 and 56.
	crisisConv := map[string]bool{}
	for _, c := range escalated {
		crisisConv[c] = true
	}
	others := 0
	seen := map[uint64]bool{}
	byConv := map[string][]uint64{}
	for _, e := range handled() {
		if e.Sequence > last || seen[e.Sequence] {
			continue
		}
		seen[e.Sequence] = true
		byConv[e.AggregateID] = append(byConv[e.AggregateID], e.Sequence)
		if !crisisConv[e.AggregateID] {
			others++
		}
		if e.Type == events.TypeEscalationRaised && others > 8 {
			t.Errorf("escalation of %s handled after %d events of other conversations, want a few at most", e.AggregateID, others)
		}
	}
	for c, seqs := range byConv {
		if !slices.IsSorted(seqs) {
			t.Errorf("conversation %s handled in the order %v, want the log's", c, seqs)
		}
	}
	for _, e := range backlog {
		if !seen[e.Sequence] {
			t.Errorf("event %d (%s of %s) never handled", e.Sequence, e.Type, e.AggregateID)
		}
	}

	// One page each, sent and recorded.
	if got := len(w.sentTo(dutyPhone)); got != len(escalated) {
		t.Errorf("%d pages sent to the duty worker, want %d", got, len(escalated))
	}
	paged := map[string]int{}
	for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationPaged) {
		paged[testbed.Payload[events.EscalationPaged](t, e).EscalationID]++
	}
	for id := range escalated {
		if paged[id] != 1 {
			t.Errorf("escalation %s paged %d times, want 1", id, paged[id])
		}
	}
}

// countUpTo counts the distinct events among es at stream sequence last or
// before.
func countUpTo(es []events.Envelope, last uint64) int {
	seen := map[uint64]bool{}
	for _, e := range es {
		if e.Sequence <= last {
			seen[e.Sequence] = true
		}
	}
	return len(seen)
}

// BenchmarkPagerBacklog measures the pager catching up after an outage, on
// an in-process fsync-always server, without and with its look-ahead for
// urgent events (Config.PagesFirst, notification.Urgent), alternated in
// the same run: while
// no notification runs, texts come in (from 200 returning clients) and
// every 25th is followed by an escalation of its client's conversation,
// as triage raises one (the ordinary texts' verdicts are left out: the
// pager passes over a verdict as it does a text); then one notification
// replica starts, as a process does, with its follower of the log. It
// reports, for each, how fast the pager's backlog drains (its consumer's
// events, its own pages included, per second, until nothing is pending)
// and each escalation's time from the start to its page in the log (the
// stream's timestamp of its EscalationPaged): p50 and max, and the ratios
// of those with the look-ahead to those without. Texting the backlog in
// is not timed.
//
//	go test -run '^$' -bench PagerBacklog -benchtime 1x ./services/notification/
func BenchmarkPagerBacklog(b *testing.B) {
	for _, n := range []int{4000} {
		b.Run(fmt.Sprintf("texts=%d", n), func(b *testing.B) {
			var sum [2]struct{ drain, rate, p50, worst float64 }
			for i := range b.N {
				for j := range 2 {
					urgent := (i+j)%2 == 1 // PagesFirst; alternate which goes first
					r := runPagerBacklog(b, n, 25, urgent)
					k := 0
					if urgent {
						k = 1
					}
					sum[k].drain += r.drain.Seconds()
					sum[k].rate += float64(r.events) / r.drain.Seconds()
					sum[k].p50 += r.paged[len(r.paged)/2].Seconds()
					sum[k].worst += r.paged[len(r.paged)-1].Seconds()
				}
			}
			n := float64(b.N)
			for k, name := range []string{"off", "on"} {
				b.ReportMetric(sum[k].drain/n, name+"_drain_s")
				b.ReportMetric(sum[k].rate/n, name+"_events/s")
				b.ReportMetric(sum[k].p50/n, name+"_page_p50_s")
				b.ReportMetric(sum[k].worst/n, name+"_page_max_s")
			}
			b.ReportMetric(sum[1].p50/sum[0].p50, "p50_on/off")
			b.ReportMetric(sum[1].worst/sum[0].worst, "max_on/off")
			b.ReportMetric(sum[1].drain/sum[0].drain, "drain_on/off")
		})
	}
}

// pagerBacklogRun is one drain: how long it took, how many events the
// pager's consumer handled, and each escalation's time to its page,
// sorted.
type pagerBacklogRun struct {
	drain  time.Duration
	events uint64
	paged  []time.Duration
}

func runPagerBacklog(b *testing.B, n, crisisEvery int, urgent bool) pagerBacklogRun {
	b.StopTimer()
	w := newWorldWith(b, testConfig)
	rota, err := notification.NewRota(w.File, w.Store)
	if err != nil {
		b.Fatal(err)
	}
	convs, follow := w.Conversations(b)
	svc := notification.New(notification.Config{PublicURL: w.public, SendRate: 1000, PagesFirst: urgent}, w.File, rota, w.sender, w.Keys, w.Store, convs, w.tm, w.Clock.Now, zerolog.Nop())
	specs := svc.Specs()
	// The consumers exist before the backlog, as they do for a
	// notification that died: start it and stop it at once.
	w.Run(b, specs)()

	crises := 0
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				from := fmt.Sprintf("+4477008%05d", i%200)
				if i%crisisEvery == crisisEvery-1 {
					// A crisis: its client's conversation holds its
					// earlier texts in the backlog.
					w.crisisFrom(b, fmt.Sprintf("+4477008%05d", (i/crisisEvery)%200), body)
					continue
				}
				w.Text(b, from, lineNum, backlogTexts[i%len(backlogTexts)])
			}
		})
	}
	for i := range n {
		if i%crisisEvery == crisisEvery-1 {
			crises++
		}
		work <- i
	}
	close(work)
	wg.Wait()
	d := testbed.DrainBacklog(b, w.JS, notification.PagerConsumer, n, func() func() { return w.Run(b, append(specs, follow)) })

	start := d.Start
	out := pagerBacklogRun{drain: d.Took, events: d.Acked}
	for _, t := range pageTimes(b, w.JS) {
		out.paged = append(out.paged, t.Sub(start))
	}
	if len(out.paged) != crises {
		b.Fatalf("%d escalations paged, want %d", len(out.paged), crises)
	}
	slices.Sort(out.paged)
	return out
}

// backlogTexts are the ordinary texts of the backlog (the load
// generator's, loadtest/openloop.go).
var backlogTexts = []string{
	"can we move my appointment to thursday",
	"thanks for yesterday, it helped to talk",
	"what time are you open on saturday",
	"i had a rough week at work but im ok",
	"is there someone i can talk to about my landlord",
}

// pageTimes returns when each escalation's first page was stored in the
// log.
func pageTimes(b *testing.B, js jetstream.JetStream) []time.Time {
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
	info, err := st.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	last := info.State.LastSeq
	first := map[string]time.Time{}
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
			if e.Type == events.TypeEscalationPaged {
				id := testbed.Payload[events.EscalationPaged](b, e).EscalationID
				if _, ok := first[id]; !ok {
					first[id] = meta.Timestamp
				}
			}
			if meta.Sequence.Stream >= last {
				return slices.Collect(maps.Values(first))
			}
		}
		if err := batch.Error(); err != nil {
			b.Fatal(err)
		}
	}
}
