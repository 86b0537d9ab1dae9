package triage_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/triage"
	"github.com/helpline-org/helpline/services/triage/lexicon"
)

const dayLine = "+442079460000"

const cfg = `
lines:
  - id: day
    name: Day Line
    number: "` + dayLine + `"
    timezone: Europe/London
    first_response_target: 10m
    next_response_target: 5m
    hours: {monday: ["09:00-17:00"], tuesday: ["09:00-17:00"], wednesday: ["09:00-17:00"], thursday: ["09:00-17:00"], friday: ["09:00-17:00"]}
`

type world struct {
	*testbed.Bed
	tm *timers.Store
}

func newWorld(t *testing.T, at time.Time) *world {
	t.Helper()
	b := testbed.New(t, cfg, at)
	return &world{Bed: b, tm: b.Timers(t, "triage_timers")}
}

// service is a triage replica on the world's platform and clock, with
// the default lexicon, not yet consuming.
func (w *world) service(t *testing.T) *triage.Service {
	t.Helper()
	svc, _ := w.replica(t)
	return svc
}

// replica is service with the follower of the log that keeps its
// conversations current, as a process runs it.
func (w *world) replica(t *testing.T) (*triage.Service, consume.Spec) {
	t.Helper()
	lex, err := lexicon.Default()
	if err != nil {
		t.Fatal(err)
	}
	convs, follow := w.Conversations(t)
	svc, err := triage.New(w.File, lexicon.NewClassifier(lex), w.Keys, convs, w.tm, w.Clock.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return svc, follow
}

// start runs a triage replica on the world's consumers, with its
// follower of the log.
func (w *world) start(t *testing.T) (*triage.Service, func()) {
	t.Helper()
	svc, follow := w.replica(t)
	return svc, w.Run(t, append(svc.Specs(), follow))
}

// receivedIn is the last message received in conversation conv.
func (w *world) receivedIn(t *testing.T, conv string) events.Envelope {
	t.Helper()
	var msg events.Envelope
	for _, e := range w.byType(t, "conversation.message_received") {
		if e.AggregateID == conv {
			msg = e
		}
	}
	return msg
}

func (w *world) text(t *testing.T, from, body string) ingestion.Receipt {
	t.Helper()
	return w.Text(t, from, dayLine, body)
}

func (w *world) byType(t *testing.T, typ string) []events.Envelope {
	t.Helper()
	return w.Events(t, events.AggregateConversation, typ)
}

func (w *world) waitFor(t *testing.T, typ string, n int) []events.Envelope {
	t.Helper()
	return w.WaitEvents(t, typ, n)
}

// Tuesday 24 November 2026, 11:00 London: open.
var inHours = time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)

