package main

import (
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/services/ingestion"
)

// sandboxAPIPrefix is where the sandbox's Twilio-compatible REST API is
// served; the SMS sender is pointed at it instead of api.twilio.com.
const sandboxAPIPrefix = "/sandbox-api"

// mountSandbox serves the local SMS sandbox when no Twilio credentials are
// set: a page where a person texts the line as a client and sees every SMS
// the line sends, and a Twilio-compatible API (basic auth with per-run
// random credentials) for the line's own sends. It returns the fake and
// the sender configuration that reaches it.
func mountSandbox(r chi.Router, env config.Env, file *config.File, token string, p *platform) (*twiliofake.Fake, sandboxSMS) {
	fake := twiliofake.New(twiliofake.Config{AuthToken: token, DeliverStatus: true}, p.log)
	var lines []twiliofake.SandboxLine
	for _, l := range file.Lines {
		lines = append(lines, twiliofake.SandboxLine{Name: l.Name, Number: l.Number})
	}
	r.Handle("/sandbox", http.RedirectHandler("/sandbox/", http.StatusMovedPermanently))
	r.Handle("/sandbox/*", http.StripPrefix("/sandbox", fake.SandboxHandler(env.PublicURL+ingestion.SMSPath, lines)))
	r.Handle(sandboxAPIPrefix+"/*", http.StripPrefix(sandboxAPIPrefix, fake))
	p.log.Warn().Str("url", env.PublicURL+"/sandbox/").Msg("no Twilio credentials: SMS goes to the local sandbox, nothing leaves this machine")
	if host, _, err := net.SplitHostPort(env.HTTPAddr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			// The sandbox has no sign-in: anyone who reaches it reads every
			// SMS the line sends (pages included) and can text as a client.
			p.log.Warn().Str("addr", env.HTTPAddr).Msg("the SMS sandbox is unauthenticated and listens beyond loopback: keep it off untrusted networks, or set Twilio credentials")
		}
	}
	return fake, sandboxSMS{AccountSID: fake.AccountSID(), AuthToken: token, APIURL: loopbackURL(env.HTTPAddr) + sandboxAPIPrefix}
}

// loopbackURL is how this process reaches its own listener: the sandbox's
// API is called over loopback, never through a public URL.
func loopbackURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// sandboxSMS is how the line's sender reaches the sandbox.
type sandboxSMS struct{ AccountSID, AuthToken, APIURL string }
