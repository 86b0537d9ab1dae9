package console_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// matrixRoute is one route of the role-by-route matrix: who may use it
// and what they get. The table is written out here, independently of the
// service's own route table, which the test checks it covers.
type matrixRoute struct {
	method, pattern, path string
	body                  any
	allowed               []string // roles; nil: public
	ok                    int      // status for an allowed role
	except                map[string]int
	page                  bool // an HTML route (no session: 303 for GET, 401 otherwise)
}

var (
	rAny     = []string{"worker", "duty", "manager", "admin"}
	rContent = []string{"worker", "duty"}
	rDuty    = []string{"duty"}
	rFigures = []string{"manager", "admin"}
	rAdmin   = []string{"admin"}
	rRota    = []string{"duty", "manager", "admin"}
	rRotaW   = []string{"duty", "admin"}
	rReplies = []string{"worker", "duty", "admin"}
)

func (s *seeded) matrix() []matrixRoute {
	a, esc := s.convA, s.escA
	// nia (a worker of another team) may not read A; bo (duty) may.
	notNia := map[string]int{"nia": http.StatusForbidden}
	// Only dana (duty) was paged for A: other roles may open an
	// escalation only when paged for it.
	notPaged := map[string]int{"wes": http.StatusForbidden, "nia": http.StatusForbidden, "mia": http.StatusForbidden, "ada": http.StatusForbidden}
	reason := map[string]string{"reason": "safeguarding review ordered by the police"}
	// Dana's notification rules: hers to change, and the admin's.
	danaOrAdmin := map[string]int{"dana": http.StatusSeeOther, "ada": http.StatusSeeOther}
	danaOrAdminAPI := map[string]int{"dana": http.StatusOK, "ada": http.StatusOK}
	smsAtOnce := map[string]any{"rules": []map[string]any{{"channel": "sms", "after_seconds": 0}}}
	return []matrixRoute{
		{"GET", "/login", "/login", nil, nil, http.StatusOK, nil, true},
		{"POST", "/login", "/login", "form:id=nobody&password=x", nil, http.StatusUnauthorized, nil, true},
		{"GET", "/", "/", nil, rAny, http.StatusSeeOther, nil, true},
		{"GET", "/inbox", "/inbox", nil, rContent, http.StatusOK, nil, true},
		{"GET", "/queue", "/queue", nil, rDuty, http.StatusOK, nil, true},
		{"GET", "/queue/{escalation}", "/queue/" + esc, nil, rAny, http.StatusOK, notPaged, true},
		{"POST", "/queue/{escalation}/ack", "/queue/" + esc + "/ack", "form:", rAny, http.StatusConflict, notPaged, true},
		{"GET", "/conversations/{conversation}", "/conversations/" + a, nil, rContent, http.StatusOK, notNia, true},
		{"POST", "/conversations/{conversation}/reply", "/conversations/" + a + "/reply", "form:body=We are here with you.", rContent, http.StatusSeeOther, notNia, true},
		// Each escalates A by hand after a reply (which acknowledged the
		// last one): the refusal while one is open is TestWorkerEscalatesByHandAndMarksVerdict's.
		{"POST", "/conversations/{conversation}/escalate", "/conversations/" + a + "/escalate", "form:reason=risk_to_life&request_id=nobody", rContent, http.StatusSeeOther, notNia, true},
		{"POST", "/conversations/{conversation}/flags", "/conversations/" + a + "/flags", "form:kind=abusive&reason=shouting&until=not-a-date&flag_id=nobody", rContent, http.StatusBadRequest, notNia, true},
		{"POST", "/conversations/{conversation}/messages/{message}/feedback", "/conversations/" + a + "/messages/" + s.msgA + "/feedback", "form:feedback=false_alarm", rContent, http.StatusSeeOther, notNia, true},
		{"POST", "/conversations/{conversation}/assign", "/conversations/" + a + "/assign", "form:assignee_id=nobody", rDuty, http.StatusBadRequest, nil, true},
		{"POST", "/conversations/{conversation}/close", "/conversations/" + a + "/close", "form:outcome=vanished&seen_seq=1", rContent, http.StatusBadRequest, notNia, true},
		{"POST", "/conversations/{conversation}/handover", "/conversations/" + a + "/handover", "form:assignee_id=nobody&note=over to you", rContent, http.StatusBadRequest, notNia, true},
		{"GET", "/conversations/{conversation}/break-glass", "/conversations/" + a + "/break-glass", nil, rAdmin, http.StatusOK, nil, true},
		{"POST", "/conversations/{conversation}/break-glass", "/conversations/" + a + "/break-glass", "form:reason=safeguarding review ordered by the police", rAdmin, http.StatusOK, nil, true},
		{"GET", "/dashboard", "/dashboard", nil, rFigures, http.StatusOK, nil, true},
		{"GET", "/dashboard.csv", "/dashboard.csv", nil, rFigures, http.StatusOK, nil, true},
		{"GET", "/dashboard/conversations.csv", "/dashboard/conversations.csv", nil, rFigures, http.StatusOK, nil, true},
		{"GET", "/admin/users", "/admin/users", nil, rAdmin, http.StatusOK, nil, true},
		{"POST", "/admin/users", "/admin/users", "form:id=x&name=&role=worker&password=short", rAdmin, http.StatusBadRequest, nil, true},
		{"POST", "/admin/users/{staff}/roles", "/admin/users/ghost/roles", "form:role=duty&action=grant", rAdmin, http.StatusNotFound, nil, true},
		{"POST", "/admin/users/{staff}/disable", "/admin/users/ghost/disable", "form:", rAdmin, http.StatusNotFound, nil, true},
		{"GET", "/admin/audit", "/admin/audit", nil, rAdmin, http.StatusOK, nil, true},
		{"GET", "/admin/config", "/admin/config", nil, rAdmin, http.StatusOK, nil, true},
		{"GET", "/admin/replies", "/admin/replies", nil, rAdmin, http.StatusOK, nil, true},
		{"POST", "/admin/replies/{line}", "/admin/replies/main", "form:language=en&shortcut=Not one&title=T&text=Call 999.", rAdmin, http.StatusBadRequest, nil, true},
		{"POST", "/admin/replies/{line}/{reply}", "/admin/replies/main/ghost", "form:language=en&shortcut=ghost&title=T&text=Call 999.", rAdmin, http.StatusNotFound, nil, true},
		{"POST", "/admin/replies/{line}/{reply}/remove", "/admin/replies/main/ghost/remove", "form:", rAdmin, http.StatusNotFound, nil, true},
		{"GET", "/rota", "/rota", nil, rRota, http.StatusOK, nil, true},
		{"POST", "/rota/{line}/changes", "/rota/main/changes", "form:kind=override&level=duty&staff=nobody", rRotaW, http.StatusBadRequest, nil, true},
		{"POST", "/rota/{line}/changes/{change}/cancel", "/rota/main/changes/ghost/cancel", "form:", rRotaW, http.StatusNotFound, nil, true},
		{"GET", "/account", "/account", nil, rAny, http.StatusOK, nil, true},
		{"POST", "/account/{staff}/notify", "/account/dana/notify", "form:channel=sms&after=0", rAny, http.StatusForbidden, danaOrAdmin, true},

		{"POST", "/api/session", "/api/session", map[string]string{"staff_id": "nobody", "password": "x"}, nil, http.StatusUnauthorized, nil, false},
		{"GET", "/api/session", "/api/session", nil, rAny, http.StatusOK, nil, false},
		{"GET", "/api/live", "/api/live?view=inbox", nil, rContent, http.StatusOK, nil, false},
		{"GET", "/api/inbox", "/api/inbox", nil, rContent, http.StatusOK, nil, false},
		{"GET", "/api/queue", "/api/queue", nil, rDuty, http.StatusOK, nil, false},
		{"GET", "/api/escalations/{escalation}", "/api/escalations/" + esc, nil, rAny, http.StatusOK, notPaged, false},
		{"POST", "/api/escalations/{escalation}/ack", "/api/escalations/" + esc + "/ack", nil, rAny, http.StatusConflict, notPaged, false},
		{"GET", "/api/conversations/{conversation}", "/api/conversations/" + a, nil, rContent, http.StatusOK, notNia, false},
		{"POST", "/api/conversations/{conversation}/replies", "/api/conversations/" + a + "/replies", map[string]string{"body": "Are you safe right now?"}, rContent, http.StatusAccepted, notNia, false},
		{"POST", "/api/conversations/{conversation}/assign", "/api/conversations/" + a + "/assign", map[string]string{"assignee_id": "nobody"}, rDuty, http.StatusBadRequest, nil, false},
		{"POST", "/api/conversations/{conversation}/flags", "/api/conversations/" + a + "/flags", map[string]string{"id": "nobody", "kind": "abusive", "reason": "shouting", "until": "not-a-date"}, rContent, http.StatusBadRequest, notNia, false},
		{"POST", "/api/conversations/{conversation}/close", "/api/conversations/" + a + "/close", map[string]any{"outcome": "vanished", "seen_seq": 1}, rContent, http.StatusBadRequest, notNia, false},
		{"POST", "/api/conversations/{conversation}/handover", "/api/conversations/" + a + "/handover", map[string]string{"assignee_id": "nobody", "note": "over to you"}, rContent, http.StatusBadRequest, notNia, false},
		{"POST", "/api/conversations/{conversation}/break-glass", "/api/conversations/" + a + "/break-glass", reason, rAdmin, http.StatusOK, nil, false},
		{"GET", "/api/figures", "/api/figures", nil, rFigures, http.StatusOK, nil, false},
		{"GET", "/api/figures.csv", "/api/figures.csv", nil, rFigures, http.StatusOK, nil, false},
		{"GET", "/api/figures/conversations.csv", "/api/figures/conversations.csv", nil, rFigures, http.StatusOK, nil, false},
		{"GET", "/api/users", "/api/users", nil, rAdmin, http.StatusOK, nil, false},
		{"POST", "/api/users", "/api/users", map[string]string{"id": "x", "name": "", "role": "worker", "password": "short"}, rAdmin, http.StatusBadRequest, nil, false},
		{"POST", "/api/users/{staff}/roles", "/api/users/ghost/roles", map[string]any{"role": "duty", "grant": true}, rAdmin, http.StatusNotFound, nil, false},
		{"POST", "/api/users/{staff}/disable", "/api/users/ghost/disable", map[string]string{"reason": "test"}, rAdmin, http.StatusNotFound, nil, false},
		{"GET", "/api/audit", "/api/audit", nil, rAdmin, http.StatusOK, nil, false},
		{"GET", "/api/config", "/api/config", nil, rAdmin, http.StatusOK, nil, false},
		{"GET", "/api/lines/{line}/replies", "/api/lines/main/replies", nil, rReplies, http.StatusOK, nil, false},
		{"POST", "/api/lines/{line}/replies", "/api/lines/main/replies", map[string]string{"language": "en", "shortcut": "Not one", "title": "T", "text": "Call 999."}, rAdmin, http.StatusBadRequest, nil, false},
		{"PUT", "/api/lines/{line}/replies/{reply}", "/api/lines/main/replies/ghost", map[string]string{"language": "en", "shortcut": "ghost", "title": "T", "text": "Call 999."}, rAdmin, http.StatusNotFound, nil, false},
		{"DELETE", "/api/lines/{line}/replies/{reply}", "/api/lines/main/replies/ghost", nil, rAdmin, http.StatusNotFound, nil, false},
		{"GET", "/api/staff/{staff}/notify", "/api/staff/dana/notify", nil, rAny, http.StatusForbidden, danaOrAdminAPI, false},
		{"PUT", "/api/staff/{staff}/notify", "/api/staff/dana/notify", smsAtOnce, rAny, http.StatusForbidden, danaOrAdminAPI, false},
		// Signing out comes last: it ends the session the rows above use.
		{"POST", "/logout", "/logout", "form:", rAny, http.StatusSeeOther, nil, true},
		{"DELETE", "/api/session", "/api/session", nil, rAny, http.StatusNoContent, nil, false},
	}
}