func TestCrisisMessageRaisesEscalationWithTerms(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	w.start(t)
	w.text(t, "+447700900201", "i took 30 paracetamol and i want to die")
	esc := w.waitFor(t, "conversation.escalation_raised", 1)[0]
	raised := testbed.Payload[events.EscalationRaised](t, esc)
	if raised.Reason != events.ReasonCrisis || raised.Risk != events.RiskCrisis || raised.Terms.Empty() || len(raised.Categories) == 0 {
		t.Fatalf("escalation: %+v", raised)
	}
	// The terms are the client's words: sealed with the client's key,
	// bound to the message, and they open to what matched.
	terms, err := inbox.OpenTerms(context.Background(), w.Keys, raised.MessageID, raised.Terms)
	if err != nil || len(terms) == 0 {
		t.Fatalf("the escalation's terms open to %q, %v", terms, err)
	}
	if bytes.Contains(esc.Payload, []byte(`"`+terms[0]+`"`)) {
		t.Fatalf("the escalation carries the term %q in plain text: %s", terms[0], esc.Payload)
	}
	// They are the words the client wrote, in order, never the lexicon's
	// canonical phrases (which can name another means altogether).
	text := "i took 30 paracetamol and i want to die"
	at := 0
	for _, term := range terms {
		i := strings.Index(text[at:], term)
		if i < 0 {
			t.Fatalf("term %q of %q is not the client's words after byte %d of %q", term, terms, at, text)
		}
		at += i
	}
	received := w.byType(t, "conversation.message_received")[0]
	if esc.CorrelationID != received.CorrelationID || esc.CausationID != received.ID {
		t.Errorf("escalation correlation %q causation %q; want the webhook's %q and the message %q",
			esc.CorrelationID, esc.CausationID, received.CorrelationID, received.ID)
	}
	if v := testbed.Payload[events.MessageTriaged](t, w.waitFor(t, "conversation.message_triaged", 1)[0]); v.Risk != events.RiskCrisis || v.LexiconVersion == "" || v.Rule == "" || v.OutOfHours {
		t.Fatalf("verdict: %+v", v)
	}
	// A second crisis message in the same conversation does not page again.
	w.text(t, "+447700900201", "i have the pills in my hand")
	w.waitFor(t, "conversation.message_triaged", 2)
	if n := len(w.byType(t, "conversation.escalation_raised")); n != 1 {
		t.Fatalf("%d escalations for one conversation, want 1", n)
	}
}

func TestThreeAMOnNineToFiveLineIsOutOfHours(t *testing.T) {
	t.Parallel()
	threeAM := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC) // Wednesday 03:00 London (GMT)
	w := newWorld(t, threeAM)
	w.start(t)
	w.text(t, "+447700900202", "hi, can someone call me back about my housing appointment")
	rec := testbed.Payload[events.OutOfHoursContactRecorded](t, w.waitFor(t, "conversation.out_of_hours_contact_recorded", 1)[0])
	if want := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC); !rec.NextOpen.Equal(want) {
		t.Errorf("next open %s, want %s", rec.NextOpen, want)
	}
	if n := len(w.byType(t, "conversation.escalation_raised")); n != 0 {
		t.Fatalf("an ordinary out-of-hours message raised %d escalations", n)
	}
	// Crisis out of hours pages whoever is on call.
	w.text(t, "+447700900203", "i'm going to kill myself tonight")
	if esc := testbed.Payload[events.EscalationRaised](t, w.waitFor(t, "conversation.escalation_raised", 1)[0]); esc.Reason != events.ReasonCrisis {
		t.Fatalf("out-of-hours crisis: %+v", esc)
	}
}

func TestRestartMidStreamNeitherSkipsNorRepeats(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	const n = 40
	for i := range n {
		w.text(t, fmt.Sprintf("+4477009003%02d", i%7), fmt.Sprintf("message %d: things are hard", i))
	}
	_, stop := w.start(t)
	w.waitFor(t, "conversation.message_triaged", n/4)
	stop() // killed mid-stream
	w.start(t)
	w.waitFor(t, "conversation.message_triaged", n)
	seen := map[string]int{}
	for _, e := range w.byType(t, "conversation.message_triaged") {
		seen[testbed.Payload[events.MessageTriaged](t, e).MessageID]++
	}
	if len(seen) != n {
		t.Fatalf("%d messages triaged, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s triaged %d times", id, c)
		}
	}
}

