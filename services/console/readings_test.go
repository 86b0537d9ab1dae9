package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/services/console/auth"
)

// TestAnOpenEscalationPageIsAuditedOncePerView: the escalation page
// shows the matched terms and the conversation; opening it records both
// readings, the page's background refreshes showing the same content
// record nothing more, and opening it again records them again.
func TestAnOpenEscalationPageIsAuditedOncePerView(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{})
	esc := w.crisis(t, "+447700900778", "I have taken 30 paracetamol and I want to die tonight")
	dana := w.signIn(t, "dana")
	open := func(hdr ...string) {
		t.Helper()
		if code, page := dana.do("GET", "/queue/"+esc.ID, nil, hdr...); code != http.StatusOK || !strings.Contains(string(page), `id="terms"`) {
			t.Fatalf("escalation page: %d; want it with its matched terms", code)
		}
	}
	count := func(want int, after string) {
		t.Helper()
		var n int
		for _, r := range w.auditReads(t) {
			if r.StaffID == "dana" && r.ConversationID == esc.ConversationID && r.Via == "page" {
				n++
			}
		}
		if n != want {
			t.Fatalf("after %s: %d of dana's readings recorded, want %d", after, n, want)
		}
	}
	open()
	count(2, "opening the page (its terms and its conversation)")
	for range 10 {
		open(auth.BackgroundHeader, "background")
	}
	count(2, "10 background refreshes showing the same")
	open()
	count(4, "opening the page again")
}
