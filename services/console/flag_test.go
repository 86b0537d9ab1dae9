package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/twiliofake"
)

// TestFlaggedClientsCrisisStillPages: on the whole platform (the signed
// webhook, triage, notification sending to the Twilio fake), a duty
// worker flags a client as abusive through the API; the client then
// texts a crisis, and the duty worker is paged on their work phone as for
// anyone. The inbox shows the flag; a flag without a CSRF token, from a
// role that may not read the conversation, or with bad input is refused
// and records nothing.
func TestFlaggedClientsCrisisStillPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	const client = "+447700900771"
	conv := w.started(t, client, "hello, can I talk to someone").ID
	dana := w.signIn(t, "dana")
	path := "/api/conversations/" + conv + "/flags"
	body := map[string]string{"id": "flag1", "kind": events.FlagAbusive, "reason": "threatened a worker last night",
		"until": w.Clock.Now().AddDate(0, 1, 0).Format(time.DateOnly)}

	noCSRF := *dana
	noCSRF.CSRF = ""
	bad := map[string]string{"id": "flag2", "kind": "silence", "reason": "x", "until": body["until"]}
	for _, c := range []struct {
		name string
		s    *staff
		body map[string]string
		want int
	}{
		{"no CSRF token", &noCSRF, body, http.StatusForbidden},
		{"a manager", w.signIn(t, "mia"), body, http.StatusForbidden},
		{"another team's worker", w.signIn(t, "nia"), body, http.StatusForbidden},
		{"an unknown kind", dana, bad, http.StatusBadRequest},
	} {
		if code, out := c.s.do("POST", path, c.body); code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, out, c.want)
		}
	}
	if got := w.Events(t, events.AggregateClient, events.TypeClientFlagged); len(got) != 0 {
		t.Fatalf("refused flags recorded %d events", len(got))
	}
	if code, out := dana.do("POST", path, body); code != http.StatusNoContent {
		t.Fatalf("flag: %d %s", code, out)
	}

	// The flagged client texts a crisis: triage reads it as ever, and the
	// duty worker's phone is paged.
	w.text(t, client, "I have taken 30 paracetamol and I want to die")
	esc := w.waitEscalation(t, conv)
	if esc.Risk != events.RiskCrisis {
		t.Fatalf("the flagged client's crisis was escalated as %q", esc.Risk)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := w.fake.WaitFor(ctx, func(m twiliofake.SentMessage) bool { return m.To == dutyPhone }); err != nil {
		t.Fatalf("the duty worker was not paged for a flagged client's crisis: %v", err)
	}

	// The inbox shows the flag.
	poll.Until(t, 20*time.Second, func() error {
		code, out := dana.do("GET", "/api/inbox", nil)
		var l struct {
			Conversations []struct {
				ID          string `json:"id"`
				ClientFlags []struct {
					Kind  string    `json:"kind"`
					Until time.Time `json:"until"`
				} `json:"client_flags"`
			} `json:"conversations"`
		}
		if err := json.Unmarshal(out, &l); err != nil || code != http.StatusOK {
			return fmt.Errorf("inbox: %d %v", code, err)
		}
		for _, c := range l.Conversations {
			if c.ID == conv && len(c.ClientFlags) == 1 && c.ClientFlags[0].Kind == events.FlagAbusive {
				return nil
			}
		}
		return fmt.Errorf("the inbox does not show the flag: %s", out)
	})
	if code, page := dana.do("GET", "/conversations/"+conv, nil); code != http.StatusOK || !strings.Contains(string(page), `data-flag="abusive"`) ||
		strings.Contains(string(page), "threatened a worker") {
		t.Fatalf("conversation page: %d; want the flag shown, its reason not", code)
	}
}
