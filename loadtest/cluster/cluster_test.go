package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/helpline-org/helpline/internal/app/apptest"
	"github.com/helpline-org/helpline/internal/pgtest"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

// clusterLines keeps DefaultLines' hour-long acknowledgement timeout: the
// duty worker's reply acknowledges the escalation, and a short timeout
// would race that reply on a loaded machine (the backup paged before the
// console sign-in finished). Timers firing once across notification
// replicas are covered in services/notification and internal/timers.
var clusterLines = DefaultLines

// started builds the binary into a directory of the test's own and
// starts cfg's processes there, sending through a Twilio-compatible fake
// with token (cfg's Dir, Bin and Twilio settings are filled in); it stops
// them when the test ends, and prints their logs when it failed.
func started(ctx context.Context, t *testing.T, token string, cfg Config) (*Cluster, *twiliofake.Fake) {
	t.Helper()
	cfg.Dir = t.TempDir()
	bin, err := Build(ctx, cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	fake, fakeSrv := apptest.TwilioFake(t, twiliofake.Config{AuthToken: token})
	cfg.Bin, cfg.TwilioAPIURL, cfg.TwilioAccountSID, cfg.TwilioAuthToken = bin, fakeSrv.URL, fake.AccountSID(), fake.AuthToken()
	c, err := Start(ctx, cfg)
	if err != nil {
		dumpLogs(t, cfg.Dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			dumpLogs(t, cfg.Dir)
		}
	})
	return c, fake
}