func TestUnansweredConversationEscalates(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	svc, _ := w.start(t)
	rc := w.text(t, "+447700900204", "hello, is anyone there")
	w.waitFor(t, "conversation.message_triaged", 1)
	ctx := context.Background()
	poll.Until(t, 10*time.Second, func() error { // the verdict is recorded, then the clock set
		if _, ok, err := w.tm.Get(ctx, "clock-"+rc.ConversationID); err != nil || !ok {
			return fmt.Errorf("no first-response timer yet (%v)", err)
		}
		return nil
	})
	w.Clock.Add(9 * time.Minute)
	if _, err := w.tm.Fire(ctx, svc.OnUnanswered); err != nil {
		t.Fatal(err)
	}
	if n := len(w.byType(t, "conversation.escalation_raised")); n != 0 {
		t.Fatal("escalated before the target")
	}
	w.Clock.Add(2 * time.Minute)
	if _, err := w.tm.Fire(ctx, svc.OnUnanswered); err != nil {
		t.Fatal(err)
	}
	esc := w.byType(t, "conversation.escalation_raised")
	if len(esc) != 1 || esc[0].AggregateID != rc.ConversationID {
		t.Fatalf("escalations: %d", len(esc))
	}
	if p := testbed.Payload[events.EscalationRaised](t, esc[0]); p.Reason != events.ReasonUnanswered {
		t.Fatalf("reason: %+v", p)
	}
}

func TestNegatedCrisisWordsAreNotEscalationTerms(t *testing.T) {
	t.Parallel()
	threeAM := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	w := newWorld(t, threeAM)
	w.start(t)
	w.text(t, "+447700900205", "I'm not going to kill myself tonight but I can't sleep")
	raised := testbed.Payload[events.EscalationRaised](t, w.waitFor(t, "conversation.escalation_raised", 1)[0])
	if raised.Reason != events.ReasonOutOfHours || raised.Risk != events.RiskElevated {
		t.Fatalf("negated crisis out of hours: %+v", raised)
	}
	for _, c := range raised.Categories {
		if c == "negation" {
			t.Fatalf("a negation cue is reported as a reason to page: %v", raised.Categories)
		}
	}
}

