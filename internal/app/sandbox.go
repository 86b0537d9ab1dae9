package app

import (
	"net"
	"net/http"

	"github.com/helpline-org/helpline/internal/httpserver"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/ingestion"
)

// sandboxAPIPrefix is where the sandbox's Twilio-compatible REST API is
// served; the SMS sender is pointed at it instead of api.twilio.com.
const sandboxAPIPrefix = "/sandbox-api"

// mountSandbox serves the local SMS sandbox when no Twilio credentials are
// set: a page where a person texts the line as a client and sees every SMS
// the line sends, and a Twilio-compatible API (basic auth with per-run
// random credentials) for the line's own sends, whose webhooks are signed
// with token. It returns the sender configuration that reaches it.
func (pr *Process) mountSandbox(token string) sms.Config {
	env, r := pr.cfg.Env, pr.srv.Router
	fake := twiliofake.New(twiliofake.Config{AuthToken: token, DeliverStatus: true}, pr.log)
	pr.onClose(func() { fake.Close() })
	pr.Sandbox = fake
	var lines []twiliofake.SandboxLine
	for _, l := range pr.cfg.File.Lines {
		lines = append(lines, twiliofake.SandboxLine{Name: l.Name, Number: l.Number, WhatsApp: l.WhatsAppFrom})
	}
	r.Handle("/sandbox", http.RedirectHandler("/sandbox/", http.StatusMovedPermanently))
	r.Handle("/sandbox/*", http.StripPrefix("/sandbox", fake.SandboxHandler(env.PublicURL+ingestion.SMSPath, lines)))
	r.Handle(sandboxAPIPrefix+"/*", http.StripPrefix(sandboxAPIPrefix, fake))
	pr.log.Warn().Str("url", env.PublicURL+"/sandbox/").Msg("no Twilio credentials: SMS goes to the local sandbox, nothing leaves this machine")
	addr := env.HTTPAddr
	if pr.cfg.Listener != nil {
		addr = pr.cfg.Listener.Addr().String()
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			// The sandbox has no sign-in: anyone who reaches it reads every
			// SMS the line sends (pages included) and can text as a client.
			pr.log.Warn().Str("addr", addr).Msg("the SMS sandbox is unauthenticated and listens beyond loopback: keep it off untrusted networks, or set Twilio credentials")
		}
	}
	return sms.Config{AccountSID: fake.AccountSID(), AuthToken: token, APIURL: httpserver.LoopbackURL(addr) + sandboxAPIPrefix}
}
