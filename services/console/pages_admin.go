package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/projections/accounts"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// The managers' and admins' pages.

func (p *pages) dashboard(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	rep, days, err := p.app.Queries.Figures.Handle(r.Context(), figuresQuery(r))
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "dashboard", v, views.NewDashboardPage(rep, rep.LineID, days, p.lines))
	return nil
}

// figuresQuery is the dashboard's query string.
func figuresQuery(r *http.Request) app.Figures {
	return app.Figures{Line: r.URL.Query().Get("line"), Days: r.URL.Query().Get("days")}
}

// dashboardCSV exports the daily figures of the dashboard.
func (p *pages) dashboardCSV(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	out, _, err := p.app.Queries.Figures.Handle(r.Context(), figuresQuery(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="helpline-%s-%s-%s.csv"`, out.LineID, out.From, out.To))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"day", "line", "received", "out_of_hours", "out_of_hours_share", "breaches",
		"first_reply_count", "first_reply_p50_s", "first_reply_p90_s", "first_reply_p99_s", "ack_count", "ack_p50_s", "ack_p90_s", "ack_p99_s", "exhausted"})
	num := func(v *float64) string {
		if v == nil {
			return ">604800"
		}
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	for _, d := range out.Days {
		_ = cw.Write([]string{d.Day, out.LineID, strconv.FormatInt(d.Received, 10), strconv.FormatInt(d.OutOfHours, 10),
			strconv.FormatFloat(d.OutOfHoursShare, 'f', 3, 64), strconv.FormatInt(d.Breaches, 10),
			strconv.FormatInt(d.FirstReply.Count, 10), num(d.FirstReply.P50), num(d.FirstReply.P90), num(d.FirstReply.P99),
			strconv.FormatInt(d.Ack.Count, 10), num(d.Ack.P50), num(d.Ack.P90), num(d.Ack.P99), strconv.FormatInt(d.Exhausted, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// conversationsCSV exports one row per conversation of the line opened
// in the period: a row number, never an id, pseudonym, number or text.
func (p *pages) conversationsCSV(w http.ResponseWriter, r *http.Request, _ *auth.Viewer) error {
	out, err := p.app.Queries.Figures.Export(r.Context(), figuresQuery(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="helpline-%s-conversations-%s-%s.csv"`, out.LineID, out.From, out.To))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "line", "opened_hour", "first_reply_wait_s", "messages_in", "messages_out", "closed", "outcome", "categories",
		"escalated", "exhausted", "survey"})
	for _, c := range out.Rows {
		wait := ""
		if c.FirstReplySeconds != nil {
			wait = strconv.FormatFloat(*c.FirstReplySeconds, 'f', 0, 64)
		}
		_ = cw.Write([]string{strconv.Itoa(c.Row), c.LineID, c.Opened, wait, strconv.FormatInt(c.MessagesIn, 10), strconv.FormatInt(c.MessagesOut, 10),
			strconv.FormatBool(c.Closed), c.Outcome, strings.Join(c.Categories, ";"), strconv.FormatBool(c.Escalated), strconv.FormatBool(c.Exhausted),
			strings.Join(c.Survey, ";")})
	}
	cw.Flush()
	return cw.Error()
}

func (p *pages) users(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	l, err := p.app.Queries.Staff.Handle(r.Context())
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "users", v, &views.UsersPage{Chrome: views.Chrome{Title: "Staff accounts"}, Users: l.Users,
		Roles: accounts.Roles(), Done: r.URL.Query().Get("done")})
	return nil
}

func (p *pages) userCreate(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cmd := app.AddStaff{Actor: v.Actor(), ID: r.PostFormValue("id"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Password: r.PostFormValue("password")}
	err := p.app.Commands.AddStaff.Handle(r.Context(), cmd)
	return seeOther(w, r, "/admin/users?done=created", err)
}

func (p *pages) userRole(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cmd := app.ChangeRole{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff"), Role: r.PostFormValue("role"), Grant: r.PostFormValue("action") != "revoke"}
	err := p.app.Commands.ChangeRole.Handle(r.Context(), cmd)
	return seeOther(w, r, "/admin/users?done=role", err)
}

func (p *pages) userDisable(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cmd := app.DisableStaff{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff"), Reason: r.PostFormValue("reason")}
	err := p.app.Commands.DisableStaff.Handle(r.Context(), cmd)
	return seeOther(w, r, "/admin/users?done=disabled", err)
}

func (p *pages) audit(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	l, err := p.app.Queries.Audit.Handle(r.Context(), app.Audit{Cursor: cursor, Limit: limit})
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "audit", v, &views.AuditPage{Chrome: views.Chrome{Title: "Audit trail"}, Audit: l})
	return nil
}

func (p *pages) config(w http.ResponseWriter, _ *http.Request, v *auth.Viewer) error {
	p.render.page(w, http.StatusOK, "config", v, &views.ConfigPage{Chrome: views.Chrome{Title: "Configuration"}, Config: p.app.Queries.Config.Handle()})
	return nil
}
