package app

import (
	"context"
	"net/url"

	"github.com/helpline-org/helpline/services/console"
	"github.com/helpline-org/helpline/services/console/auth"
)

// mountConsole builds the console over the process's projections and adds
// its pages and API.
func (pr *Process) mountConsole(ctx context.Context) error {
	p, cfg := pr.Platform, pr.cfg.Console
	keys, _, err := p.Keys(ctx)
	if err != nil {
		return err
	}
	if u, err := url.Parse(pr.cfg.Env.PublicURL); err == nil && u.Scheme == "https" {
		cfg.SecureCookies = true
	}
	cfg.SetDefaults()
	sessions, err := auth.OpenSessions(ctx, p.JS, p.Env.Replicas, cfg.IdleTimeout, cfg.Lifetime, pr.cfg.Now)
	if err != nil {
		return err
	}
	d := console.Deps{Log: p.Store, Keys: keys, Inbox: pr.Views.Inbox, Queue: pr.Views.Queue, Figures: pr.Views.Times, Projected: pr.Views, Accounts: pr.Views.Accounts, Sessions: sessions,
		File: pr.cfg.File, Now: pr.cfg.Now, Logger: pr.log}
	svc, err := console.New(ctx, cfg, d)
	if err != nil {
		return err
	}
	svc.Mount(pr.srv.Router)
	context.AfterFunc(ctx, svc.Close) // shutdown ends the live streams
	if all, err := svc.Accounts().List(ctx); err == nil && len(all) == 0 {
		pr.log.Warn().Str("svc", "console").Msg("no staff accounts yet: create the first admin with 'helpline users add --id ID --name NAME --role admin' (password on stdin)")
	}
	pr.Console = svc
	return nil
}
