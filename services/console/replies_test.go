package console_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
)

// repliesConfig is the world's configuration with two default saved
// replies on the line.
var repliesConfig = strings.Replace(worldConfig, "admin_contacts: [ada]}", `admin_contacts: [ada], saved_replies: [
      {language: en, shortcut: safety, title: Safety plan, text: "Can we make a plan together to keep you safe tonight?"},
      {language: es, shortcut: safety, title: Plan de seguridad, text: "¿Hacemos juntos un plan para que estés a salvo esta noche?"}]}`, 1)

func savedReplies(t *testing.T, s *staff) []views.SavedReply {
	t.Helper()
	code, body := s.do("GET", "/api/lines/main/replies", nil)
	if code != http.StatusOK {
		t.Fatalf("GET replies: %d %s", code, body)
	}
	var out views.SavedReplies
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Replies
}

func shortcuts(rs []views.SavedReply) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Language+"/"+r.Shortcut+"="+r.Text)
	}
	return strings.Join(out, " | ")
}

// TestAdminsManageSavedReplies: an admin adds, edits and removes a line's
// saved replies (API and forms); each change is one event in the log, a
// double submission adds one reply, refused input records nothing, and
// workers read what admins saved but may change nothing.
func TestAdminsManageSavedReplies(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOpts{config: repliesConfig})
	ada, wes := w.signIn(t, "ada"), w.signIn(t, "wes")
	if got := shortcuts(savedReplies(t, wes)); got != "en/safety=Can we make a plan together to keep you safe tonight? | es/safety=¿Hacemos juntos un plan para que estés a salvo esta noche?" {
		t.Fatalf("the defaults: %s", got)
	}

	add := map[string]string{"id": "form-1", "language": "fr", "shortcut": "/Respirer", "title": "Respirer", "text": "Respirons ensemble.\r\nInspirez sur quatre temps."}
	for range 2 {
		if code, body := ada.do("POST", "/api/lines/main/replies", add); code != http.StatusCreated || !strings.Contains(string(body), `"form-1"`) {
			t.Fatalf("add: %d %s", code, body)
		}
	}
	edit := map[string]string{"language": "en", "shortcut": "plan", "title": "Safety plan", "text": "Shall we plan your night together?"}
	if code, body := ada.do("PUT", "/api/lines/main/replies/en-safety", edit); code != http.StatusNoContent {
		t.Fatalf("edit: %d %s", code, body)
	}
	if code, body := ada.do("DELETE", "/api/lines/main/replies/es-safety", nil); code != http.StatusNoContent {
		t.Fatalf("remove: %d %s", code, body)
	}
	// The form: one more reply, added as an admin's browser would.
	if code, body := ada.send("POST", "/admin/replies/main", "form:id=form-2&language=en&shortcut=numbers&title=Emergency numbers&text=Call 999, or Samaritans on 116 123."); code != http.StatusSeeOther {
		t.Fatalf("form add: %d %.300s", code, body)
	}

	before := len(w.Events(t, events.AggregateReplies, ""))
	refused := []struct {
		name       string
		method     string
		path       string
		body       any
		who        *staff
		want       int
		wantInBody string
	}{
		{"a shortcut taken in the language", "POST", "/api/lines/main/replies", map[string]string{"language": "en", "shortcut": "plan", "title": "T", "text": "x"}, ada, http.StatusBadRequest, "shortcut /plan is taken"},
		{"a blank text", "PUT", "/api/lines/main/replies/form-1", map[string]string{"language": "fr", "shortcut": "respirer", "title": "T", "text": " "}, ada, http.StatusBadRequest, "text"},
		{"an unknown line", "POST", "/api/lines/nowhere/replies", add, ada, http.StatusNotFound, ""},
		{"a removed reply", "PUT", "/api/lines/main/replies/es-safety", edit, ada, http.StatusNotFound, ""},
		{"a worker adding", "POST", "/api/lines/main/replies", map[string]string{"language": "en", "shortcut": "mine", "title": "T", "text": "x"}, wes, http.StatusForbidden, ""},
		{"a worker's form", "POST", "/admin/replies/main/form-1/remove", "form:", wes, http.StatusForbidden, ""},
	}
	for _, r := range refused {
		code, body := r.who.send(r.method, r.path, r.body)
		if code != r.want || !strings.Contains(string(body), r.wantInBody) {
			t.Errorf("%s: %d %.200s, want %d saying %q", r.name, code, body, r.want, r.wantInBody)
		}
	}
	noToken := *ada
	noToken.CSRF = ""
	if code, _ := noToken.send("POST", "/admin/replies/main/form-1/remove", "form:"); code != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d, want 403", code)
	}
	if after := len(w.Events(t, events.AggregateReplies, "")); after != before {
		t.Fatalf("refused changes recorded %d events", after-before)
	}

	want := "en/plan=Shall we plan your night together? | fr/respirer=Respirons ensemble.\nInspirez sur quatre temps. | en/numbers=Call 999, or Samaritans on 116 123."
	if got := shortcuts(savedReplies(t, wes)); got != want {
		t.Fatalf("after the changes:\n%s\nwant\n%s", got, want)
	}
	for typ, n := range map[string]int{events.TypeSavedReplyAdded: 2, events.TypeSavedReplyEdited: 1, events.TypeSavedReplyRemoved: 1} {
		if got := len(w.Events(t, events.AggregateReplies, typ)); got != n {
			t.Errorf("%d %s events, want %d", got, typ, n)
		}
	}
	code, page := ada.do("GET", "/admin/replies?line=main", nil)
	if code != http.StatusOK {
		t.Fatalf("the admin page: %d", code)
	}
	for _, x := range []string{"<strong>/numbers</strong>", "<strong>/plan</strong> Safety plan <span class=\"meta\">(default, edited)</span>"} {
		if !strings.Contains(string(page), x) {
			t.Errorf("the admin page does not show %q", x)
		}
	}
	if strings.Contains(string(page), "<strong>/safety</strong>") {
		t.Error("the admin page shows a removed reply")
	}
}
