package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/testbed"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/escalations"
	"github.com/helpline-org/helpline/services/ingestion"
)

var rulesConfig = appConfig("first_response_target: 1h", ", notify: [{sms: 0m}, {call: 2m}]")

// TestRunCallsAfterTheRuleDelayAndAKeyPressAcknowledges runs a whole
// process as `helpline run` builds it, on a hand-moved clock, against the
// Twilio-compatible fake: a crisis pages the duty worker by SMS; two
// minutes later (not before) the fake gets the call; pressing 1 posts the
// signed gather to the process's own route, which acknowledges (via
// call), and the queue shows the call answered.
func TestRunCallsAfterTheRuleDelayAndAKeyPressAcknowledges(t *testing.T) {
	t.Parallel()
	b := testbed.New(t, rulesConfig, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
	p := apptest.Run(t, b, token)
	fake, clock, base, ctx := p.Fake, b.Clock, p.Server.URL, context.Background()

	resp, err := fake.DeliverInboundWithSid(ctx, base+ingestion.SMSPath, "SM0123456789abcdef0123456789abcdef", "+447700900201", lineNumber,
		"i took 30 paracetamol and i want to die")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := fake.WaitFor(wctx, func(m twiliofake.SentMessage) bool { return m.To == dutyPhone }); err != nil {
		t.Fatalf("no page SMS: %v", err)
	}
	var esc escalations.Escalation
	poll.Until(t, 30*time.Second, func() error {
		open, err := p.Views.Queue.Open(ctx, []string{"main"}, 10, escalations.Cursor{})
		if err != nil || len(open) != 1 || len(open[0].Pages) != 1 {
			return fmt.Errorf("queue %+v (%v)", open, err)
		}
		esc = open[0]
		return nil
	})

	// The call is a durable timer due two minutes after the page.
	tm, err := timers.Open(ctx, b.JS, app.NotificationTimers, 1, clock.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	rule, ok, err := tm.Get(ctx, "rule-"+esc.ID+"-r1-l0-dana")
	if err != nil || !ok || !rule.Due.Equal(esc.Pages[0].At.Add(2*time.Minute)) || rule.Data["rule"] != "1" {
		t.Fatalf("the call's timer: %+v %v %v, want due 2m after the page at %s", rule, ok, err, esc.Pages[0].At)
	}
	if n := len(fake.Calls()); n != 0 {
		t.Fatalf("%d calls before the rule's delay", n)
	}
	clock.Add(2 * time.Minute)
	call, err := fake.WaitForCall(wctx, func(c twiliofake.Call) bool { return c.To == dutyPhone && c.GatherAction != "" })
	if err != nil {
		t.Fatalf("no call: %v", err)
	}
	if !strings.HasPrefix(call.GatherAction, base+"/twilio/voice/gather?page=") {
		t.Fatalf("gather action %q", call.GatherAction)
	}
	answer, err := fake.PressKey(wctx, call.SID, "1")
	if err != nil {
		t.Fatal(err)
	}
	said, _ := io.ReadAll(answer.Body)
	answer.Body.Close()
	if answer.StatusCode != http.StatusOK || !strings.Contains(string(said), "Acknowledged") {
		t.Fatalf("gather answered %d %q", answer.StatusCode, said)
	}
	poll.Until(t, 30*time.Second, func() error {
		e, err := p.Views.Queue.Get(ctx, esc.ID)
		if err != nil || e.AcknowledgedBy != "dana" || len(e.Pages) != 2 || e.Pages[1].Channel != "call" || e.Pages[1].Delivery != escalations.DeliveryAnswered {
			return fmt.Errorf("escalation %+v (%v)", e, err)
		}
		return nil
	})
}
