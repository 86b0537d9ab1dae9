package ingestion_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/ingestion"
)

const (
	dutyLine    = "+442079460000"
	danaPhone   = "+447700900101"
	boPhone     = "+447700900102"
	dutyToken   = "dutytoken0123456789"
	dutyPass    = "correct horse battery staple"
	crisisWords = "i took 30 paracetamol and i want to die"
)

var (
	dana = testbed.Member{ID: "dana", Name: "Dana Duty", Role: "duty", Phone: danaPhone}
	bo   = testbed.Member{ID: "bo", Name: "Bo Backup", Role: "duty", Phone: boPhone}
)

// dutyLineSettings are the tests' line's settings but its hours.
var dutyLineSettings = fmt.Sprintf("name: Duty Line, number: %q, timezone: Europe/London, first_response_target: 24h, send_rate: 1000", dutyLine)

// dutyConfig is the line always open, dana on duty and bo as backup.
var dutyConfig = testbed.Config(dutyLineSettings+", always_open: true", "5m", testbed.On("duty", dana), testbed.On("backup", bo))

// dutyWorld is a whole helpline process as `helpline run` builds it, on a
// test bed's platform and hand-moved clock, sending to the Twilio fake,
// which posts signed webhooks to it.
type dutyWorld struct {
	*testbed.Bed
	fake *twiliofake.Fake
	base string
	rcv  *ingestion.Receiver
	srv  *httptest.Server
}

func newDutyWorld(t *testing.T) *dutyWorld {
	return newDutyWorldAt(t, dutyConfig, time.Now().UTC().Truncate(time.Second))
}