// phoneShaped matches anything like an E.164 number.
var phoneShaped = regexp.MustCompile(`\+\d{8,15}`)

// numbers are the clients' and the duty workers' numbers, with and without
// the plus.
var numbers = []string{clientA, clientB, dutyPhone, dutyPhone2, adminPhone, clientA[1:], clientB[1:], dutyPhone[1:], dutyPhone2[1:], adminPhone[1:], lineNumber, lineNumber[1:]}

// TestRoleByRouteMatrix sends every console route as every role and with
// no session, and checks the status; and that no answer to a manager
// holds content or a pseudonym, and no answer to anyone a phone number.
func TestRoleByRouteMatrix(t *testing.T) {
	t.Parallel()
	s := seed(t)
	rows := s.matrix()
	var covered []string
	for _, r := range rows {
		covered = append(covered, r.method+" "+r.pattern)
	}
	for _, rt := range s.svc.Routes() {
		if !slices.Contains(covered, rt) {
			t.Errorf("route %s is not in the matrix", rt)
		}
	}
	secrets := []string{wordsA, wordsB, "We are here with you", "Are you safe right now"}
	pseudonyms := []string{s.pseudoA, s.pseudoB}
	who := []string{"", "wes", "nia", "dana", "bo", "mia", "ada"}
	for _, id := range who {
		role := accounts[id]
		c := s.anonymous(t)
		if id != "" {
			c = s.signIn(t, id)
		}
		for _, r := range rows {
			want := r.ok
			switch {
			case r.allowed == nil:
			case id == "" && r.page && r.method == "GET":
				want = http.StatusSeeOther
			case id == "":
				want = http.StatusUnauthorized
			case !slices.Contains(r.allowed, role):
				want = http.StatusForbidden
			case r.except[id] != 0:
				want = r.except[id]
			}
			if r.method == "DELETE" && id != "" {
				c = s.signIn(t, id) // POST /logout ended the last one
			}
			if id != "" && r.pattern == "/login" {
				want = map[string]int{"GET": http.StatusSeeOther, "POST": http.StatusUnauthorized}[r.method]
			}
			body := r.body
			if b, ok := body.(string); ok {
				body = strings.ReplaceAll(b, "nobody", "nobody"+id)
			}
			if m, ok := body.(map[string]string); ok && m["staff_id"] == "nobody" {
				body = map[string]string{"staff_id": "nobody" + id, "password": "x"}
			}
			code, resp := c.send(r.method, r.path, body)
			body = nil
			if code != want {
				t.Errorf("%s %s as %q (%s): %d, want %d: %.200s", r.method, r.pattern, id, role, code, want, resp)
			}
			text := string(resp)
			if loc := phoneShaped.FindString(text); loc != "" {
				t.Errorf("%s %s as %q: a phone-shaped string in the answer: %q", r.method, r.pattern, id, loc)
			}
			for _, n := range numbers {
				if strings.Contains(text, n) {
					t.Errorf("%s %s as %q: the answer holds a phone number", r.method, r.pattern, id)
				}
			}
			if role == "manager" || id == "" {
				for _, x := range append(secrets, pseudonyms...) {
					if strings.Contains(text, x) {
						t.Errorf("%s %s as %q: the answer holds %q", r.method, r.pattern, id, x)
					}
				}
			}
		}
	}
	s.checkAudit(t)
	// The console's log lines carry ids, never names, words or numbers.
	logs := s.logs.String()
	if !strings.Contains(logs, "signed in") {
		t.Fatal("no console log lines captured: the check is broken")
	}
	for _, x := range append(append(secrets, numbers...), "Dana Duty", "Wes Worker", "Ada Admin", "Mia Manager") {
		if strings.Contains(logs, x) {
			t.Errorf("the console's log holds %q", x)
		}
	}
}

