package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// TestEveryPageRendersItsModel executes each template with its typed view
// model, filled in, as a duty worker: a field a template names that the
// model lacks fails here, not in front of staff.
func TestEveryPageRendersItsModel(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	p50 := 90.0
	conv := views.Conversation{ID: "c1", LineID: "main", Pseudonym: "C-7Q2K", Channel: "sms", AssigneeID: "wes", AssigneeName: "Wes Worker",
		Open: true, StartedAt: at, LastActivityAt: at, Unread: 2, Risk: "crisis", Flags: []string{"crisis", "out_of_hours"},
		Messages: []views.Message{{ID: "m1", Direction: "in", At: at, Text: "words", Terms: []string{"pills"}}, {ID: "m2", Direction: "out", At: at, SenderName: "Wes", Status: "sent"}}}
	esc := views.Escalation{ID: "e1", ConversationID: "c1", LineID: "main", Pseudonym: "C-7Q2K", Reason: "crisis", Risk: "crisis", RaisedAt: at,
		Pages: []views.PageSent{{StaffID: "dana", StaffName: "Dana Duty", LevelName: "duty", Round: 1, At: at}}, Open: true}
	rep := views.Report{LineID: "main", From: "2026-12-06", To: "2026-12-08",
		Days: []views.Day{{Day: "2026-12-06", Figures: views.Figures{Received: 3, FirstReply: views.Quantiles{Count: 1, P50: &p50}}}, {Day: "2026-12-07"}}}
	replies := []views.SavedReply{{ID: "en-safety", Language: "en", Shortcut: "safety", Title: "Safety plan", Text: "A plan?", Default: true, Edited: true},
		{ID: "r2", Language: "fr", Shortcut: "respirer", Title: "Respirer", Text: "Respirons."}}
	models := map[string]views.Page{
		"login":        &views.LoginPage{Chrome: views.Chrome{Title: "Sign in"}, Error: "wrong"},
		"error":        &views.ErrorPage{Chrome: views.Chrome{Title: "Not Found"}, Message: "Not found."},
		"inbox":        &views.InboxPage{Chrome: views.Chrome{Title: "Inbox", Live: "inbox"}, Inbox: views.InboxList{Conversations: []views.Conversation{conv}, Next: "x"}},
		"queue":        &views.QueuePage{Chrome: views.Chrome{Title: "Duty queue", Live: "queue"}, Queue: views.QueueList{Escalations: []views.Escalation{esc}, Next: "x"}},
		"escalation":   &views.EscalationPage{Chrome: views.Chrome{Title: "Escalation"}, Escalation: esc, Error: "Already acknowledged"},
		"conversation": &views.ConversationPage{Chrome: views.Chrome{Title: "Conversation"}, Conversation: conv, ReplyID: "r1", Sent: true, SavedReplies: replies},
		"breakglass":   &views.BreakGlassPage{Chrome: views.Chrome{Title: "Break-glass reading"}, ConversationID: "c1"},
		"dashboard":    views.NewDashboardPage(rep, "main", 2, []string{"main"}),
		"users":        &views.UsersPage{Chrome: views.Chrome{Title: "Staff accounts"}, Users: []views.User{{ID: "wes", Name: "Wes Worker", Roles: []string{"worker"}}}, Roles: []string{"worker"}, Done: "created"},
		"audit":        &views.AuditPage{Chrome: views.Chrome{Title: "Audit trail"}, Audit: views.AuditList{Records: []views.AuditRecord{{Seq: 1, At: at, StaffID: "wes", StaffName: "Wes Worker"}}}},
		"rota": &views.RotaPage{Chrome: views.Chrome{Title: "Rota", Warnings: []string{"Nobody is on call at level backup."}}, Done: "override",
			Rota: views.Rota{LineID: "main", Lines: []string{"main", "night"}, Timezone: "Europe/London", Now: []views.OnCallNow{{Level: "duty", Names: []string{"Dana Duty"}}, {Level: "backup"}},
				Days:    []views.RotaDay{{Date: "2026-12-07", Label: "Mon 7 Dec", Levels: []views.RotaLevel{{Level: "duty", Slots: []views.RotaSlot{{From: "00:00", To: "24:00", Names: []string{"Dana Duty"}}, {From: "08:00", To: "09:00", Gap: true}}}}}},
				Changes: []views.RotaChange{{ID: "ch1", Kind: "override", Summary: "Bo covers duty", By: "Bo", CanCancel: true}},
				Gaps:    []string{"Nobody is on call at level backup."}, Staff: []views.StaffName{{ID: "dana", Name: "Dana Duty"}}, Levels: []string{"duty", "backup"}, Self: "dana"}},
		"account": &views.AccountPage{Chrome: views.Chrome{Title: "Your account"}, Done: "rules", Self: true,
			Notify: views.NotifyRules{StaffID: "dana", Name: "Dana Duty", Source: views.NotifyFromConsole, HasWorkPhone: true, WithinSeconds: 300, MaxRules: 5,
				Rules:   []views.NotifyRule{{Channel: "sms"}, {Channel: "call", AfterSeconds: 90}},
				Changes: []views.NotifyChange{{At: at, ByID: "dana", ByName: "Dana Duty", Rules: []views.NotifyRule{{Channel: "sms"}}}}},
			Rows: []views.NotifyRow{{Channel: "sms", Minutes: "0"}, {Channel: "call", Minutes: "1.5"}, {}}},
		"replies": &views.SavedRepliesPage{Chrome: views.Chrome{Title: "Saved replies"}, Lines: []string{"main", "night"}, FormID: "f1", Done: "added",
			SavedReplies: views.SavedReplies{LineID: "main", LineName: "Main", Replies: replies}},
		"config": &views.ConfigPage{Chrome: views.Chrome{Title: "Configuration"}, Config: views.Config{Lines: []views.Line{{ID: "main"}}, Staff: []views.StaffMember{{ID: "wes"}}, Rota: []views.Shift{{Line: "main"}}}},
	}
	for name := range templates {
		if models[name] == nil {
			t.Errorf("no model for page %s", name)
		}
	}
	for name, m := range models {
		rec := render(at.Add(12*time.Minute), accounts.Account{ID: "dana", Name: "Dana Duty", Roles: []string{"duty"}}, name, m)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Dana Duty") {
			t.Errorf("page %s: %d\n%s", name, rec.Code, rec.Body.String())
		}
	}
}

