package main

import (
	"context"
	"time"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/notification"
)

// notificationService builds the SMS bridge and pager, and returns its
// handlers and its timer loop.
func notificationService(ctx context.Context, p *platform, file *config.File, keys *keyring.Keyring, smsCfg sms.Config) ([]consume.Spec, func(context.Context), error) {
	sender, err := sms.NewSender(smsCfg)
	if err != nil {
		return nil, nil, err
	}
	rota, err := notification.NewRota(file)
	if err != nil {
		return nil, nil, err
	}
	tm, err := timers.Open(ctx, p.js, "helpline_notification_timers", p.env.Replicas, time.Now, p.log)
	if err != nil {
		return nil, nil, err
	}
	svc := notification.New(notification.Config{PublicURL: p.env.PublicURL}, file, rota, sender, keys, p.store, tm, time.Now, p.log)
	loop := func(ctx context.Context) { tm.Run(ctx, time.Second, svc.OnAckTimeout) }
	return svc.Specs(), loop, nil
}

// smsConfig is where the line's SMS go: Twilio, or the local sandbox.
func smsConfig(env config.Env, sandbox *sandboxSMS) sms.Config {
	if sandbox != nil {
		return sms.Config{AccountSID: sandbox.AccountSID, AuthToken: sandbox.AuthToken, APIURL: sandbox.APIURL}
	}
	return sms.Config{AccountSID: env.TwilioAccountSID, AuthToken: env.TwilioAuthToken, APIURL: env.TwilioAPIURL}
}
