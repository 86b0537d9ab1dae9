package notification

import (
	"strings"
	"testing"

	"github.com/helpline-org/helpline/internal/config"
)

func TestNextWalksLevelsThenRounds(t *testing.T) {
	t.Parallel()
	p := config.Policy{Levels: []string{"duty", "backup", "manager"}, Rounds: 2}
	var got []Step
	for s, ok := First, true; ok; s, ok = Next(p, s) {
		got = append(got, s)
	}
	want := []Step{{1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}}
	if len(got) != len(want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("steps %v, want %v", got, want)
		}
	}
}

func TestPageTextNamesReasonNotContent(t *testing.T) {
	t.Parallel()
	line := config.Line{Name: "Example Line"}
	txt := PageText(Page{Line: line, Pseudonym: "C-7Q2KX3", EscalationID: "esc-sms-sm0a", Reason: "crisis", Categories: []string{"overdose_means"},
		Step: First}, "https://helpline.example/")
	for _, want := range []string{"Example Line", "crisis: overdose means", "C-7Q2KX3", "https://helpline.example/queue/esc-sms-sm0a",
		"Reply 1 to acknowledge, 2 if you cannot take it"} {
		if !strings.Contains(txt, want) {
			t.Errorf("page %q lacks %q", txt, want)
		}
	}
	// To a role that may not see the pseudonym, none is given: the page
	// names the line, the reason and the link, and no client.
	anon := PageText(Page{Line: line, EscalationID: "esc-sms-sm0a", Reason: "crisis", Categories: []string{"overdose_means"}, Step: First}, "https://helpline.example/")
	if want := "Helpline page. Example Line: crisis: overdose means. https://helpline.example/queue/esc-sms-sm0a Reply 1"; !strings.HasPrefix(anon, want) || strings.Contains(anon, "client") {
		t.Errorf("page without a pseudonym %q, want it to start %q and name no client", anon, want)
	}
	if again := PageText(Page{Line: config.Line{Name: "L"}, Pseudonym: "C-1", EscalationID: "e1", Reason: "crisis", Step: Step{1, 1}}, "x"); !strings.Contains(again, "not yet acknowledged") {
		t.Errorf("re-page does not say so: %q", again)
	}
}

func TestPageReplyTextPerLineAndLanguage(t *testing.T) {
	t.Parallel()
	l := config.Line{PageReply: map[string]string{"en": "Text 1 = mine, 2 = can't.", "es": "1 sí, 2 no."}}
	for _, tt := range []struct {
		line       config.Line
		lang, want string
	}{
		{l, "es", "1 sí, 2 no."},
		{l, "fr", "Text 1 = mine, 2 = can't."}, // the line's English before the built-in French
		{l, "", "Text 1 = mine, 2 = can't."},
		{config.Line{}, "fr", "Répondez 1 pour le prendre, 2 si vous ne pouvez pas."},
		{config.Line{}, "de", "Reply 1 to acknowledge, 2 if you cannot take it."},
	} {
		if got := PageReplyText(tt.line, tt.lang); got != tt.want {
			t.Errorf("%v %q: %q, want %q", tt.line.PageReply, tt.lang, got, tt.want)
		}
	}
}
