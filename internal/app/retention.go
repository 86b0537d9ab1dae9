package app

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/erasure"
)

// RetentionEvery is how often, on the process's clock, a process that
// runs retention itself (Config.Retention) erases the clients due;
// RetentionFirstAfter is how long after its start it first does, so a
// start's catch-up does not compete with a read of the whole log.
const (
	RetentionEvery      = 24 * time.Hour
	RetentionFirstAfter = 10 * time.Minute
)

// addRetention adds the daily retention job: the clients whose
// conversations all closed longer ago than their line's retention_days
// are erased (the one erasure, reason retention), first RetentionFirstAfter
// after the process starts, then every RetentionEvery on its clock.
// Nothing runs when no line sets a period.
func (pr *Process) addRetention(ctx context.Context) error {
	periods := erasure.Periods{}
	for _, l := range pr.cfg.File.Lines {
		if d := l.Retention(); d > 0 {
			periods[l.ID] = d
		}
	}
	if len(periods) == 0 {
		return nil
	}
	p := pr.Platform
	keys, _, err := p.Keys(ctx)
	if err != nil {
		return err
	}
	now := pr.cfg.Now
	job := erasure.NewRetention(p.Store, erasure.NewEraser(keys, events.NewClients(p.Store), now), periods, now)
	log := pr.log.With().Str("svc", "retention").Logger()
	log.Info().Int("lines", len(periods)).Dur("every", RetentionEvery).Msg("retention runs in this process")
	pr.add(nil, func(ctx context.Context) { runRetention(ctx, job, now, pr.cfg.TimerTick, log) })
	return nil
}

// runRetention runs job when due by now, looking every tick, until ctx
// ends. After a failure it tries again an hour later (on the clock); what
// a failed run erased stays erased. It logs counts only, never a client.
func runRetention(ctx context.Context, job *erasure.Retention, now func() time.Time, tick time.Duration, log zerolog.Logger) {
	t := time.NewTicker(tick)
	defer t.Stop()
	next := now().Add(RetentionFirstAfter)
	for {
		if at := now(); !at.Before(next) {
			// The erasures are recorded as asked for by "retention".
			erased, err := job.Run(ctx, erasure.ReasonRetention)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Error().Err(err).Int("erased", len(erased)).Msg("retention failed; trying again in an hour")
				next = at.Add(time.Hour)
			default:
				log.Info().Int("erased", len(erased)).Msg("retention ran: clients erased")
				next = at.Add(RetentionEvery)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