// TestStaleCacheNeitherRepeatsNorMissesAnotherReplicasWork hands messages
// to two replicas whose conversation caches disagree: one triaged a
// message the other never heard of, then messages are redelivered to
// both. Each message gets one verdict and the conversation one
// escalation, whichever replica's cache is behind.
func TestStaleCacheNeitherRepeatsNorMissesAnotherReplicasWork(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	ctx := context.Background()
	a, b := w.service(t), w.service(t)
	received := func(n int) events.Envelope {
		t.Helper()
		got := w.byType(t, "conversation.message_received")
		if len(got) < n {
			t.Fatalf("%d messages received, want %d", len(got), n)
		}
		return got[n-1]
	}
	handle := func(svc *triage.Service, e events.Envelope) {
		t.Helper()
		if err := svc.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	const from = "+447700900299"
	w.text(t, from, "hello")
	handle(b, received(1)) // b caches the conversation here
	handle(a, received(1)) // a redelivery to a replica with no cache entry
	w.text(t, from, "i want to kill myself tonight")
	handle(a, received(2)) // a escalates; b's cache knows nothing of it
	handle(b, received(2)) // redelivered to the stale replica
	handle(a, received(2)) // and to the one that folded its own append
	w.text(t, from, "i took all my pills")
	handle(b, received(3)) // another crisis while a's escalation is open

	verdicts, crises := map[string]int{}, 0
	for _, e := range w.byType(t, "conversation.message_triaged") {
		p := testbed.Payload[events.MessageTriaged](t, e)
		verdicts[p.MessageID]++
		if p.Risk == events.RiskCrisis {
			crises++
		}
	}
	if crises != 2 {
		t.Errorf("%d crisis verdicts, want 2", crises)
	}
	if len(verdicts) != 3 {
		t.Fatalf("verdicts for %d messages, want 3", len(verdicts))
	}
	for id, n := range verdicts {
		if n != 1 {
			t.Errorf("message %s triaged %d times", id, n)
		}
	}
	if esc := w.byType(t, "conversation.escalation_raised"); len(esc) != 1 {
		t.Errorf("%d escalations, want 1 (one open crisis escalation pages once)", len(esc))
	}
}

// TestDeathMidBatchIsCompletedOnRedelivery: triage appends a message's
// records one by one, so dying mid-append leaves a prefix in the log. The
// verdict comes last: a log with the escalation but no verdict is
// completed on redelivery, and a verdict in the log means the escalation
// is there too.
func TestDeathMidBatchIsCompletedOnRedelivery(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	ctx := context.Background()
	svc := w.service(t)
	rc := w.text(t, "+447700900298", "i want to kill myself tonight")
	msg := w.receivedIn(t, rc.ConversationID)
	// Whole batch once, in a fresh conversation: the verdict is last.
	if err := svc.Handle(ctx, msg); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range w.byType(t, "") {
		if e.AggregateID == rc.ConversationID && e.Sequence > msg.Sequence {
			types = append(types, e.Type)
		}
	}
	if want := "conversation.escalation_raised,conversation.response_clock_started,conversation.message_triaged"; strings.Join(types, ",") != want {
		t.Fatalf("records %v, want %s", types, want)
	}

	// Another client's crisis, where triage died after the escalation: the
	// prefix a crash leaves.
	rc2 := w.text(t, "+447700900297", "i took all my pills")
	msg2 := w.receivedIn(t, rc2.ConversationID)
	m2 := testbed.Payload[events.MessageReceived](t, msg2)
	prefix, err := events.NewWithID("esc-"+m2.MessageID, rc2.ConversationID, events.EscalationRaised{EscalationID: "esc-" + m2.MessageID,
		LineID: m2.LineID, MessageID: m2.MessageID, Reason: events.ReasonCrisis, Risk: events.RiskCrisis, Categories: []string{}, Terms: events.NoWords()},
		msg2.Caused(w.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Store.Append(ctx, events.ExpectAny, prefix); err != nil {
		t.Fatal(err)
	}
	if err := svc.Handle(ctx, msg2); err != nil { // redelivered to a fresh replica
		t.Fatal(err)
	}
	if err := svc.Handle(ctx, msg2); err != nil { // and again
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range w.byType(t, "") {
		if e.AggregateID == rc2.ConversationID {
			count[e.Type]++
		}
	}
	if count["conversation.escalation_raised"] != 1 || count["conversation.message_triaged"] != 1 {
		t.Fatalf("after the redeliveries: %v, want one escalation and one verdict", count)
	}
}

// TestConversationStateRaisesWhatOneMessageDoesNot: each message is read
// with its conversation's recent verdicts, kept in the conversation's
// state: a second elevated message soon after the first is a crisis and
// pages, and a means named after ideation keeps the one escalation open
// rather than raising another.
func TestConversationStateRaisesWhatOneMessageDoesNot(t *testing.T) {
	t.Parallel()
	w := newWorld(t, inHours)
	w.start(t)
	const client = "+447700900230"
	w.text(t, client, "i dont want to be here anymore")
	first := w.waitFor(t, events.TypeMessageTriaged, 1)[0]
	if p := testbed.Payload[events.MessageTriaged](t, first); p.Risk != events.RiskElevated {
		t.Fatalf("first message alone: %+v, want elevated", p)
	}
	if n := len(w.byType(t, events.TypeEscalationRaised)); n != 0 {
		t.Fatalf("an elevated message in hours raised %d escalations", n)
	}
	w.text(t, client, "everyone would be better off without me")
	if r := testbed.Payload[events.EscalationRaised](t, w.waitFor(t, events.TypeEscalationRaised, 1)[0]); r.Reason != events.ReasonCrisis || r.Risk != events.RiskCrisis {
		t.Fatalf("escalation %+v, want a crisis one", r)
	}
	w.text(t, client, "ive got them here")
	triaged := w.waitFor(t, events.TypeMessageTriaged, 3)
	if p := testbed.Payload[events.MessageTriaged](t, triaged[2]); p.Risk != events.RiskCrisis {
		t.Fatalf("a means after ideation: %+v, want crisis", p)
	}
	if n := len(w.byType(t, events.TypeEscalationRaised)); n != 1 {
		t.Fatalf("%d escalations, want the one kept open", n)
	}
}
