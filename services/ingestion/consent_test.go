package ingestion

import (
	"testing"

	"github.com/helpline-org/helpline/events"
)

func TestConsentKeyword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, keyword, consent string
	}{
		{"STOP", "STOP", events.ConsentOptedOut},
		{" stop. ", "STOP", events.ConsentOptedOut},
		{"Unsubscribe", "UNSUBSCRIBE", events.ConsentOptedOut},
		{"quit!", "QUIT", events.ConsentOptedOut},
		{"start", "START", events.ConsentOptedIn},
		{"Yes", "YES", events.ConsentOptedIn},
		{"UNSTOP", "UNSTOP", events.ConsentOptedIn},
		{"help", "HELP", events.ConsentHelpRequested},
		{"info?", "INFO", events.ConsentHelpRequested},
		{"please stop texting me", "", ""},
		{"I need help", "", ""},
		{"stopp", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		kw, consent, ok := ConsentKeyword(tt.body)
		if kw != tt.keyword || consent != tt.consent || ok != (tt.keyword != "") {
			t.Errorf("ConsentKeyword(%q) = %q, %q, %v; want %q, %q", tt.body, kw, consent, ok, tt.keyword, tt.consent)
		}
	}
}