// TestDashboardSaysWhatIsNotThere: with nothing answered and nothing
// acknowledged, the first-reply and acknowledgement cards say so, never
// "0s" (which reads as instant answers); escalations exhausted without
// acknowledgement have their own card.
func TestDashboardSaysWhatIsNotThere(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	zero := 0.0
	nothing := views.Figures{Received: 2, OutOfHours: 1, OutOfHoursShare: 0.5, Breaches: 2, Exhausted: 1,
		FirstReply: views.Quantiles{P50: &zero, P90: &zero, P99: &zero}, Ack: views.Quantiles{P50: &zero, P90: &zero, P99: &zero}}
	rep := views.Report{LineID: "main", From: "2026-12-07", To: "2026-12-08", Totals: nothing,
		Days: []views.Day{{Day: "2026-12-07", Figures: nothing}}}
	mo := accounts.Account{ID: "mo", Name: "Mo Manager", Roles: []string{"manager"}}
	body := render(at, mo, "dashboard", views.NewDashboardPage(rep, "main", 1, []string{"main"})).Body.String()
	tiles := body[strings.Index(body, `class="tiles"`):]
	tiles = tiles[:strings.Index(tiles, "</dl>")]
	for _, want := range []string{"<dt>First reply p50 / p90</dt><dd>no replies yet</dd>", "<dt>Acknowledgement p50 / p90</dt><dd>no acknowledgements yet</dd>",
		"<dt>Next reply p50 / p90</dt><dd>no next replies yet</dd>",
		"<dt>Target breaches</dt><dd>2</dd>", `<dt>Escalations nobody acknowledged</dt><dd id="exhausted">1</dd>`} {
		if !strings.Contains(tiles, want) {
			t.Errorf("cards lack %q:\n%s", want, tiles)
		}
	}
	// The first-reply chart's bars of a day without replies say so too.
	if strings.Contains(body, ": 0s<") || !strings.Contains(body, "07, p50: no replies yet<") {
		t.Errorf("a day without replies is drawn as 0s:\n%s", body)
	}
}

// render renders page with model as the viewer a (signed in with a's
// first role) sees it, on a one-line configuration at now.
func render(now time.Time, a accounts.Account, page string, model views.Page) *httptest.ResponseRecorder {
	rd := newRenderer(&config.File{Lines: []config.Line{{ID: "main", Timezone: "Europe/London"}}}, func() time.Time { return now }, zerolog.Nop())
	v := &auth.Viewer{Account: a, Session: auth.Session{Role: a.Roles[0], CSRF: "tok"}}
	rec := httptest.NewRecorder()
	rd.page(rec, http.StatusOK, page, v, model)
	return rec
}
