package natsauth_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/loadtest/cluster"
	consoleapp "github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/ingestion"
)

// twilioToken signs the fake's webhooks.
const twilioToken = "natsauthtoken0123456789"

// TestEachServiceRunsAsItsOwnUser builds every service as the shipped
// composition does (internal/app), each as a process of its own connected
// over the rendered authorization as its own NATS user, after the setup
// user provisioned the log: a signed crisis text to ingestion pages the
// duty worker (triage, notification), the projector and the console catch
// up, an account the admin user adds signs in at the console (its
// sessions bucket). No process is refused anything.
func TestEachServiceRunsAsItsOwnUser(t *testing.T) {
	t.Parallel()
	ctx, a := provisioned(t)
	file, err := config.ParseFile([]byte(cluster.DefaultLines))
	if err != nil {
		t.Fatal(err)
	}

	addr := map[app.Service]string{}
	for _, svc := range app.All() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr[svc] = "http://" + l.Addr().String()
		pctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		env := a.env(t, natsauth.Role(svc))
		env.PublicURL = addr[svc] // what Twilio signs
		cfg := app.Config{Env: env, File: file, Name: string(svc), Services: []app.Service{svc}, Listener: l}
		go func() { done <- app.Run(pctx, cfg, a.log.With().Str("service", string(svc)).Logger()) }()
		t.Cleanup(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("%s: %v", svc, err)
			}
		})
	}
	for svc, base := range addr {
		poll.Until(t, time.Minute, func() error {
			resp, err := http.Get(base + "/readyz")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s not ready: %d\n%s", svc, resp.StatusCode, a.logs())
			}
			return nil
		})
	}

	resp, err := a.fake.DeliverInboundWithSid(ctx, addr[app.Ingestion]+ingestion.SMSPath, "SM0123456789abcdef0123456789abcdef",
		"+447700900201", cluster.LineNumber, "i took 30 paracetamol and i want to die")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("crisis webhook: %v %v\n%s", resp, err, a.logs())
	}
	if _, err := a.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == cluster.DutyPhone }); err != nil {
		t.Fatalf("no page reached the duty phone: %v\n%s", err, a.logs())
	}

	// helpline users add, as the admin user; then sign in at the console.
	adm := a.open(t, ctx, natsauth.Admin)
	if err := consoleapp.NewStaff(adm.Store, nil, file, time.Now, a.log).Register(ctx, "ada", "Ada Admin", "admin", "a long enough admin password", "cli",
		events.Meta{OccurredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() error {
		resp, err := http.Post(addr[app.Console]+"/api/session", "application/json",
			strings.NewReader(`{"staff_id":"ada","password":"a long enough admin password"}`))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("sign in: %d", resp.StatusCode)
		}
		return nil
	})
}
