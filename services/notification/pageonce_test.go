package notification_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/services/notification"
)

// A notification process killed at each step of sending a page, and
// another started in its place, to which the escalation comes back (a
// redelivery): every crisis is paged exactly once where the outcome was
// knowable (pageonce.go), and at least once always. The handler is
// called directly with the escalation's event, as the consumer hands it
// over; a process "dies" when its handling is cancelled at the step and
// never goes on.

// errKilled is what a step of a dying process returns.
var errKilled = errors.New("killed")

// dying is a sender that dies at its first page to `to`: before the
// provider gets it (beforeSend) or after the provider accepted it.
type dying struct {
	notification.Sender
	to         string
	beforeSend bool
	once       sync.Once
	died       chan struct{}
}

func newDying(s notification.Sender, to string, beforeSend bool) *dying {
	return &dying{Sender: s, to: to, beforeSend: beforeSend, died: make(chan struct{})}
}

func (d *dying) Send(ctx context.Context, m sms.Message) (string, error) {
	if m.To != d.to {
		return d.Sender.Send(ctx, m)
	}
	if !d.beforeSend {
		if _, err := d.Sender.Send(ctx, m); err != nil {
			return "", err
		}
	}
	d.once.Do(func() { close(d.died) })
	<-ctx.Done()
	return "", errKilled
}

// diesAtAttempt is the log of a process that dies as it appends a page's
// attempt: the attempt never reaches the log.
type diesAtAttempt struct {
	*events.Store
	died chan struct{}
	once sync.Once
}

func (d *diesAtAttempt) Append(ctx context.Context, expect events.Expect, envs ...events.Envelope) ([]events.Appended, error) {
	for _, e := range envs {
		if e.Type == events.TypePageAttempted {
			d.once.Do(func() { close(d.died) })
			<-ctx.Done()
			return nil, errKilled
		}
	}
	return d.Store.Append(ctx, expect, envs...)
}

// process is one notification process: its own conversation repository
// (nothing shared in memory with another) on log, sending through send.
func (w *world) process(t *testing.T, send notification.Sender, log events.AppendLog) *notification.Service {
	t.Helper()
	rota, err := notification.NewRota(w.File, w.Store)
	if err != nil {
		t.Fatal(err)
	}
	convs, err := events.NewConversations(log, events.DefaultConversationCacheSize)
	if err != nil {
		t.Fatal(err)
	}
	return notification.New(notification.Config{PublicURL: w.public, SendRate: 1000}, w.File, rota, send, w.Keys, w.Store, convs, w.tm, w.Clock.Now,
		zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel))
}

// raised is the escalation's raised event, as the pager's consumer hands it over.
func (w *world) raised(t *testing.T, escID string) events.Envelope {
	t.Helper()
	for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationRaised) {
		if testbed.Payload[events.EscalationRaised](t, e).EscalationID == escID {
			return e
		}
	}
	t.Fatalf("no escalation %s", escID)
	return events.Envelope{}
}

// killedAt hands the raised event to svc and kills the process when died
// closes: its handling is cancelled there and returns.
func killedAt(t *testing.T, svc *notification.Service, e events.Envelope, died <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.HandlePages(ctx, e) }()
	select {
	case <-died:
	case err := <-done:
		t.Fatalf("the handling ended before the step it should die at: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the process never reached the step it should die at")
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a killed handling returned nil: its event would not come back")
	}
}

// handles hands svc the escalation's raised event, as the pager's
// consumer does, and fails the test if the handling fails.
func (w *world) handles(t *testing.T, svc *notification.Service, escID string) {
	t.Helper()
	if err := svc.HandlePages(context.Background(), w.raised(t, escID)); err != nil {
		t.Fatal(err)
	}
}

// killedSending hands the escalation to a process that dies at its first
// page to the duty phone, before the provider gets it (beforeSend) or
// after the provider accepted it, and checks the pages that left.
func (w *world) killedSending(t *testing.T, escID string, beforeSend bool) {
	t.Helper()
	d := newDying(w.sender, dutyPhone, beforeSend)
	killedAt(t, w.process(t, d, w.Store), w.raised(t, escID), d.died)
	want := 1
	if beforeSend {
		want = 0
	}
	if n := len(w.sentTo(dutyPhone)); n != want {
		t.Fatalf("%d pages left before the kill, want %d", n, want)
	}
}

// comesBack moves the clock on by the consumer's ack wait, after which
// the escalation a dead process held comes back, and hands it to a new
// process sending through send; it returns that process.
func (w *world) comesBack(t *testing.T, escID string, send notification.Sender) *notification.Service {
	t.Helper()
	w.Clock.Add(30 * time.Second)
	svc := w.process(t, send, w.Store)
	w.handles(t, svc, escID)
	return svc
}

// pagedOnceRecorded checks that the duty phone got exactly one page and
// that the log records it with that page's sid.
func (w *world) pagedOnceRecorded(t *testing.T, escID string) {
	t.Helper()
	sent := w.sentTo(dutyPhone)
	if len(sent) != 1 {
		t.Fatalf("the duty phone got %d pages, want exactly 1", len(sent))
	}
	var sids []string
	for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationPaged) {
		if p := testbed.Payload[events.EscalationPaged](t, e); p.EscalationID == escID {
			sids = append(sids, p.ProviderMessageID)
		}
	}
	if len(sids) != 1 || sids[0] != sent[0].SID {
		t.Fatalf("pages recorded %v, want the one sent, %s", sids, sent[0].SID)
	}
}

