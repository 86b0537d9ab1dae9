package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/services/ingestion"
)

// openKeys loads the master key and opens the keyring. The embedded default
// generates a master key on first run (with a warning to back it up); a
// distributed deployment must provide one, or each replica would make its
// own and none could read the others' data.
func openKeys(ctx context.Context, p *platform) (*keyring.Keyring, *keyring.Pseudonymizer, error) {
	master, created, err := keyring.LoadOrCreateMasterKey(p.env.MasterKeyFile, p.env.Embedded())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", config.VarMasterKeyFile, err)
	}
	if created {
		p.log.Warn().Str("file", p.env.MasterKeyFile).
			Msg("generated a new master key: back it up and keep it secret; without it no stored message can be read")
	}
	if _, err := keyring.EnsureBucket(ctx, p.js, keyring.BucketConfig{Replicas: p.env.Replicas}); err != nil {
		return nil, nil, err
	}
	keys, err := keyring.New(ctx, p.js, keyring.Config{Master: master}, p.log)
	if err != nil {
		return nil, nil, err
	}
	return keys, keyring.NewPseudonymizer(master), nil
}

// twilioToken is the token webhooks are signed with: Twilio's auth token,
// or in the sandbox a random one shared with the local fake.
func twilioToken(env config.Env) string {
	if !env.Sandbox() {
		return env.TwilioAuthToken
	}
	return "sandbox" + rand.Text()
}

// mountIngestion adds the Twilio webhooks and the web chat to the router.
// The chat's event streams end when ctx does.
func mountIngestion(ctx context.Context, r chi.Router, p *platform, file *config.File, keys *keyring.Keyring, pseudo *keyring.Pseudonymizer, token string) error {
	index, err := ingestion.NewKVIndex(ctx, p.js, p.env.Replicas)
	if err != nil {
		return err
	}
	ids := ingestion.KeyringIdentities{Keys: keys, Pseudo: pseudo}
	rcv := ingestion.NewReceiver(file, ids, keys, p.store, index, time.Now, p.log)
	wh := ingestion.NewWebhooks(ingestion.WebhookConfig{PublicURL: p.env.PublicURL, AccountSID: p.env.TwilioAccountSID}, rcv,
		func(u string, f url.Values, sig string) bool { return sms.Valid(token, u, f, sig) }, p.log)
	r.Post(ingestion.SMSPath, wh.SMS)
	r.Post(ingestion.StatusPath, wh.Status)

	sessions, err := ingestion.NewKVChatSessions(ctx, p.js, p.env.Replicas, ingestion.DefaultChatSessionTTL)
	if err != nil {
		return err
	}
	chat, err := ingestion.NewChat(ingestion.ChatConfig{DefaultLine: file.Lines[0].ID}, ingestion.ChatDeps{Lines: file, Pseudonyms: ids,
		Keys: keys, Log: p.store, Feed: ingestion.NewJetStreamChatFeed(p.js, p.store.Config().Stream, p.log), Sessions: sessions}, p.log)
	if err != nil {
		return err
	}
	web, err := ingestion.NewChatHTTP(ingestion.ChatHTTPConfig{PublicURL: p.env.PublicURL, ClientAddrHeader: p.env.ClientIPHeader}, chat, p.log)
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, web.Close)
	for _, pattern := range []string{ingestion.ChatPagePath, ingestion.ChatPagePath + "/*", ingestion.ChatAPIPrefix + "/*"} {
		r.Handle(pattern, web)
	}
	return nil
}
