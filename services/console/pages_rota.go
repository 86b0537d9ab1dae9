package console

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// The rota page: who is on call, and the forms to change it.

func (p *pages) rota(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	rt, err := p.app.Queries.Rota.Handle(r.Context(), app.Rota{Actor: v.Actor(), Line: r.URL.Query().Get("line")})
	if err != nil {
		return err
	}
	p.render.page(w, http.StatusOK, "rota", v, &views.RotaPage{Chrome: views.Chrome{Title: "Rota: " + rt.LineName}, Rota: rt,
		Done: r.URL.Query().Get("done")})
	return nil
}

func (p *pages) rotaChange(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	line, kind := chi.URLParam(r, "line"), r.PostFormValue("kind")
	cmd := app.ChangeRota{Actor: v.Actor(), Line: line, ID: r.PostFormValue("id"), Kind: kind, Level: r.PostFormValue("level"),
		StaffID: r.PostFormValue("staff"), Replaces: r.PostFormValue("replaces"), WithStaffID: r.PostFormValue("with"),
		Start: r.PostFormValue("start"), End: r.PostFormValue("end"), ReturnStart: r.PostFormValue("return_start"), ReturnEnd: r.PostFormValue("return_end")}
	err := p.app.Commands.ChangeRota.Handle(r.Context(), cmd)
	return seeOther(w, r, "/rota?line="+url.QueryEscape(line)+"&done="+url.QueryEscape(kind), err)
}

func (p *pages) rotaCancel(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	line := chi.URLParam(r, "line")
	cmd := app.CancelRotaChange{Actor: v.Actor(), Line: line, ChangeID: chi.URLParam(r, "change")}
	err := p.app.Commands.CancelRota.Handle(r.Context(), cmd)
	return seeOther(w, r, "/rota?line="+url.QueryEscape(line)+"&done=cancelled", err)
}
