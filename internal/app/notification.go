package app

import (
	"context"

	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
	"github.com/helpline-org/helpline/services/notification"
)

// NotificationTimers is the bucket of notification's timers: acknowledgement
// deadlines and the delays of staff's notification rules.
const NotificationTimers = "helpline_notification_timers"

// addNotification adds the SMS bridge and pager, sending through smsCfg
// (Twilio, or the sandbox). Replicas share the durable consumer and the
// acknowledgement timers; a timer firing on two replicas records the move
// to the next level once (expected sequence), and only the replica that
// recorded it pages.
func (pr *Process) addNotification(ctx context.Context, smsCfg sms.Config) error {
	p := pr.Platform
	keys, _, err := p.Keys(ctx)
	if err != nil {
		return err
	}
	sender, err := sms.NewSender(smsCfg)
	if err != nil {
		return err
	}
	rota, err := notification.NewRota(pr.cfg.File, p.Store)
	if err != nil {
		return err
	}
	tm, err := timers.Open(ctx, p.JS, NotificationTimers, p.Env.Replicas, pr.cfg.Now, pr.log)
	if err != nil {
		return err
	}
	svc := notification.New(notification.Config{PublicURL: pr.cfg.Env.PublicURL}, pr.cfg.File, rota, sender, keys, p.Store, p.Grouped(), tm, pr.cfg.Now, pr.log)
	if err := svc.StartGapWatch(ctx); err != nil {
		return err
	}
	for _, c := range svc.Collectors() {
		if err := p.Metrics.Register(c); err != nil {
			return err
		}
	}
	pr.add(svc.Specs(), func(ctx context.Context) { tm.Run(ctx, pr.cfg.TimerTick, svc.OnTimer) })
	return nil
}
