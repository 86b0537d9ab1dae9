package cluster

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

// TestPagerKilledAfterTwilioAcceptedPagesOnce kills -9 the notification
// process after Twilio accepted a crisis page and before the process
// learnt it had (the fake holds the answer), and starts it again: the
// escalation comes back to it after the consumer's ack wait, it finds the
// page at Twilio by its reference and records it. The duty phone gets one
// page, and the log records it with that page's sid (issue 17: the
// drills' crisis paged twice). On the code before the attempt was
// recorded, the restarted process paged again.
func TestPagerKilledAfterTwilioAcceptedPagesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	c, fake := started(ctx, t, "pageoncetoken0123456789", Config{DatabaseURL: pgtest.NewDatabase(t), Lines: clusterLines,
		Replicas: map[string]int{"ingestion": 1, "notification": 1}})
	tx := &Texter{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), Replicas: []string{"http://" + c.Role("ingestion")[0].HTTPAddr},
		Client: &http.Client{Timeout: 15 * time.Second}}
	fake.HoldAnswer(DutyPhone)
	from := "+447700900555"
	if code, err := tx.Text(ctx, 0, SID(1), from, "i took 30 paracetamol and i want to die"); err != nil || code != http.StatusOK {
		t.Fatalf("crisis webhook: %d %v", code, err)
	}
	pseudonym := c.Pseudonym(from)
	toDuty := func(m twiliofake.SentMessage) bool { return m.To == DutyPhone && strings.Contains(m.Body, pseudonym) }
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	first, err := fake.WaitFor(wctx, toDuty)
	if err != nil {
		t.Fatalf("duty page: %v", err)
	}
	p := c.Role("notification")[0]
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(ctx, p, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The consumer hands the escalation back after its ack wait (30 s).
	var pages []twiliofake.SentMessage
	err = Eventually(ctx, 120*time.Second, func() error {
		log, err := c.ReadLog(ctx)
		if err != nil {
			return err
		}
		pages = pages[:0]
		for _, m := range fake.Sent() {
			if toDuty(m) {
				pages = append(pages, m)
			}
		}
		if log.Pages == 0 {
			return fmt.Errorf("no page recorded yet (%d sent)", len(pages))
		}
		if _, ok := log.PageSIDs[first.SID]; !ok || len(pages) != 1 || log.Pages != 1 {
			return fmt.Errorf("%d pages sent, %d recorded (%v), want the first (%s) once", len(pages), log.Pages, log.PageSIDs, first.SID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
