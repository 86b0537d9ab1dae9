package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/app/platform"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/testbed"
)

// TestTriageFeedbackExportsMarksWithoutText: a "triage missed this" mark
// shows in `helpline triage feedback` with the verdict it had (signals,
// rule, lexicon version, its terms "(sealed)") and no text, matched term,
// pseudonym or conversation id; the text and the terms come only for an
// active admin who states a break-glass reason, and each reading is
// audited.
func TestTriageFeedbackExportsMarksWithoutText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir := t.TempDir()
	lookup := func(k string) (string, bool) {
		switch k {
		case config.VarDataDir:
			return dataDir, true
		case "HELPLINE_LOG_FORMAT":
			return "json", true
		}
		return "", false
	}
	const text = "i have been saving my tablets"
	withPlatform(t, dataDir, func(p *platform.Platform) {
		keys, _, err := p.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer keys.Close()
		m := events.Meta{OccurredAt: time.Now()}
		msgID := events.NewID()
		sealed, err := keys.Seal(ctx, "client-fb", []byte(text), events.BodyAAD(msgID))
		if err != nil {
			t.Fatal(err)
		}
		terms, err := keys.Seal(ctx, "client-fb", []byte(`["saving tablets"]`), events.TermsAAD(msgID))
		if err != nil {
			t.Fatal(err)
		}
		convs, err := events.NewConversations(p.Store, 16)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := convs.Update(ctx, "conv-fb", func(c *events.Conversation) error {
			if err := c.Start("main", "client-fb", "C-FB12", events.ChannelSMS, m); err != nil {
				return err
			}
			if err := c.Receive(msgID, "SMfb", events.Sealed{KeyID: "client-fb", Data: sealed}, 0, m); err != nil {
				return err
			}
			return c.Triage(msgID, events.Verdict{Risk: events.RiskElevated, Rule: "wish_alone", LexiconVersion: "en-test",
				Matches: []events.TriageMatch{{Category: "method", Language: "en", Weight: 0.5}},
				Terms:   events.Sealed{KeyID: "client-fb", Data: terms}}, events.Arrival{}, m)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := convs.Update(ctx, "conv-fb", func(c *events.Conversation) error {
			return c.RecordTriageFeedback(msgID, "kim", events.FeedbackMissed, m)
		}); err != nil {
			t.Fatal(err)
		}
		workers := events.NewWorkers(p.Store)
		for id, role := range map[string]string{"ada": events.RoleAdmin, "wes": events.RoleWorker} {
			if _, err := workers.Update(ctx, id, func(w *events.Worker) error {
				return w.Register(id, "$argon2id$test", role, "test", m)
			}); err != nil {
				t.Fatal(err)
			}
		}
	})

	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := cmdTriage(ctx, append([]string{"feedback"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut}, lookup)
		return out.String(), err
	}
	out, err := run()
	if err != nil {
		t.Fatal(err)
	}
	var line feedbackLine
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if line.Feedback != events.FeedbackMissed || line.Risk != events.RiskElevated || line.Rule != "wish_alone" ||
		line.LexiconVersion != "en-test" || len(line.Terms) != 0 || line.TermsNote != "(sealed)" || line.Text != "" {
		t.Fatalf("exported %+v", line)
	}
	for _, leak := range []string{text, "saving tablets", "C-FB12", "conv-fb", "client-fb"} {
		if strings.Contains(out, leak) {
			t.Fatalf("the export without break-glass holds %q: %s", leak, out)
		}
	}
	if _, err := run("--break-glass-reason", "lexicon review"); err == nil {
		t.Fatal("break-glass without --by was accepted")
	}
	if _, err := run("--break-glass-reason", "lexicon review", "--by", "wes"); err == nil {
		t.Fatal("a worker read text by break-glass")
	}
	out, err = run("--break-glass-reason", "lexicon review", "--by", "ada")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, text) || !strings.Contains(out, `"terms":["saving tablets"]`) {
		t.Fatalf("break-glass export has no text or terms: %s", out)
	}

	var audits []events.ContentRead
	withPlatform(t, dataDir, func(p *platform.Platform) {
		for _, r := range testbed.Readings(t, p.Store) {
			audits = append(audits, r.ContentRead)
		}
	})
	if len(audits) != 1 || audits[0].BreakGlassReason != "lexicon review" || audits[0].Via != "cli" || audits[0].ConversationID != "conv-fb" {
		t.Fatalf("audit records %+v, want the one break-glass reading", audits)
	}
}
