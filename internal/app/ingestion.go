package app

import (
	"context"
	"net/url"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/services/ingestion"
	"github.com/helpline-org/helpline/services/notification"
)

// mountIngestion adds the Twilio webhooks, checked against token, and the
// web chat. The chat's event streams end when ctx does.
func (pr *Process) mountIngestion(ctx context.Context, token string) error {
	p, env, file, r := pr.Platform, pr.cfg.Env, pr.cfg.File, pr.srv.Router
	rcv, err := p.Receiver(ctx, file, pr.cfg.Now)
	if err != nil {
		return err
	}
	pr.Receiver = rcv
	wh := ingestion.NewWebhooks(ingestion.WebhookConfig{PublicURL: env.PublicURL, AccountSID: env.TwilioAccountSID}, rcv,
		func(u string, f url.Values, sig string) bool { return sms.Valid(token, u, f, sig) }, pr.log)
	r.Post(ingestion.SMSPath, wh.SMS)
	r.Post(ingestion.StatusPath, wh.Status)
	// The conversations the webhook adds to, and the pages each staff
	// member was sent (for their SMS answers): kept in memory from the log
	// by followers of this process's own.
	pr.add(rcv.Specs(), nil)
	// Page calls' key presses and progress: signed like the SMS webhooks.
	voice := notification.NewVoice(notification.VoiceConfig{PublicURL: env.PublicURL, AuthToken: token, AccountSID: env.TwilioAccountSID}, file, p.Store, pr.cfg.Now, pr.log)
	r.Post(sms.GatherPath, voice.Gather)
	r.Post(notification.CallStatusPath, voice.Status)

	keys, pseudo, err := p.Keys(ctx)
	if err != nil {
		return err
	}
	sessions, err := ingestion.NewKVChatSessions(ctx, p.JS, p.Env.Replicas, ingestion.DefaultChatSessionTTL)
	if err != nil {
		return err
	}
	// Anonymous chat reads the log without consumers and follows it
	// through the process's one subscription: open chat pages never spend
	// the consumers triage, notification and the console need.
	chatLog := p.Store.WithoutConsumers()
	feed := ingestion.NewJetStreamChatFeed(p.JS, p.Store.Config().Stream, chatLog, pr.log)
	pr.onClose(feed.Close)
	chat, err := ingestion.NewChat(ingestion.ChatConfig{DefaultLine: file.Lines[0].ID}, ingestion.ChatDeps{Lines: file,
		Pseudonyms: ingestion.KeyringIdentities{Keys: keys, Pseudo: pseudo}, Keys: keys, Log: chatLog,
		Feed: feed, Sessions: sessions, Now: pr.cfg.Now}, pr.log)
	if err != nil {
		return err
	}
	chatHTTP := pr.cfg.Chat
	chatHTTP.PublicURL, chatHTTP.ClientAddrHeader = env.PublicURL, env.ClientIPHeader
	web, err := ingestion.NewChatHTTP(chatHTTP, chat, pr.log)
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, web.Close)
	for _, pattern := range []string{ingestion.ChatPagePath, ingestion.ChatPagePath + "/*", ingestion.ChatAPIPrefix + "/*"} {
		r.Handle(pattern, web)
	}
	return nil
}
