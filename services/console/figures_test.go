package console_test

import (
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// pseudonymShaped matches a client's pseudonym as staff see it.
var pseudonymShaped = regexp.MustCompile(`\bC-[A-Za-z0-9]{6}\b`)

// figureRoutes are every route that serves the managers' figures.
var figureRoutes = []string{"/dashboard", "/dashboard.csv", "/dashboard/conversations.csv", "/api/figures", "/api/figures.csv",
	"/api/figures/conversations.csv"}

// TestFiguresCountTheWorstCasesAndHoldNothingPersonal: a crisis nobody
// acknowledges through every round of the policy, and a conversation
// closed without a reply, show on the dashboard (exhausted, never
// answered, a breach) and in the per-conversation export, and so do the
// answers to the line's post-contact survey (as counts per question and
// option); no figure route (JSON, HTML or CSV) carries a pseudonym, a
// client or conversation id, a phone number or a word of the messages.
func TestFiguresCountTheWorstCasesAndHoldNothingPersonal(t *testing.T) {
	t.Parallel()
	// The test moves the clock on by about three and a half hours and then
	// asks for the figures of the last day: started from the wall clock
	// after about 20:35 UTC, A's escalation fell on the day before and the
	// test failed every evening. A fixed morning keeps the whole story in
	// one day.
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // a Monday morning
	w := newWorld(t, worldOpts{config: surveyConfig, at: at})

	// A: a crisis paged to dana, then bo, and nobody acknowledges.
	escA := w.crisis(t, clientA, wordsA)
	// Each step's deadline is stored before its page leaves: the clock
	// moves on once the page has.
	w.waitTimerAt(t, escA.ID, 0)
	w.waitSent(t, dutyPhone, "/queue/"+escA.ID, 1)
	w.Clock.Add(61 * time.Minute)
	w.waitTimerAt(t, escA.ID, 1)
	w.waitSent(t, dutyPhone2, "/queue/"+escA.ID, 1)
	w.Clock.Add(61 * time.Minute)
	w.waitTimerGone(t, escA.ID)
	// B: writes, waits past the line's hour (escalated as unanswered), and
	// is closed unanswered (a wrong number, say).
	w.text(t, clientB, wordsB)
	b := w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID != escA.ConversationID })
	a := w.waitConversation(t, func(c inbox.Conversation) bool { return c.ID == escA.ConversationID })
	w.Clock.Add(61 * time.Minute)
	// Past the target, triage escalates B as unanswered (its clock's
	// timer); closing first would stop the clock, so which came first
	// would be a race. Wait for it: B is closed escalated, unacknowledged.
	if escB := w.waitEscalation(t, b.ID); escB.Reason != events.ReasonUnanswered {
		t.Fatalf("B's escalation: %+v, want reason unanswered", escB)
	}
	w.CloseAs(t, b.ID, "wes", "no_contact")
	// B's client answers the line's survey: 1 (yes, it helped), then 4.
	w.surveyed(t, clientB, b.ID)
	w.text(t, clientB, "1")
	w.waitSMS(t, "the survey's second question", func(m twiliofake.SentMessage) bool { return m.To == clientB && m.Body == surveyRating })
	w.text(t, clientB, "4")

	mia := w.signIn(t, "mia")
	rep := figuresWhen(t, mia, func(f views.Figures) error {
		if f.Exhausted != 1 || f.NeverAnswered != 1 || len(f.Survey) != 2 {
			return fmt.Errorf("totals %+v, want one exhausted escalation, one conversation never answered and two survey answers", f)
		}
		return nil
	})
	f := rep.Totals
	// A waits (2h, open) and B waited (3h, closed) past the 1h target
	// without a reply: both breaches before any reply exists.
	if f.Conversations != 2 || f.Breaches != 2 || f.Abandoned[0].Band != "once" || f.Abandoned[0].Count != 1 ||
		!maps.Equal(f.Outcomes, map[string]int64{"no_contact": 1}) || !maps.Equal(f.Categories, map[string]int64{"reason:other": 1, "risk:none": 1}) ||
		!maps.Equal(f.Survey, map[string]int64{"helped:1": 1, "rating:4": 1}) {
		t.Fatalf("totals %+v", f)
	}
	code, page := mia.do("GET", "/dashboard?days=1", nil)
	for _, want := range []string{`<dd id="never-answered">1</dd>`, `<dd id="exhausted">1</dd>`, "No real contact (silent, test, wrong number)", "Risk level assessed: None",
		"Did the conversation help?: Yes", "Rating: 4"} {
		if code != http.StatusOK || !strings.Contains(string(page), want) {
			t.Fatalf("dashboard %d lacks %q:\n%s", code, want, page)
		}
	}

	// The export: one row per conversation, in the order they opened.
	code, body := mia.do("GET", "/api/figures/conversations.csv?days=1", nil)
	if code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"row", "line", "opened_hour", "first_reply_wait_s", "messages_in", "messages_out", "closed", "outcome", "categories", "escalated", "exhausted", "survey"},
		{"1", "main", a.StartedAt.UTC().Truncate(time.Hour).Format(time.RFC3339), "", "1", "0", "false", "", "", "true", "true", ""},
		{"2", "main", b.StartedAt.UTC().Truncate(time.Hour).Format(time.RFC3339), "", "1", "0", "true", "no_contact", "reason:other;risk:none", "true", "false", "helped:1;rating:4"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("export\n got %q\nwant %q", rows, want)
	}

	// No figure route, for a manager or an admin, carries anything of a
	// client's or a conversation's.
	if a.ClientID == "" || a.Pseudonym == "" || b.ClientID == "" || b.Pseudonym == "" {
		t.Fatalf("the inbox rows lack what the check looks for: %+v %+v", a, b)
	}
	never := append([]string{a.ClientID, b.ClientID, a.ID, b.ID, a.Pseudonym, b.Pseudonym, wordsA, wordsB, "sleeping pills", "anyone there"}, numbers...)
	for _, who := range []*staff{mia, w.signIn(t, "ada")} {
		for _, route := range figureRoutes {
			code, body := who.do("GET", route+"?days=1", nil)
			if code != http.StatusOK {
				t.Fatalf("%s: %d", route, code)
			}
			text := string(body)
			if m := pseudonymShaped.FindString(text); m != "" {
				t.Errorf("%s carries a pseudonym-shaped %q", route, m)
			}
			if m := phoneShaped.FindString(text); m != "" {
				t.Errorf("%s carries a phone-shaped %q", route, m)
			}
			for _, x := range never {
				if x != "" && strings.Contains(text, x) {
					t.Errorf("%s carries %q", route, x)
				}
			}
		}
	}
}