func TestKilledBeforeTheAttemptIsDurablePagesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	log := &diesAtAttempt{Store: w.Store, died: make(chan struct{})}
	killedAt(t, w.process(t, w.sender, log), w.raised(t, escID), log.died)
	if n := len(w.sentTo(dutyPhone)); n != 0 {
		t.Fatalf("%d pages left before the attempt was recorded", n)
	}
	w.handles(t, w.process(t, w.sender, w.Store), escID)
	w.pagedOnceRecorded(t, escID)
}

func TestKilledBetweenTheAttemptAndTheProviderPagesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	w.killedSending(t, escID, true)
	svc := w.comesBack(t, escID, w.sender)
	w.pagedOnceRecorded(t, escID)
	if got := reconciled(t, svc, "not_found"); got != 1 {
		t.Fatalf("asked the provider and found nothing %v times, want 1", got)
	}
}

// TestKilledBetweenTheProviderAndTheRecordPagesOnce is the window the
// drills showed (issue 17): the provider accepted the page and the
// process died before recording it. Its successor asks the provider,
// finds the page, and records it without sending it again.
func TestKilledBetweenTheProviderAndTheRecordPagesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	w.killedSending(t, escID, false)
	svc := w.comesBack(t, escID, w.sender)
	w.pagedOnceRecorded(t, escID)
	if got := reconciled(t, svc, "found"); got != 1 {
		t.Fatalf("found the page at the provider %v times, want 1", got)
	}
	// The step goes on as if the page had been recorded at once: its
	// acknowledgement deadline pages the backup when it passes.
	w.Clock.Add(6 * time.Minute)
	w.fireUntil(t, svc, w.sentAtLeast(backup, 1))
}

// cannotList is a provider whose list of messages does not answer.
type cannotList struct{ notification.Sender }

func (cannotList) FindMessage(context.Context, string, string, time.Time, string) (string, bool, error) {
	return "", false, &sms.SendError{Status: 503, Err: errors.New("service unavailable")}
}

// TestProviderCannotSayPagesAgain: the page left, the process died, and
// its successor cannot ask the provider: it pages again (a duplicate over
// a miss) and counts it.
func TestProviderCannotSayPagesAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	w.killedSending(t, escID, false)
	svc := w.comesBack(t, escID, cannotList{w.sender})
	if n := len(w.sentTo(dutyPhone)); n != 2 {
		t.Fatalf("the duty phone got %d pages, want 2 (paged again when the provider could not say)", n)
	}
	if got := reconciled(t, svc, "unknown"); got != 1 {
		t.Fatalf("counted %v pages sent without knowing, want 1", got)
	}
}

// paused is a sender whose first page to `to` waits, before reaching the
// provider, until release closes: a process in the middle of a page.
type paused struct {
	notification.Sender
	to      string
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (p *paused) Send(ctx context.Context, m sms.Message) (string, error) {
	if m.To == p.to {
		first := false
		p.once.Do(func() { first = true })
		if first {
			close(p.reached)
			<-p.release
		}
	}
	return p.Sender.Send(ctx, m)
}

// TestTwoProcessesHandlingOneEscalationPageOnce: the escalation is handed
// to a second process (a redelivery, the grace's timer) while the first is
// in the middle of its page. The second sees the page attempted moments
// ago and leaves it (the event comes back to it later); the first pages;
// the second, handed it again, finds the page recorded.
func TestTwoProcessesHandlingOneEscalationPageOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	p := &paused{Sender: w.sender, to: dutyPhone, reached: make(chan struct{}), release: make(chan struct{})}
	first, second := w.process(t, p, w.Store), w.process(t, w.sender, w.Store)
	done := make(chan error, 1)
	go func() { done <- first.HandlePages(context.Background(), w.raised(t, escID)) }()
	<-p.reached
	w.Clock.Add(5 * time.Second)
	if err := second.HandlePages(context.Background(), w.raised(t, escID)); err == nil {
		t.Fatal("the second process took a page in flight elsewhere as done")
	}
	if n := len(w.sentTo(dutyPhone)); n != 0 {
		t.Fatalf("the second process paged while the first was paging (%d)", n)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	w.Clock.Add(30 * time.Second)
	w.handles(t, second, escID)
	w.pagedOnceRecorded(t, escID)
}

// TestRedeliveredEscalationPagesOnce: the raised event handed over again
// after its page was recorded, to the same process and to a new one,
// pages nobody again.
func TestRedeliveredEscalationPagesOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	svc := w.process(t, w.sender, w.Store)
	for _, p := range []*notification.Service{svc, svc, w.process(t, w.sender, w.Store)} {
		w.handles(t, p, escID)
	}
	w.pagedOnceRecorded(t, escID)
}

// losesFirstAnswer is a provider link that loses the answer to the first
// page to `to`: the provider accepted it, the pager saw no answer.
type losesFirstAnswer struct {
	notification.Sender
	to   string
	once sync.Once
}

func (l *losesFirstAnswer) Send(ctx context.Context, m sms.Message) (string, error) {
	sid, err := l.Sender.Send(ctx, m)
	lost := false
	if m.To == l.to && err == nil {
		l.once.Do(func() { lost = true })
	}
	if lost {
		return "", &sms.SendError{Err: errors.New("connection reset by peer")}
	}
	return sid, err
}

// TestLostAnswerIsNotSentAgain: the provider's answer to a page is lost
// (no status), which the send retries; the retry asks the provider first,
// finds the page and does not send it again.
func TestLostAnswerIsNotSentAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	_, escID, _ := w.crisis(t, body)
	w.handles(t, w.process(t, &losesFirstAnswer{Sender: w.sender, to: dutyPhone}, w.Store), escID)
	w.pagedOnceRecorded(t, escID)
}

// reconciled reads svc's count of pages asked about with outcome.
func reconciled(t *testing.T, svc *notification.Service, outcome string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range svc.Collectors() {
		reg.MustRegister(c)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
