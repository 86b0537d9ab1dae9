package notification_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/notification"
)

const (
	lineNum   = "+442079460000"
	clientNum = "+447700900555"
	dutyPhone = "+447700900101"
	backup    = "+447700900102"
	manager   = "+447700900103"
	body      = "I have taken all my pills"
)

var (
	sam   = testbed.Member{ID: "sam", Name: "Sam Duty", Role: "duty", Phone: dutyPhone}
	ali   = testbed.Member{ID: "ali", Name: "Ali Duty", Role: "duty", Phone: "+447700900104"}
	robin = testbed.Member{ID: "robin", Name: "Robin Backup", Role: "duty", Phone: backup}
	kim   = testbed.Member{ID: "kim", Name: "Kim Manager", Role: "manager", Phone: manager}
)

// mainConfig is the tests' configuration (testbed.Config): the line main,
// always open on the default policy, with line's further settings
// (", reopen_window: 1m"), and rota; the policy gives each level five
// minutes.
func mainConfig(line string, rota ...testbed.Covers) string {
	return testbed.Config(fmt.Sprintf("name: Test Line, number: %q, timezone: Europe/London, always_open: true, policy: default%s", lineNum, line), "5m", rota...)
}

// testRota is sam on duty, robin as backup and kim as manager.
var testRota = []testbed.Covers{testbed.On("duty", sam), testbed.On("backup", robin), testbed.On("manager", kim)}

// testConfig is the line with testRota.
var testConfig = mainConfig("", testRota...)

type world struct {
	*testbed.Bed
	fake   *twiliofake.Fake
	sender *sms.Sender
	tm     *timers.Store
	// public is the public URL the service gives Twilio and staff.
	public string
}

func newWorld(t *testing.T) *world { return newWorldWith(t, testConfig) }

