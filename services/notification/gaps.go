package notification

import (
	"context"
	"fmt"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/sms"
	"github.com/helpline-org/helpline/internal/timers"
)

// GapTimerKey is the durable timer that runs the rota gap check: set once
// at start if absent, and moved on by every check, so the check runs on
// one replica at a time and survives restarts.
const GapTimerKey = "rota-gaps"

// GapHorizon is how far ahead a level with nobody on call is warned of.
const GapHorizon = 24 * time.Hour

// StartGapWatch sets the gap check's timer unless a replica set it already.
func (s *Service) StartGapWatch(ctx context.Context) error {
	_, err := s.timers.SetIfAbsent(ctx, timers.Timer{Key: GapTimerKey, Due: s.now()})
	return err
}

// checkGaps warns each line's admin contacts, by SMS, of every level with
// nobody on call in the next GapHorizon, once per gap, then sets the next
// check. The warning is recorded on the line's rota (expected sequence)
// before it is sent, so of two replicas checking at once only the one
// whose record wins sends: a process that dies between the record and
// the send loses that SMS, but the console's banner still shows the gap.
func (s *Service) checkGaps(ctx context.Context) error {
	now := s.now()
	for _, line := range s.file.Lines {
		changes, err := s.rota.Changes(ctx, line.ID)
		if err != nil {
			return fmt.Errorf("rota of %s: %w", line.ID, err)
		}
		contacts := s.adminContacts(line)
		for _, g := range s.rota.Gaps(changes, line.ID, now, now.Add(GapHorizon)) {
			if changes.GapWarned(g.Level, g.Period) {
				continue
			}
			meta := events.Meta{OccurredAt: now}
			saved, err := s.rotas.Update(ctx, line.ID, func(r *events.Rota) error { return r.WarnGap(g.Level, g.Period, len(contacts), meta) })
			if err != nil {
				return fmt.Errorf("record gap of %s: %w", line.ID, err)
			}
			if len(saved.Appended) == 0 || saved.Duplicate() {
				continue // another replica warned of it
			}
			s.logger.Warn().Str("line", line.ID).Str("level", g.Level).Time("from", g.Period.Start).Time("to", g.Period.End).
				Int("contacts", len(contacts)).Msg("nobody on call: warning the line's admin contacts")
			text := GapText(line, g.Level, g.Period, s.cfg.PublicURL)
			for _, st := range contacts {
				if _, err := s.sendSMS(ctx, sms.Message{From: line.Number, To: st.WorkPhone, Body: text}); err != nil {
					// Recorded already: log it; the banner still shows.
					s.logger.Error().Err(err).Str("line", line.ID).Str("staff", st.ID).Msg("gap warning not sent")
				}
			}
		}
	}
	return s.timers.Set(ctx, timers.Timer{Key: GapTimerKey, Due: now.Add(s.cfg.GapCheck)})
}

// adminContacts are the line's admin contacts with a work phone.
func (s *Service) adminContacts(line config.Line) []config.Staff {
	var out []config.Staff
	for _, id := range line.AdminContacts {
		for _, st := range s.file.Staff {
			if st.ID == id && st.WorkPhone != "" {
				out = append(out, st)
			}
		}
	}
	return out
}

// GapText is the SMS that warns of a gap: the line, the level and when,
// in the line's time zone, and where to fix it. No client is named.
func GapText(line config.Line, level string, p events.Period, publicURL string) string {
	loc, err := time.LoadLocation(line.Timezone)
	if err != nil {
		loc = time.UTC
	}
	const layout = "Mon 2 Jan 15:04"
	return fmt.Sprintf("Helpline %s: nobody is on call at level %s from %s to %s (%s time). Cover it: %s/rota",
		line.Name, level, p.Start.In(loc).Format(layout), p.End.In(loc).Format(layout), loc.String(), publicURL)
}