func newDutyWorldAt(t *testing.T, yamlConfig string, at time.Time) *dutyWorld {
	t.Helper()
	b := testbed.New(t, yamlConfig, at)
	p := apptest.Run(t, b, dutyToken)
	w := &dutyWorld{Bed: b, fake: p.Fake, base: p.Server.URL, rcv: p.Receiver, srv: p.Server}
	ctx := context.Background()
	for id, name := range map[string]string{"dana": "Dana Duty", "bo": "Bo Backup"} {
		if err := p.Console.Accounts().Register(ctx, id, name, "duty", dutyPass, "test", events.Meta{OccurredAt: b.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// text posts an SMS to the line through the fake, signed as Twilio signs,
// and returns what the webhook texted back (empty: nothing).
func (w *dutyWorld) text(t *testing.T, from, body string) string {
	t.Helper()
	_, resp, err := w.fake.DeliverInbound(context.Background(), w.base+ingestion.SMSPath, from, dutyLine, body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	var answer struct {
		XMLName xml.Name `xml:"Response"`
		Message string   `xml:"Message"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := xml.Unmarshal(raw, &answer); err != nil {
		t.Fatalf("webhook answer %q: %v", raw, err)
	}
	return answer.Message
}

// page waits for the n-th page SMS to phone and returns it.
func (w *dutyWorld) page(t *testing.T, phone, about string) twiliofake.SentMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	m, err := w.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool {
		return m.To == phone && !m.ViaTwiML && strings.Contains(m.Body, about)
	})
	if err != nil {
		t.Fatalf("no page to %s about %s: %v", phone, about, err)
	}
	return m
}

// crisis texts a crisis from a new client and returns its conversation,
// escalation and pseudonym once the duty worker's page is in the index
// their answers are read from.
func (w *dutyWorld) crisis(t *testing.T, from string) (convID, escID, pseudonym string) {
	t.Helper()
	if answer := w.text(t, from, crisisWords); answer != "" {
		t.Fatalf("a client was texted back by the webhook: %q", answer)
	}
	poll.Until(t, 15*time.Second, func() error {
		for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationPaged) {
			conv, _, err := events.LoadConversation(context.Background(), w.Store, e.AggregateID)
			if err != nil {
				return err
			}
			if conv.ClientID == w.clientID(t, from) {
				convID, pseudonym = conv.ID, conv.Pseudonym
				escID = conv.EscalationOrder[0]
				return nil
			}
		}
		return fmt.Errorf("no page for %s's crisis yet", from)
	})
	w.page(t, danaPhone, pseudonym)
	poll.Until(t, 15*time.Second, func() error {
		for _, r := range w.rcv.Paged("dana") {
			if r.EscalationID == escID {
				return nil
			}
		}
		return fmt.Errorf("dana's page %s not indexed yet", escID)
	})
	return convID, escID, pseudonym
}

func (w *dutyWorld) clientID(t *testing.T, from string) string {
	t.Helper()
	id, err := w.Keys.ActiveClientID(context.Background(), w.Pseudo, "main", from)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *dutyWorld) acks(t *testing.T, escID string) []events.EscalationAcknowledged {
	t.Helper()
	var out []events.EscalationAcknowledged
	for _, e := range w.Events(t, events.AggregateConversation, events.TypeEscalationAcknowledged) {
		p, err := e.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if a := p.(events.EscalationAcknowledged); a.EscalationID == escID {
			out = append(out, a)
		}
	}
	return out
}

// TestDutyPhoneAnswersPagesBySMS: "1" from the duty phone acknowledges
// (via sms, the worker told so) and nobody else is paged after the
// acknowledgement timeout, while an unanswered page of the same moment is;
// "2" pages the next level within a second; a text from the duty phone
// never becomes a conversation, and "1" from a client's number is the
// client's message.
func TestDutyPhoneAnswersPagesBySMS(t *testing.T) {
	t.Parallel()
	w := newDutyWorld(t)

	// "1" acknowledges the newest page, recorded as by SMS.
	_, escA, clientA := w.crisis(t, "+447700900201")
	if got := w.text(t, danaPhone, " 1 "); !strings.Contains(got, "Acknowledged") || !strings.Contains(got, clientA) {
		t.Fatalf("dana's 1 was answered %q", got)
	}
	if acks := w.acks(t, escA); len(acks) != 1 || acks[0].StaffID != "dana" || acks[0].Via != events.AckSMS {
		t.Fatalf("acknowledgements of %s: %+v, want one by dana via sms", escA, acks)
	}

	// A second crisis nobody answers: after ack_timeout the backup is
	// paged for it, and for it only.
	_, _, clientB := w.crisis(t, "+447700900202")
	w.Clock.Add(5*time.Minute + time.Second)
	w.page(t, boPhone, clientB)
	for _, m := range w.fake.Sent() {
		if m.To == boPhone && strings.Contains(m.Body, clientA) {
			t.Fatalf("the backup was paged for the acknowledged escalation: %q", m.Body)
		}
	}

	// "2" declines: the backup is paged at once.
	_, _, clientC := w.crisis(t, "+447700900203")
	start := time.Now()
	if got := w.text(t, danaPhone, "2 "+strings.TrimPrefix(clientC, "C-")); !strings.Contains(got, "next level") {
		t.Fatalf("dana's 2 was answered %q", got)
	}
	// The clock does not move from here, so clientC's acknowledgement
	// timer cannot fire: the backup's page can only come from the decline.
	// Wall time is logged, not asserted (a bound on a loaded CI machine is
	// a guess).
	w.page(t, boPhone, clientC)
	t.Logf("the next level was paged %s after the decline", time.Since(start))

	// Anything else from a staff phone: the help text, and no conversation.
	started := len(w.Events(t, events.AggregateConversation, events.TypeConversationStarted))
	if got := w.text(t, danaPhone, "what is this"); !strings.Contains(got, "Reply 1") {
		t.Fatalf("dana's other text was answered %q", got)
	}
	if n := len(w.Events(t, events.AggregateConversation, events.TypeConversationStarted)); n != started {
		t.Fatalf("a staff text started a conversation (%d, was %d)", n, started)
	}

	// "1" from a client's number is the client's message.
	if got := w.text(t, "+447700900299", "1"); got != "" {
		t.Fatalf("a client's 1 was answered by the webhook: %q", got)
	}
	poll.Until(t, 5*time.Second, func() error {
		if n := len(w.Events(t, events.AggregateConversation, events.TypeConversationStarted)); n != started+1 {
			return fmt.Errorf("%d conversations, want %d", n, started+1)
		}
		return nil
	})
	for _, e := range w.Events(t, events.AggregateClient, events.TypeClientRegistered) {
		for _, staffID := range []string{w.clientID(t, danaPhone), w.clientID(t, boPhone)} {
			if e.AggregateID == staffID {
				t.Fatal("a staff phone was registered as a client")
			}
		}
	}
}

// TestSMSAndConsoleAcknowledgementsRace: dana texts "1" while bo presses
// Acknowledge in the console, several times over: each escalation has one
// acknowledgement, and whoever lost is told who won.
func TestSMSAndConsoleAcknowledgementsRace(t *testing.T) {
	t.Parallel()
	w := newDutyWorld(t)
	bo := w.signIn(t, "bo")
	wins := map[string]int{}
	for i := range 4 {
		_, escID, _ := w.crisis(t, fmt.Sprintf("+4477009003%02d", i))
		poll.Until(t, 15*time.Second, func() error {
			if code, body := bo.Do(http.MethodGet, "/api/escalations/"+escID, nil); code != http.StatusOK {
				return fmt.Errorf("the console does not show %s yet: %d %s", escID, code, body)
			}
			return nil
		})
		var (
			wg       sync.WaitGroup
			answer   string
			code     int
			consoled []byte
		)
		wg.Go(func() { answer = w.text(t, danaPhone, "1") })
		wg.Go(func() { code, consoled = bo.Do(http.MethodPost, "/api/escalations/"+escID+"/ack", nil) })
		wg.Wait()
		acks := w.acks(t, escID)
		if len(acks) != 1 {
			t.Fatalf("round %d: %d acknowledgements, want 1: %+v", i, len(acks), acks)
		}
		winner := acks[0].StaffID
		wins[winner]++
		switch winner {
		case "dana":
			if code != http.StatusConflict || !strings.Contains(string(consoled), "Dana") {
				t.Errorf("round %d: SMS won; the console was answered %d %s, want 409 naming Dana", i, code, consoled)
			}
			if !strings.Contains(answer, "Acknowledged") {
				t.Errorf("round %d: SMS won but was answered %q", i, answer)
			}
		case "bo":
			if code/100 != 2 {
				t.Errorf("round %d: the console won but answered %d %s", i, code, consoled)
			}
			if !strings.Contains(answer, "Already acknowledged by Bo") {
				t.Errorf("round %d: the console won; the SMS was answered %q, want who", i, answer)
			}
		default:
			t.Fatalf("round %d: acknowledged by %q", i, winner)
		}
	}
	t.Logf("winners: %v", wins)
}

func (w *dutyWorld) signIn(t *testing.T, id string) *apptest.Staff {
	t.Helper()
	s := apptest.SignIn(t, w.base, id, dutyPass)
	s.HTTP.Timeout = 20 * time.Second
	return s
}

// closedConfig is dutyConfig's line open on Mondays only, with its own
// crisis reply.
var closedConfig = testbed.Config(dutyLineSettings+`, hours: {monday: ["09:00-17:00"]}, crisis_reply: {en: "`+crisisReply+`"}`, "5m", testbed.On("duty", dana))

const crisisReply = "Someone on call has been alerted. In danger now? Call 999."

// sunday3am is when the closed line's tests run: it opens again on
// Monday at 09:00, London time.
var sunday3am = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)

func closedReply(t *testing.T, w *dutyWorld) string {
	t.Helper()
	line, _ := w.File.LineByID("main")
	loc, _ := time.LoadLocation(line.Timezone)
	return line.OutOfHoursText("en", config.DescribeOpening(time.Date(2026, 12, 7, 9, 0, 0, 0, loc), loc, "en"))
}

// TestClosedLineTellsTheClientSomeoneIsAlerted: out of hours, "hello" gets
// the out-of-hours reply; a crisis text then gets, at once, the line's
// crisis reply (someone on call alerted, the emergency number) while the
// duty worker is paged; a second crisis text in the same escalation gets
// no second reply.
func TestClosedLineTellsTheClientSomeoneIsAlerted(t *testing.T) {
	t.Parallel()
	w := newDutyWorldAt(t, closedConfig, sunday3am)
	const client, control = "+447700900401", "+447700900402"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wait := func(to, body string) {
		t.Helper()
		if _, err := w.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == to && m.Body == body }); err != nil {
			t.Fatalf("no %q to %s: %v", body, to, err)
		}
	}
	w.text(t, client, "hello")
	wait(client, closedReply(t, w))
	w.text(t, client, crisisWords)
	wait(client, crisisReply)
	w.page(t, danaPhone, "crisis")
	w.text(t, client, crisisWords+" now")
	// Another client's crisis reply comes after the second text was read.
	w.text(t, control, crisisWords)
	wait(control, crisisReply)
	poll.Until(t, 10*time.Second, func() error {
		if n := len(w.Events(t, events.AggregateConversation, events.TypeMessageTriaged)); n < 4 {
			return fmt.Errorf("%d verdicts, want 4", n)
		}
		return nil
	})
	var replies int
	for _, m := range w.fake.Sent() {
		if m.To == client && m.Body == crisisReply {
			replies++
		}
	}
	if replies != 1 {
		t.Fatalf("%d crisis replies to the client, want 1", replies)
	}
}

// TestClosedLineWebChatGetsTheSameReplies: the web chat shows the
// out-of-hours reply and the crisis reply the SMS client gets.
func TestClosedLineWebChatGetsTheSameReplies(t *testing.T) {
	t.Parallel()
	w := newDutyWorldAt(t, closedConfig, sunday3am)
	h := &chatHarness{srv: w.srv}
	token, _ := h.startChat(t)
	stream := h.openEvents(t, token, "")
	if r := h.send(t, token, "m1", "hello"); r.code != http.StatusAccepted {
		t.Fatalf("send: %d %s", r.code, r.body)
	}
	stream.waitFor(t, "reply", closedReply(t, w))
	if r := h.send(t, token, "m2", crisisWords); r.code != http.StatusAccepted {
		t.Fatalf("send: %d %s", r.code, r.body)
	}
	stream.waitFor(t, "reply", crisisReply)
	w.page(t, danaPhone, "crisis")
}
