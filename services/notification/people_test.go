package notification_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

// setRules records staffID's own notification rules as the console does:
// through the worker aggregate and its repository, from another process's
// point of view (nothing told to the running service).
func (w *world) setRules(t *testing.T, staffID string, rules ...events.NotifyRule) {
	t.Helper()
	ctx, m := context.Background(), events.Meta{OccurredAt: w.Clock.Now()}
	workers := events.NewWorkers(w.Store)
	if _, err := workers.Update(ctx, staffID, func(a *events.Worker) error {
		if a.Registered {
			return nil
		}
		return a.Register("Sam Duty", "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", events.RoleDuty, "ada", m)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := workers.Update(ctx, staffID, func(a *events.Worker) error {
		return a.SetNotifyRules(rules, events.NotifyLimits{Within: 5 * time.Minute, WorkPhone: true}, staffID, m)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestRulesSetInTheLogPageTheNextEscalation: the duty worker's
// configuration says an SMS only; with the service already running, they
// set an SMS at once and a call after 90 seconds. The next crisis pages
// them by those rules, with no restart: the SMS at once, no call before
// 90 s, the call at 90 s, and pressing 1 acknowledges.
func TestRulesSetInTheLogPageTheNextEscalation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.webhooks(t)
	svc, _ := w.service(t)

	// A first crisis pages by the configuration: an SMS, and no rule timer.
	firstConv, first, _ := w.pagedCrisis(t)
	if _, ok, err := w.tm.Get(context.Background(), "rule-"+first+"-r1-l0-sam"); err != nil || ok {
		t.Fatalf("a next-rule timer (%v, %v) for a person whose rules are one SMS", ok, err)
	}
	w.Update(t, firstConv, func(c *events.Conversation, m events.Meta) error {
		return c.AcknowledgeVia(first, "sam", events.AckSMS, m)
	})
	w.waitTimerGone(t, first)

	const delay = 90 * time.Second
	w.setRules(t, "sam", events.NotifyRule{Channel: events.PageBySMS}, events.NotifyRule{Channel: events.PageByCall, AfterSeconds: int(delay / time.Second)})

	convID, escID, _ := w.crisisFrom(t, "+447700900556", body)
	paged := w.Clock.Now()
	w.waitSent(t, dutyPhone, 2)
	w.waitRuleTimer(t, escID)
	call := w.callComesAt(t, svc, paged, delay)
	w.pressOneAcknowledges(t, svc, call.SID, convID, escID)
}

// TestPageNamesNoClientOnceTheAccountReadsNoConversations: the
// configuration says Sam is a duty worker, but an admin took the duty
// role from Sam's account and gave manager: Sam's next page, read from
// the log with no restart, names the line and reason and not the client,
// as the console would no longer show Sam the pseudonym.
func TestPageNamesNoClientOnceTheAccountReadsNoConversations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.service(t)
	w.setRules(t, "sam", events.NotifyRule{Channel: events.PageBySMS})
	m := events.Meta{OccurredAt: w.Clock.Now()}
	if _, err := events.NewWorkers(w.Store).Update(context.Background(), "sam", func(a *events.Worker) error {
		if err := a.Grant(events.RoleManager, "ada", m); err != nil {
			return err
		}
		return a.Revoke(events.RoleDuty, "ada", m)
	}); err != nil {
		t.Fatal(err)
	}
	_, escID, pseudonym := w.crisis(t, body)
	page := w.waitSent(t, dutyPhone, 1)[0].Body
	if strings.Contains(page, pseudonym) || !strings.Contains(page, "Test Line: crisis") || !strings.Contains(page, "/queue/"+escID) {
		t.Fatalf("page to a manager-only account %q", page)
	}
}