func newWorldWith(t testing.TB, yamlConfig string) *world {
	t.Helper()
	w := &world{Bed: testbed.New(t, yamlConfig, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)), public: "https://helpline.example"}
	w.fake = twiliofake.New(twiliofake.Config{Now: w.Clock.Now}, zerolog.Nop())
	t.Cleanup(func() { w.fake.Close() })
	srv := httptest.NewServer(w.fake)
	t.Cleanup(srv.Close)
	var err error
	if w.sender, err = sms.NewSender(sms.Config{AccountSID: w.fake.AccountSID(), AuthToken: w.fake.AuthToken(), APIURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	w.tm = w.Timers(t, "notification_timers")
	return w
}

// service starts one notification replica: its router on the shared
// durable consumer. The returned stop ends it.
func (w *world) service(t *testing.T) (*notification.Service, func()) {
	t.Helper()
	return w.serviceAt(t, 1000)
}

// serviceAt is service sending at most sendRate messages a second per
// line number (burst 10).
func (w *world) serviceAt(t *testing.T, sendRate float64) (*notification.Service, func()) {
	t.Helper()
	rota, err := notification.NewRota(w.File, w.Store)
	if err != nil {
		t.Fatal(err)
	}
	// The service's log goes to the test's, shown when it fails: a page
	// that did not come says why there.
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	convs, follow := w.Conversations(t)
	svc := notification.New(notification.Config{PublicURL: w.public, SendRate: sendRate}, w.File, rota, w.sender, w.Keys, w.Store, convs, w.tm, w.Clock.Now, log)
	return svc, w.Run(t, append(svc.Specs(), follow))
}

// crisis brings a client's message in through ingestion and raises an
// escalation on its conversation, as triage does.
func (w *world) crisis(t *testing.T, text string) (convID, escID, pseudonym string) {
	t.Helper()
	return w.crisisFrom(t, clientNum, text)
}

// pagedCrisis is crisis, once the service paged the duty phone and set the
// escalation's acknowledgement timer.
func (w *world) pagedCrisis(t *testing.T) (convID, escID, pseudonym string) {
	t.Helper()
	convID, escID, pseudonym = w.crisis(t, body)
	w.waitSent(t, dutyPhone, 1)
	w.waitTimers(t, escID)
	return convID, escID, pseudonym
}

// crisisFrom is crisis from another client's number.
func (w *world) crisisFrom(t testing.TB, number, text string) (convID, escID, pseudonym string) {
	t.Helper()
	ctx := context.Background()
	rc := w.Text(t, number, lineNum, text)
	escID = "esc-" + rc.EventID
	e, err := events.NewWithID(escID, rc.ConversationID, events.EscalationRaised{EscalationID: escID, LineID: "main", MessageID: rc.EventID,
		Reason: events.ReasonCrisis, Risk: events.RiskCrisis, Categories: []string{"overdose_means"}, Terms: events.NoWords()},
		events.Meta{CorrelationID: rc.EventID, CausationID: rc.EventID, OccurredAt: w.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(ctx, events.ExpectAny, e); err != nil {
		t.Fatal(err)
	}
	return rc.ConversationID, escID, rc.Pseudonym
}

func (w *world) sentTo(number string) []twiliofake.SentMessage {
	return addressedTo(w.fake.Sent(), func(m twiliofake.SentMessage) string { return m.To }, number)
}

func (w *world) waitSent(t *testing.T, number string, n int) []twiliofake.SentMessage {
	t.Helper()
	poll.Until(t, 10*time.Second, func() error {
		if got := len(w.sentTo(number)); got < n {
			return fmt.Errorf("%d messages to %s, want %d", got, number, n)
		}
		return nil
	})
	return w.sentTo(number)
}

// waitTimers waits until n acknowledgement timers are set: a page is sent,
// then recorded, then its timer set.
func (w *world) waitTimers(t *testing.T, escIDs ...string) {
	t.Helper()
	poll.Until(t, 10*time.Second, func() error {
		// The deadline is stored before the page leaves: wait for the
		// page's record too, so that the step is wholly handled.
		paged := map[string]bool{}
		for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationPaged) {
			paged[testbed.Payload[events.EscalationPaged](t, e).EscalationID] = true
		}
		for _, id := range escIDs {
			if _, ok, err := w.tm.Get(context.Background(), "ack-"+id); err != nil || !ok {
				return fmt.Errorf("no timer for %s (%v)", id, err)
			}
			if !w.tm.Scheduled("ack-" + id) { // what a single fire sees
				return fmt.Errorf("timer for %s not in the schedule yet", id)
			}
			if !paged[id] {
				return fmt.Errorf("page for %s not recorded yet", id)
			}
		}
		return nil
	})
}

func (w *world) fire(t *testing.T, svc *notification.Service) {
	t.Helper()
	if _, err := w.tm.Fire(context.Background(), svc.OnTimer); err != nil {
		t.Fatal(err)
	}
}

// fireUntil fires due timers, as a replica's tick does, until cond holds:
// a timer whose handler failed (the new process still reading the log)
// or that this store's watch has not yet scheduled fires at a later tick,
// so a single Fire would be a guess.
func (w *world) fireUntil(t *testing.T, svc *notification.Service, cond func() error) {
	t.Helper()
	poll.Until(t, 10*time.Second, func() error {
		w.fire(t, svc)
		return cond()
	})
}

// sentAtLeast is a condition for fireUntil: n messages reached number.
func (w *world) sentAtLeast(number string, n int) func() error {
	return func() error {
		if got := len(w.sentTo(number)); got < n {
			return fmt.Errorf("%d messages to %s, want %d", got, number, n)
		}
		return nil
	}
}

func TestPageThenNextLevelUntilAcknowledged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc, _ := w.service(t)
	convID, escID, pseudonym := w.pagedCrisis(t)
	page := w.sentTo(dutyPhone)[0]
	if page.From != lineNum {
		t.Errorf("page from %s, want the line's number", page.From)
	}
	for _, want := range []string{pseudonym, "crisis", "overdose means", w.public + "/queue/" + escID, "Reply 1 to acknowledge, 2 if you cannot take it"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("page %q lacks %q", page.Body, want)
		}
	}
	for _, never := range []string{clientNum, strings.TrimPrefix(clientNum, "+"), body, "pills"} {
		if strings.Contains(page.Body, never) {
			t.Errorf("page %q contains %q", page.Body, never)
		}
	}

	// The page carries the webhook's correlation id, caused by the escalation.
	for _, e := range w.Events(t, events.AggregateConversation, "conversation.escalation_paged") {
		if !strings.HasPrefix(e.CorrelationID, "sms-") || e.CausationID != escID {
			t.Errorf("page correlation %q causation %q", e.CorrelationID, e.CausationID)
		}
	}

	// Not yet due: nothing more.
	w.Clock.Add(4 * time.Minute)
	w.fire(t, svc)
	if n := len(w.sentTo(backup)); n != 0 {
		t.Fatalf("backup paged before the timeout")
	}
	// Past the timeout with no acknowledgement: the backup is paged.
	w.Clock.Add(2 * time.Minute)
	w.fire(t, svc)
	w.waitSent(t, backup, 1)
	poll.Until(t, 10*time.Second, func() error {
		if tm, ok, _ := w.tm.Get(context.Background(), "ack-"+escID); !ok || tm.Data["level"] != "1" {
			return fmt.Errorf("timer not yet at the backup step")
		}
		return nil
	})

	// The backup acknowledges: no further page, however long we wait.
	ctx := context.Background()
	history, last, err := w.Store.Load(ctx, events.AggregateConversation, convID)
	if err != nil {
		t.Fatal(err)
	}
	conv := events.NewConversation(convID)
	for _, e := range history {
		_ = conv.Apply(e)
	}
	if err := conv.Acknowledge(escID, "robin", events.Meta{OccurredAt: w.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(ctx, events.ExpectSeq(last), conv.Pending()...); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if _, ok, _ := w.tm.Get(ctx, "ack-"+escID); ok {
			return fmt.Errorf("timer still set")
		}
		return nil
	})
	w.Clock.Add(time.Hour)
	w.fire(t, svc)
	if n := len(w.sentTo(manager)); n != 0 {
		t.Fatalf("manager paged after acknowledgement")
	}
	if n := len(w.sentTo(dutyPhone)) + len(w.sentTo(backup)); n != 2 {
		t.Fatalf("%d pages in all, want 2", n)
	}
}

func TestReplyReachesClientAndStopBlocksIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.service(t)
	ctx := context.Background()
	rc := w.Text(t, clientNum, lineNum, "hello?")
	reply := func(id, text string) {
		t.Helper()
		replyEventID := "rq-" + id
		sealed, err := w.Keys.Seal(ctx, rc.ClientID, []byte(text), events.BodyAAD(replyEventID))
		if err != nil {
			t.Fatal(err)
		}
		e, err := events.NewWithID(replyEventID, rc.ConversationID, events.ReplyRequested{ReplyID: id, StaffID: "alex", SenderName: "Alex",
			Body: events.Sealed{KeyID: rc.ClientID, Data: sealed}}, events.Meta{OccurredAt: w.Clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Store.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	reply("r1", "We're here. Are you safe right now?")
	got := w.waitSent(t, clientNum, 1)[0]
	if got.From != lineNum || got.Body != "We're here. Are you safe right now?" {
		t.Fatalf("reply: %+v", got)
	}
	// The client texts STOP: the next reply is blocked, not sent.
	w.Text(t, clientNum, lineNum, "STOP")
	reply("r2", "Still here if you need us")
	poll.Until(t, 10*time.Second, func() error {
		history, _, err := w.Store.Load(ctx, events.AggregateConversation, rc.ConversationID)
		if err != nil {
			return err
		}
		for _, e := range history {
			if e.Type == "conversation.reply_blocked" {
				return nil
			}
		}
		return fmt.Errorf("no reply_blocked event")
	})
	if n := len(w.sentTo(clientNum)); n != 1 {
		t.Fatalf("%d messages to the client after STOP, want 1", n)
	}
}

func TestRestartedServiceStillPagesOnTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, stop := w.service(t)
	w.pagedCrisis(t)
	stop() // the notification service dies while the timer runs

	w.Clock.Add(6 * time.Minute)
	svc2, _ := w.service(t) // a new process: nothing in memory
	w.fireUntil(t, svc2, w.sentAtLeast(backup, 1))
	if n := len(w.sentTo(dutyPhone)); n != 1 {
		t.Fatalf("duty paged %d times across the restart, want 1", n)
	}
}

func TestTwoReplicasPageEachLevelOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, _ := w.service(t)
	b, _ := w.service(t)
	var escs []string
	for range 3 {
		_, id, _ := w.crisis(t, body)
		escs = append(escs, id)
	}
	w.waitSent(t, dutyPhone, 3)
	w.waitTimers(t, escs...)
	w.Clock.Add(6 * time.Minute)
	// Both replicas fire the same timers at the same moment.
	var wg sync.WaitGroup
	for _, svc := range []*notification.Service{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = w.tm.Fire(context.Background(), svc.OnAckTimeout) }()
	}
	wg.Wait()
	w.fire(t, a) // a retry after any conflict
	w.fire(t, b)
	w.waitSent(t, backup, 3)
	poll.Until(t, 10*time.Second, func() error { // the timers moved on to the backup step
		for _, id := range escs {
			tm, ok, err := w.tm.Get(context.Background(), "ack-"+id)
			if err != nil || !ok || tm.Data["level"] != "1" {
				return fmt.Errorf("timer %s not at level 1: %+v %v", id, tm, err)
			}
		}
		return nil
	})
	w.Clock.Add(6 * time.Minute)
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = w.tm.Fire(context.Background(), a.OnAckTimeout) }()
	go func() { defer wg.Done(); _, _ = w.tm.Fire(context.Background(), b.OnAckTimeout) }()
	wg.Wait()
	w.fire(t, a)
	w.fire(t, b)
	w.waitSent(t, manager, 3)
	if d, bk, m := len(w.sentTo(dutyPhone)), len(w.sentTo(backup)), len(w.sentTo(manager)); d != 3 || bk != 3 || m != 3 {
		t.Fatalf("pages duty %d, backup %d, manager %d; want 3 each (one per escalation per level)", d, bk, m)
	}
}