// TestProcessCluster runs the distributed shape as processes: three
// nats-server nodes, two ingestion replicas, triage, two notification
// replicas, the projector on PostgreSQL and the console. A signed crisis
// SMS to the second ingestion replica pages the duty worker once; a duty
// worker signed in to the console reads it and replies to the client's
// number, which acknowledges it (nobody else is paged); ordinary messages, and a Twilio retry of
// one of them to the other replica, land in the log once each and in the
// SQL projections.
func TestProcessCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 170*time.Second)
	defer cancel()
	dbURL := pgtest.NewDatabase(t)
	c, fake := started(ctx, t, "clustertoken0123456789", Config{DatabaseURL: dbURL, Lines: clusterLines,
		Replicas: map[string]int{"ingestion": 2, "notification": 2, "console": 1}})
	// The nodes run the shipped configuration: TLS for clients, and no
	// client without a NATS user's credential.
	if nc, err := nats.Connect(c.NATSURL(), nats.RootCAs(c.CAFile())); err == nil || !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("a client without credentials: %v, want an authorization violation", err)
		if nc != nil {
			nc.Close()
		}
	}
	if nc, err := nats.Connect(strings.ReplaceAll(c.NATSURL(), "tls://", "nats://")); err == nil {
		nc.Close()
		t.Error("a client without TLS connected")
	}
	var urls []string
	for _, p := range c.Role("ingestion") {
		urls = append(urls, "http://"+p.HTTPAddr)
	}
	tx := &Texter{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), Replicas: urls, Client: &http.Client{Timeout: 15 * time.Second}}

	crisisFrom := "+447700900555"
	if code, err := tx.Text(ctx, 1, SID(1), crisisFrom, "i took 30 paracetamol and i want to die"); err != nil || code != http.StatusOK {
		t.Fatalf("crisis webhook: %d %v", code, err)
	}
	pseudonym := c.Pseudonym(crisisFrom)
	pageTo := func(phone string) func(twiliofake.SentMessage) bool {
		return func(m twiliofake.SentMessage) bool { return m.To == phone && strings.Contains(m.Body, pseudonym) }
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if _, err := fake.WaitFor(wctx, pageTo(DutyPhone)); err != nil {
		t.Fatalf("duty page: %v", err)
	}

	// A duty worker signs in to the console process, reads the client's
	// words (decrypted there, from the SQL inbox) and replies: the reply
	// goes to the client's own number, from the line's.
	consoleReply(ctx, t, c, pseudonym)
	if _, err := fake.WaitFor(wctx, func(m twiliofake.SentMessage) bool {
		return m.To == crisisFrom && m.From == LineNumber && strings.Contains(m.Body, "are you safe")
	}); err != nil {
		t.Fatalf("console reply at the fake: %v", err)
	}

	sids := []string{SID(1)}
	for i := 2; i <= 7; i++ {
		sid := SID(int64(i))
		sids = append(sids, sid)
		if code, err := tx.Text(ctx, i, sid, fmt.Sprintf("+44770090%04d", i%3), "can we move my appointment to thursday"); err != nil || code != http.StatusOK {
			t.Fatalf("webhook %d: %d %v", i, code, err)
		}
	}
	// Twilio retries the last one at the other replica: still one event.
	if code, err := tx.Text(ctx, 0, SID(7), "+447700900001", "can we move my appointment to thursday"); err != nil || code != http.StatusOK {
		t.Fatalf("retried webhook: %d %v", code, err)
	}

	// The duty worker's reply to the client acknowledged the escalation
	// (nobody had): nobody else is paged, and the policy never runs out.
	err := Eventually(ctx, 60*time.Second, func() error {
		p, err := ReadProjections(ctx, dbURL)
		if err != nil {
			return err
		}
		if want := (Projected{Received: 7, Escalations: 1, Exhausted: 0, Pages: 1, Acknowledged: 1}); p != want {
			return fmt.Errorf("projections %+v, want %+v", p, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	log, err := c.ReadLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range sids {
		if log.Received[sid] != 1 {
			t.Errorf("message %s is in the log %d times, want once", sid, log.Received[sid])
		}
	}
	if len(log.Received) != len(sids) || log.Escalations != 1 || log.Pages != 1 {
		t.Errorf("log: %d messages, %d escalations, %d pages; want %d, 1, 1", len(log.Received), log.Escalations, log.Pages, len(sids))
	}
	duty, backup := 0, 0
	for _, m := range fake.Sent() {
		switch {
		case pageTo(DutyPhone)(m):
			duty++
		case pageTo(BackupPhone)(m):
			backup++
		}
	}
	// The duty worker's reply acknowledged the escalation, so the backup is
	// never paged, by either notification replica.
	if duty != 1 || backup != 0 {
		t.Errorf("pages at the fake: duty %d, backup %d; want 1 and 0", duty, backup)
	}
	for _, p := range append(append([]*Proc(nil), c.Services...), c.NATS...) {
		if rss, err := p.RSS(); err == nil {
			t.Logf("%s: RSS %.1f MiB", p.Name, float64(rss)/(1<<20))
		}
	}
	// Graceful shutdown: every service drains and exits on SIGTERM.
	for _, p := range c.Services {
		if err := p.Stop(15 * time.Second); err != nil {
			t.Errorf("stop %s: %v", p.Name, err)
		} else if err := p.ExitErr(); err != nil {
			t.Errorf("%s did not exit cleanly on SIGTERM: %v", p.Name, err)
		}
	}
	// Each service did all it does as its own NATS user: nothing refused.
	for _, p := range c.Services {
		if b, err := os.ReadFile(p.LogPath()); err != nil || bytes.Contains(bytes.ToLower(b), []byte("permissions violation")) {
			t.Errorf("%s: a NATS permission was refused (or no log: %v); see %s", p.Name, err, p.LogPath())
		}
	}
}

// consoleReply adds a duty account with `helpline users add` against the
// cluster, signs in through the console's API, finds the conversation of
// pseudonym in the inbox, checks its message is readable there, and
// replies.
func consoleReply(ctx context.Context, t *testing.T, c *Cluster, pseudonym string) {
	t.Helper()
	add := c.Command(ctx, "users", "add", "--id", "dana", "--name", "Dana Duty", "--role", "duty")
	add.Stdin = strings.NewReader("a duty password long enough\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	base := "http://" + c.Role("console")[0].HTTPAddr
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	call := func(method, path, csrf string, body any, out any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	call("POST", "/api/session", "", map[string]string{"staff_id": "dana", "password": "a duty password long enough"}, &sess)
	var convID string
	err := Eventually(ctx, 30*time.Second, func() error {
		var inbox struct {
			Conversations []struct {
				ID        string `json:"id"`
				Pseudonym string `json:"pseudonym"`
			} `json:"conversations"`
		}
		call("GET", "/api/inbox", "", nil, &inbox)
		for _, cv := range inbox.Conversations {
			if cv.Pseudonym == pseudonym {
				convID = cv.ID
				return nil
			}
		}
		return fmt.Errorf("%s not in the console's inbox yet", pseudonym)
	})
	if err != nil {
		t.Fatal(err)
	}
	var conv struct {
		Messages []struct {
			Text string `json:"text"`
		} `json:"messages"`
	}
	call("GET", "/api/conversations/"+convID, "", nil, &conv)
	if len(conv.Messages) == 0 || !strings.Contains(conv.Messages[0].Text, "paracetamol") {
		t.Fatalf("the console shows %+v, want the client's message", conv.Messages)
	}
	var reply struct {
		ReplyID string `json:"reply_id"`
	}
	call("POST", "/api/conversations/"+convID+"/replies", sess.CSRF, map[string]string{"body": "I'm here with you, are you safe right now?"}, &reply)
}

// dumpLogs prints the end of every process's log in dir.
func dumpLogs(t *testing.T, dir string) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		var lines []string
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if len(lines) > 30 {
				lines = lines[1:]
			}
		}
		f.Close()
		t.Logf("--- %s\n%s", filepath.Base(path), strings.Join(lines, "\n"))
	}
}

// TestEmbeddedRun runs the embedded shape the load generator's -embedded
// measures: one `helpline run` process, its NATS in process, talking to
// the Twilio-compatible fake with real credentials. A signed crisis SMS
// pages the duty phone once, with the pseudonym and not the number, and an
// unsigned one is refused and pages nobody.
func TestEmbeddedRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 170*time.Second)
	defer cancel()
	c, fake := started(ctx, t, "embeddedtoken0123456789", Config{Lines: clusterLines, Embedded: true})
	if len(c.NATS) != 0 || len(c.Services) != 1 || len(c.Role("ingestion")) != 1 {
		t.Fatalf("embedded: %d NATS nodes, %d services, want 0 and one `helpline run`", len(c.NATS), len(c.Services))
	}
	url := "http://" + c.Services[0].HTTPAddr
	forged := &Texter{AccountSID: fake.AccountSID(), AuthToken: "not-the-token-0123456789", Replicas: []string{url}, Client: &http.Client{Timeout: 15 * time.Second}}
	if code, err := forged.Text(ctx, 0, SID(1), "+447700900556", "i took 30 paracetamol and i want to die"); err != nil || code != http.StatusForbidden {
		t.Fatalf("a webhook signed with the wrong token: %d %v, want 403", code, err)
	}
	tx := &Texter{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), Replicas: []string{url}, Client: &http.Client{Timeout: 15 * time.Second}}
	crisisFrom := "+447700900555"
	if code, err := tx.Text(ctx, 0, SID(2), crisisFrom, "i took 30 paracetamol and i want to die"); err != nil || code != http.StatusOK {
		t.Fatalf("crisis webhook: %d %v", code, err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	page, err := fake.WaitFor(wctx, func(m twiliofake.SentMessage) bool { return m.To == DutyPhone })
	if err != nil {
		t.Fatalf("duty page: %v", err)
	}
	if !strings.Contains(page.Body, c.Pseudonym(crisisFrom)) || strings.Contains(page.Body, crisisFrom) || strings.Contains(page.Body, "paracetamol") {
		t.Errorf("page %q: want the pseudonym %s, never the number or the words", page.Body, c.Pseudonym(crisisFrom))
	}
	for _, m := range fake.Sent() {
		if m.To == DutyPhone && strings.Contains(m.Body, c.Pseudonym("+447700900556")) {
			t.Errorf("the forged webhook's sender was paged: %q", m.Body)
		}
	}
	if rss, err := c.Services[0].RSS(); err != nil || rss <= 0 {
		t.Errorf("RSS of helpline run: %d %v", rss, err)
	}
}
