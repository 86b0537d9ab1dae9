package console

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// The account page: a staff member's notification rules and the form to
// change them (their own; an admin anyone's, with ?staff=).

func (p *pages) account(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	n, err := p.app.Queries.Notify.Handle(r.Context(), app.NotifyRules{Actor: v.Actor(), StaffID: r.URL.Query().Get("staff")})
	if err != nil {
		return err
	}
	rows := make([]views.NotifyRow, 0, n.MaxRules)
	for _, rule := range n.Rules {
		rows = append(rows, views.NotifyRow{Channel: rule.Channel, Minutes: strconv.FormatFloat(float64(rule.AfterSeconds)/60, 'f', -1, 64)})
	}
	for len(rows) < n.MaxRules {
		rows = append(rows, views.NotifyRow{})
	}
	title := "Your account"
	if n.StaffID != v.ID {
		title = "Account: " + n.Name
	}
	p.render.page(w, http.StatusOK, "account", v, &views.AccountPage{Chrome: views.Chrome{Title: title}, Notify: n, Rows: rows,
		Done: r.URL.Query().Get("done"), Self: n.StaffID == v.ID})
	return nil
}

func (p *pages) notifySubmit(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	rules, err := notifyForm(r)
	if err != nil {
		return err
	}
	staffID := chi.URLParam(r, "staff")
	if err := p.app.Commands.SetNotify.Handle(r.Context(), app.SetNotifyRules{Actor: v.Actor(), StaffID: staffID, Rules: rules}); err != nil {
		return err
	}
	to := "/account?done=rules"
	if staffID != v.ID {
		to = "/account?staff=" + url.QueryEscape(staffID) + "&done=rules"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// maxNotifyRows bounds the rows a rules form is read for.
const maxNotifyRows = 10

// notifyForm reads the rules form: rows of a channel ("" for none: the
// row is skipped) and a delay in minutes ("2", "0.5"; empty is 0).
func notifyForm(r *http.Request) ([]views.NotifyRule, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	channels, afters := r.PostForm["channel"], r.PostForm["after"]
	if len(channels) > maxNotifyRows || len(afters) != len(channels) {
		return nil, badRequest("the form's rows do not match: reload the page and try again")
	}
	var out []views.NotifyRule
	for i, ch := range channels {
		if ch == "" {
			continue
		}
		minutes, after := 0.0, strings.TrimSpace(afters[i])
		if after != "" {
			m, err := strconv.ParseFloat(after, 64)
			if err != nil || math.IsNaN(m) || math.IsInf(m, 0) || math.Abs(m) > 24*60 {
				return nil, badRequest("row " + strconv.Itoa(i+1) + ": the delay is in minutes, like 2 or 0.5")
			}
			minutes = m
		}
		out = append(out, views.NotifyRule{Channel: ch, AfterSeconds: int(math.Round(minutes * 60))})
	}
	return out, nil
}

// The JSON twin.

func (a *api) notifyRules(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	n, err := a.app.Queries.Notify.Handle(r.Context(), app.NotifyRules{Actor: v.Actor(), StaffID: chi.URLParam(r, "staff")})
	return respond(w, http.StatusOK, n, err)
}

func (a *api) notifySet(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	var in struct {
		Rules []views.NotifyRule `json:"rules"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	staffID := chi.URLParam(r, "staff")
	if err := a.app.Commands.SetNotify.Handle(r.Context(), app.SetNotifyRules{Actor: v.Actor(), StaffID: staffID, Rules: in.Rules}); err != nil {
		return err
	}
	return a.notifyRules(w, r, v)
}
