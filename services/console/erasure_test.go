package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/erasure"
	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/projections/inbox"
)

// TestErasedClientsMatchedWordsAreUnreadable: the terms triage matched in
// a client's crisis text explain the verdict to the duty worker (on the
// escalation and the conversation, JSON and pages), each reading audited;
// once the client is erased no page or JSON shows them, they show as
// erased, and no event in the log holds them or the client's STOP keyword
// (typed "StOp") in plain text.
func TestErasedClientsMatchedWordsAreUnreadable(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	const client = "+447700900777"
	esc := w.crisis(t, client, "I have taken 30 paracetamol and I want to die tonight")
	conv := esc.ConversationID
	w.text(t, client, "StOp")
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv && c.Consent == events.ConsentOptedOut })
	dana := w.signIn(t, "dana")

	// Before erasure: the duty worker reads the words, and it is audited.
	before := len(w.auditReads(t))
	var e struct {
		Terms       []string `json:"terms"`
		TermsErased bool     `json:"terms_erased"`
		Categories  []string `json:"categories"`
	}
	getJSON(t, dana, "/api/escalations/"+esc.ID, &e)
	if len(e.Terms) == 0 || e.TermsErased || len(e.Categories) == 0 {
		t.Fatalf("the duty worker's escalation before erasure: %+v; want its signals and matched terms", e)
	}
	terms := e.Terms
	reads := w.auditReads(t)[before:]
	if len(reads) != 1 || reads[0].StaffID != "dana" || reads[0].ConversationID != conv || reads[0].Via != "api" || reads[0].MessagesDisclosed != 1 {
		t.Fatalf("audit records of the escalation's terms: %+v; want dana's one reading through the api", reads)
	}
	if code, page := dana.do("GET", "/queue/"+esc.ID, nil); code != http.StatusOK || !strings.Contains(string(page), `id="terms"`) ||
		!strings.Contains(string(page), html.EscapeString(terms[0])) {
		t.Fatalf("escalation page before erasure: %d, want the matched terms %q", code, terms)
	}
	var c struct {
		Messages []struct {
			ID          string   `json:"id"`
			Direction   string   `json:"direction"`
			Terms       []string `json:"terms"`
			TermsErased bool     `json:"terms_erased"`
		} `json:"messages"`
	}
	getJSON(t, dana, "/api/conversations/"+conv, &c)
	if len(c.Messages) == 0 || len(c.Messages[0].Terms) == 0 {
		t.Fatalf("conversation before erasure: %+v; want the first message's matched terms", c)
	}
	// The queue's list shows signals, never words.
	if code, body := dana.do("GET", "/api/queue", nil); code != http.StatusOK || strings.Contains(string(body), `"`+terms[0]+`"`) {
		t.Fatalf("the queue's list: %d %s; want no matched term", code, body)
	}

	// Erase the client, as `helpline clients erase` does.
	ic, err := w.inbox.Get(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if err := erasure.NewEraser(w.Keys, events.NewClients(w.Store), w.Clock.Now).Erase(context.Background(), ic.ClientID, "ada", "test"); err != nil {
		t.Fatal(err)
	}
	w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == conv && c.Erased })
	// The escalation queue drops the sealed terms it held (unopenable now):
	// only content-free figures remain.
	poll.Until(t, 20*time.Second, func() error {
		q, err := w.queue.Get(context.Background(), esc.ID)
		if err != nil || !q.TermsErased || !q.Terms.Empty() || len(q.Categories) == 0 {
			return fmt.Errorf("queue row %+v, %v; want its sealed terms dropped as erased, its signals kept", q, err)
		}
		return nil
	})

	before = len(w.auditReads(t))
	e.Terms, e.TermsErased = nil, false
	getJSON(t, dana, "/api/escalations/"+esc.ID, &e)
	if len(e.Terms) != 0 || !e.TermsErased || len(e.Categories) == 0 {
		t.Fatalf("the escalation after erasure: %+v; want its signals, its words erased", e)
	}
	c.Messages = nil
	getJSON(t, dana, "/api/conversations/"+conv, &c)
	if len(c.Messages) == 0 || len(c.Messages[0].Terms) != 0 || !c.Messages[0].TermsErased {
		t.Fatalf("conversation after erasure: %+v; want the first message's words erased", c)
	}
	for _, path := range []string{"/queue/" + esc.ID, "/conversations/" + conv, "/api/escalations/" + esc.ID, "/api/conversations/" + conv, "/api/queue", "/api/inbox"} {
		code, body := dana.do("GET", path, nil)
		if code != http.StatusOK {
			t.Fatalf("%s after erasure: %d %s", path, code, body)
		}
		// A term is the client's words, which may be a common word ("taken")
		// the page also uses: look for it as shown, quoted in the page's
		// curly quotes or as a JSON string.
		for _, term := range terms {
			low := bytes.ToLower(body)
			for _, shown := range []string{"“" + html.EscapeString(term) + "”", `"` + term + `"`} {
				if bytes.Contains(low, []byte(strings.ToLower(shown))) {
					t.Fatalf("%s shows the erased client's matched term %q: %s", path, term, body)
				}
			}
		}
	}
	if code, page := dana.do("GET", "/queue/"+esc.ID, nil); code != http.StatusOK || !strings.Contains(string(page), "erased with the client") {
		t.Fatalf("escalation page after erasure: %d; want the words shown as erased", code)
	}
	if reads := w.auditReads(t)[before:]; len(reads) != 0 {
		t.Fatalf("reading an erased client's escalation and conversation recorded %+v; nothing was disclosed", reads)
	}

	// The log itself: no event holds a matched term or the keyword as a
	// JSON string, whatever its case.
	raw := streamMessages(t, w.JS, events.DefaultStream)
	for _, needle := range append(append([]string{}, terms...), "stop") {
		quoted := []byte(strings.ToLower(`"` + needle + `"`))
		for subject, data := range raw {
			if bytes.Contains(bytes.ToLower(data), quoted) {
				t.Errorf("%s holds %q in plain text: %s", subject, needle, data)
			}
		}
	}
}

// getJSON reads path as s and decodes its JSON into v, failing on any
// status but 200.
func getJSON(t *testing.T, s *staff, path string, v any) {
	t.Helper()
	code, body := s.do("GET", path, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// streamMessages returns the raw data of every message in a stream, keyed
// by "subject#sequence": what is on disk, before any decoding.
func streamMessages(t *testing.T, js jetstream.JetStream, name string) map[string][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out[fmt.Sprintf("%s#%d", m.Subject, seq)] = m.Data
	}
	if len(out) == 0 {
		t.Fatalf("stream %s is empty", name)
	}
	return out
}