// checkAudit: every successful content read of the matrix left its record.
func (s *seeded) checkAudit(t *testing.T) {
	t.Helper()
	type key struct{ conv, role, via string }
	got := map[key]int{}
	var breakGlass int
	for _, r := range s.auditReads(t) {
		got[key{r.ConversationID, r.Role, r.Via}]++
		if r.BreakGlassReason != "" {
			breakGlass++
			if r.Role != "admin" || r.BreakGlassReason != "safeguarding review ordered by the police" {
				t.Errorf("break-glass record: %+v", r)
			}
		}
	}
	// Reads that succeeded: page and API, by wes (worker), dana and bo
	// (duty); break-glass page and API by ada. Dana's and bo's pages also
	// include the escalation's page and the refused acknowledgement's,
	// which show the conversation below the escalation: 3 pages each. Each
	// of those two, and the escalation's API, also opens the escalation's
	// matched terms (the client's words, sealed): one record more each.
	want := map[key]int{
		{s.convA, "worker", "page"}: 1, {s.convA, "worker", "api"}: 1,
		{s.convA, "duty", "page"}: 10, {s.convA, "duty", "api"}: 4,
		{s.convA, "admin", "page"}: 1, {s.convA, "admin", "api"}: 1,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("audit records for %+v: %d, want %d", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("audit has records nobody read: %v", got)
	}
	if breakGlass != 2 {
		t.Errorf("%d break-glass records, want 2", breakGlass)
	}
}
