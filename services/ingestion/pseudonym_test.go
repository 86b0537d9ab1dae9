package ingestion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

const miaPhone = "+447700900103"

// roleConfig pages the duty worker, then a manager, each by an SMS at
// once and a call a minute later.
var roleConfig = testbed.Config(dutyLineSettings+", always_open: true", "5m", testbed.On("duty", dana.With(", notify: [{sms: 0m}, {call: 1m}]")),
	testbed.On("manager", testbed.Member{ID: "mia", Name: "Mia Manager", Role: "manager", Phone: miaPhone, Extra: ", notify: [{sms: 0m}, {call: 1m}]"}))

// TestPagesNameTheClientOnlyToRolesThatSeeThem walks one crisis on the
// whole platform through every staff-facing channel, for a duty worker
// and for a manager (who, in the console, sees figures and never who a
// client is): the page SMS, the page call's prompt and the answers to
// their SMS replies name the client's pseudonym to the duty worker, and
// never to the manager, who gets the line, the reason and the link. No
// page, call or answer holds the client's number or words.
func TestPagesNameTheClientOnlyToRolesThatSeeThem(t *testing.T) {
	t.Parallel()
	const client = "+447700900211"
	w := newDutyWorldAt(t, roleConfig, time.Now().UTC().Truncate(time.Second))
	_, escID, pseudonym := w.crisis(t, client)
	spelled := strings.Join(strings.Split(strings.TrimPrefix(pseudonym, "C-"), ""), " ")
	code := strings.TrimPrefix(pseudonym, "C-")

	// The duty worker: the SMS names the client, so does the call.
	if p := w.page(t, danaPhone, "/queue/"+escID); !strings.Contains(p.Body, "client "+pseudonym) {
		t.Errorf("duty page %q does not name the client", p.Body)
	}
	w.Clock.Add(time.Minute)
	if said := w.callSaid(t, danaPhone); !strings.Contains(said, "Client C "+spelled) {
		t.Errorf("duty call says %q, not the client", said)
	}

	// Nobody acknowledges: the manager is paged, without the client.
	w.Clock.Add(4*time.Minute + time.Second)
	mp := w.page(t, miaPhone, "/queue/"+escID)
	for _, want := range []string{"Duty Line", "crisis"} {
		if !strings.Contains(mp.Body, want) {
			t.Errorf("manager page %q lacks %q", mp.Body, want)
		}
	}
	w.Clock.Add(time.Minute)
	said := w.callSaid(t, miaPhone)
	if !strings.Contains(said, "Duty Line") || !strings.Contains(said, "crisis") {
		t.Errorf("manager call says %q", said)
	}
	managerSaw := []string{mp.Body, said}

	// The manager takes it by SMS: told so, without the client; the duty
	// worker's late "1" is told who took it, and which client.
	ack := w.text(t, miaPhone, "1")
	if !strings.HasPrefix(ack, "Acknowledged: it is yours.") {
		t.Errorf("manager's 1 answered %q", ack)
	}
	managerSaw = append(managerSaw, ack, w.text(t, miaPhone, "2"), w.text(t, miaPhone, "what?"))
	if late := w.text(t, danaPhone, "1"); !strings.Contains(late, "Already acknowledged by Mia") || !strings.Contains(late, "(client "+pseudonym+")") {
		t.Errorf("duty worker's late 1 answered %q", late)
	}
	for _, text := range managerSaw {
		if strings.Contains(text, pseudonym) || strings.Contains(text, code) || strings.Contains(text, spelled) {
			t.Errorf("the manager was told the client: %q", text)
		}
	}

	// Nothing anyone on staff got holds the client's number or words.
	var staffSaw []string
	for _, m := range w.fake.Sent() {
		if m.To == danaPhone || m.To == miaPhone {
			staffSaw = append(staffSaw, m.Body)
		}
	}
	for _, c := range w.fake.Calls() {
		staffSaw = append(staffSaw, c.TwiML)
	}
	for _, text := range staffSaw {
		for _, never := range []string{client, client[1:], client[3:], "paracetamol", "want to die"} {
			if strings.Contains(text, never) {
				t.Errorf("a page holds %q: %q", never, text)
			}
		}
	}
}

// callSaid waits for a page call to phone and returns what it says.
func (w *dutyWorld) callSaid(t *testing.T, phone string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := w.fake.WaitForCall(ctx, func(c twiliofake.Call) bool { return c.To == phone })
	if err != nil {
		t.Fatalf("no call to %s: %v", phone, err)
	}
	return strings.Join(c.Said, " ")
}