// TestUnreachableDutyPhoneEscalatesAtOnce: the provider refuses the duty
// worker's number for good; the refusal is recorded and the backup is
// paged at once, not after the acknowledgement timeout.
func TestUnreachableDutyPhoneEscalatesAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.service(t)
	w.fake.FailNext(1, 400, 21211) // invalid number
	w.crisis(t, body)
	w.waitSent(t, backup, 1)
	if n := len(w.sentTo(dutyPhone)); n != 0 {
		t.Fatalf("%d pages reached the refused duty phone", n)
	}
	if got := fmt.Sprint(w.refusals(t)); got != "[failed:sam:21211 reescalated:unreachable]" {
		t.Fatalf("recorded %s", got)
	}
}

// TestPageNeverQueuesBehindReplies: crisis first. Replies waiting for the
// line number's send rate (here one every 10 s, after a burst of 10) do
// not hold a page back: it has its own consumer and does not wait for the
// rate.
func TestPageNeverQueuesBehindReplies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.serviceAt(t, 0.1)
	ctx := context.Background()
	rc := w.Text(t, clientNum, lineNum, "hello?")
	for i := range 15 {
		replyEventID := fmt.Sprintf("rq-q%02d", i)
		sealed, err := w.Keys.Seal(ctx, rc.ClientID, []byte("We're here."), events.BodyAAD(replyEventID))
		if err != nil {
			t.Fatal(err)
		}
		e, err := events.NewWithID(replyEventID, rc.ConversationID, events.ReplyRequested{ReplyID: fmt.Sprintf("q%02d", i), StaffID: "alex",
			SenderName: "Alex", Body: events.Sealed{KeyID: rc.ClientID, Data: sealed}}, events.Meta{OccurredAt: w.Clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Store.Append(ctx, events.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	w.waitSent(t, clientNum, 10) // the burst; the rest wait for the rate
	w.crisisFrom(t, "+447700900556", body)
	w.waitSent(t, dutyPhone, 1)
	if n := len(w.sentTo(clientNum)); n >= 15 {
		t.Fatalf("the page went out after all %d replies, want it before those still waiting for the rate", n)
	}
}

// TestStepMovedButNotPagedIsPagedAfterTheGrace: a replica recorded the
// move to the backup step and died before paging it. Another replica
// firing the old timer within the grace pages nobody (the first might
// still page) but keeps the timer; after the grace it pages the backup.
// Before, the timer was deleted at the first firing and nobody was ever
// paged.
func TestStepMovedButNotPagedIsPagedAfterTheGrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc, _ := w.service(t)
	convID, escID, _ := w.pagedCrisis(t)
	w.Clock.Add(6 * time.Minute)

	w.Update(t, convID, func(c *events.Conversation, m events.Meta) error {
		m.CorrelationID = escID
		return c.ReEscalate(escID, 0, 1, 1, "ack_timeout", m)
	})
	w.fire(t, svc)
	if n := len(w.sentTo(backup)); n != 0 {
		t.Fatalf("the backup was paged %d times within the grace", n)
	}
	if _, ok, err := w.tm.Get(context.Background(), "ack-"+escID); err != nil || !ok {
		t.Fatalf("the timer was dropped within the grace (%v): nobody would page the backup", err)
	}
	w.Clock.Add(31 * time.Second)
	w.fireUntil(t, svc, w.sentAtLeast(backup, 1))
}

// diesAfterSending sends through the real sender, and after the message to
// its number has left it never returns: the process died between the
// provider's accepting a page and anything after it being recorded.
type diesAfterSending struct {
	notification.Sender
	to   string
	once sync.Once
	sent chan struct{}
}

func (d *diesAfterSending) Send(ctx context.Context, m sms.Message) (string, error) {
	sid, err := d.Sender.Send(ctx, m)
	if err != nil || m.To != d.to {
		return sid, err
	}
	d.once.Do(func() { close(d.sent) })
	<-ctx.Done()
	return "", ctx.Err()
}

// TestDeadlineIsDurableBeforeThePage: the process dies right after the
// duty worker's page has left. The step's acknowledgement deadline must
// already be stored: were it set only after the page, nothing would page
// the backup until the raised event came back (the consumer's ack wait,
// 30 s), whatever the policy's timeout.
func TestDeadlineIsDurableBeforeThePage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rota, err := notification.NewRota(w.File, w.Store)
	if err != nil {
		t.Fatal(err)
	}
	dying := &diesAfterSending{Sender: w.sender, to: dutyPhone, sent: make(chan struct{})}
	convs, follow := w.Conversations(t)
	svc := notification.New(notification.Config{PublicURL: w.public, SendRate: 1000}, w.File, rota, dying, w.Keys, w.Store, convs, w.tm, w.Clock.Now, zerolog.Nop())
	stop := w.Run(t, append(svc.Specs(), follow))
	_, escID, _ := w.crisis(t, body)
	select {
	case <-dying.sent:
	case <-time.After(30 * time.Second):
		t.Fatal("the duty worker was not paged")
	}
	stop()
	tm, ok, err := w.tm.Get(context.Background(), "ack-"+escID)
	if err != nil || !ok {
		t.Fatalf("no acknowledgement deadline once the page had left (%v)", err)
	}
	if tm.Data["level"] != "0" {
		t.Fatalf("deadline for level %s, want the duty step's", tm.Data["level"])
	}

	w.Clock.Add(6 * time.Minute)
	svc2, _ := w.service(t) // a new process: nothing in memory
	w.fireUntil(t, svc2, w.sentAtLeast(backup, 1))
}
