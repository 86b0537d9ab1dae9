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

// addNotification adds the SMS bridge and pager to pr. Replicas share the
// durable consumer and the acknowledgement timers; a timer firing on two
// replicas records the move to the next level once (expected sequence),
// and only the replica that recorded it pages.
func addNotification(ctx context.Context, pr *process, file *config.File, keys *keyring.Keyring, smsCfg sms.Config) error {
	specs, loop, err := notificationService(ctx, pr.p, file, keys, smsCfg)
	if err != nil {
		return err
	}
	pr.add(specs, loop)
	return nil
}

// smsConfig is where the line's SMS go: Twilio, or the local sandbox.
func smsConfig(env config.Env, sandbox *sandboxSMS) sms.Config {
	if sandbox != nil {
		return sms.Config{AccountSID: sandbox.AccountSID, AuthToken: sandbox.AuthToken, APIURL: sandbox.APIURL}
	}
	return sms.Config{AccountSID: env.TwilioAccountSID, AuthToken: env.TwilioAuthToken, APIURL: env.TwilioAPIURL}
}
