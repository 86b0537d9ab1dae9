package responsetimes

import (
	"context"
	"fmt"
	"time"
)

// Report is one line's figures over a range of UTC days. It holds counts
// and durations only.
type Report struct {
	LineID string
	From   time.Time // first day, UTC midnight
	To     time.Time // day after the last, UTC midnight
	Totals Figures
	// Days has one entry per day of the range, empty days included.
	Days []DayFigures
	// HourOfWeek is the messages received per UTC weekday and hour,
	// indexed [time.Weekday][hour].
	HourOfWeek [7][24]int64
}

// DayFigures are the figures of one UTC day.
type DayFigures struct {
	Day time.Time
	Figures
}

// Figures are merged counts and percentiles over some hours, and the
// figures of the conversations opened in them.
type Figures struct {
	Received   int64
	OutOfHours int64
	// OutOfHoursShare is OutOfHours / Received (0 when nothing arrived).
	OutOfHoursShare float64
	// Breaches are first replies later than the line's target, and
	// conversations that waited past it without one: still waiting when
	// the figures are read, or closed unanswered.
	Breaches int64
	// NextBreaches are next replies later than the line's next-response
	// target, and clients still waiting past it for one.
	NextBreaches int64
	// Exhausted are escalations nobody acknowledged after every round.
	Exhausted int64
	// FirstReply, NextReply and Ack percentiles are bucket upper bounds.
	FirstReply Quantiles
	NextReply  Quantiles
	Ack        Quantiles
	// AckSMS, AckCall and AckConsole split Ack by how it came.
	AckSMS, AckCall, AckConsole Quantiles

	// Conversations are those that opened in the period; the figures
	// below are theirs, as they stand when the figures are read.
	Conversations int64
	// NeverAnswered are conversations without a worker reply that were
	// closed, or whose client has not written for the line's
	// AbandonedAfter.
	NeverAnswered int64
	// Abandoned counts NeverAnswered by how long the client kept writing
	// before they stopped (AbandonBand).
	Abandoned [NumAbandonBands]int64
	// Outcomes and Categories count closed conversations by their
	// wrap-up's outcome (NoOutcome when none was given) and categories;
	// nil when none.
	Outcomes, Categories map[string]int64
	// Survey counts the post-contact survey's answers by
	// "question:option" code; nil when none.
	Survey map[string]int64
}

// NoOutcome is the outcome counted for a conversation closed without one.
const NoOutcome = "(none)"

// abandonBounds are the upper bounds of the bands of how long a client
// kept writing, never answered, before they stopped: they wrote once (or
// all at once), within 5 minutes, 15, an hour; the last band is beyond.
var abandonBounds = [...]time.Duration{0, 5 * time.Minute, 15 * time.Minute, time.Hour}

// NumAbandonBands is the number of abandonment bands.
const NumAbandonBands = len(abandonBounds) + 1

// AbandonBand returns the band of a client who kept writing for span:
// the first whose bound is at least span.
func AbandonBand(span time.Duration) int {
	for i, b := range abandonBounds {
		if span <= b {
			return i
		}
	}
	return len(abandonBounds)
}

// AbandonBound returns band i's upper bound, or Beyond for the last.
func AbandonBound(i int) time.Duration {
	if i >= len(abandonBounds) {
		return Beyond
	}
	return abandonBounds[i]
}

type merged struct {
	hour Hour
	conv Figures // the conversations' figures only
}

func (m *merged) add(h Hour) { m.hour.add(h) }

// addConversation counts c, read at now with the line's targets t.
func (m *merged) addConversation(c Conversation, t Targets, now time.Time) {
	f := &m.conv
	f.Conversations++
	switch {
	case !c.Replied && c.Closed:
		f.NeverAnswered++
		f.Abandoned[AbandonBand(c.LastInAt.Sub(c.OpenedAt))]++
		if breach(c.ClosedAt.Sub(c.FirstFrom), t.FirstResponse) {
			f.Breaches++
		}
	case !c.Replied:
		// Still waiting for a first reply: a breach once past the target,
		// before any reply exists.
		if breach(now.Sub(c.FirstFrom), t.FirstResponse) {
			f.Breaches++
		}
		if t.AbandonedAfter > 0 && now.Sub(c.LastInAt) > t.AbandonedAfter {
			f.NeverAnswered++
			f.Abandoned[AbandonBand(c.LastInAt.Sub(c.OpenedAt))]++
		}
	case !c.Closed && !c.NextSince.IsZero() && breach(now.Sub(c.NextFrom), t.NextResponse):
		f.NextBreaches++
	}
	for _, a := range c.Survey {
		bump(&f.Survey, a)
	}
	if !c.Closed {
		return
	}
	outcome := c.Outcome
	if outcome == "" {
		outcome = NoOutcome
	}
	bump(&f.Outcomes, outcome)
	for _, cat := range c.Categories {
		bump(&f.Categories, cat)
	}
}

// bump counts one more k in *m, making the map if needed.
func bump(m *map[string]int64, k string) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k]++
}

func (m merged) figures() Figures {
	c, f := m.hour.Counts, m.conv
	f.Received, f.OutOfHours, f.Exhausted = c.Received, c.OutOfHours, c.Exhausted
	f.Breaches += c.Breaches
	f.NextBreaches += c.NextBreaches
	h := m.hour
	f.FirstReply, f.NextReply, f.Ack = h.FirstReply.Quantiles(), h.NextReply.Quantiles(), h.Ack.Quantiles()
	f.AckSMS, f.AckCall, f.AckConsole = h.AckSMS.Quantiles(), h.AckCall.Quantiles(), h.AckConsole.Quantiles()
	if f.Received > 0 {
		f.OutOfHoursShare = float64(f.OutOfHours) / float64(f.Received)
	}
	return f
}

// utcDay returns the UTC midnight starting t's day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Figures returns a line's figures for the UTC days from `from` up to but
// not including `to` (both taken as their UTC day), read at now. The
// figures of conversations (never answered, abandoned, outcomes,
// categories, and the breaches of those still waiting past a target at
// now) count in the day each conversation opened.
func (r *View) Figures(ctx context.Context, lineID string, from, to, now time.Time) (Report, error) {
	from, to = utcDay(from), utcDay(to)
	if !to.After(from) {
		return Report{}, fmt.Errorf("figures: empty range %s to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	hours, err := r.store.Hours(ctx, lineID, from, to)
	if err != nil {
		return Report{}, fmt.Errorf("figures %s: %w", lineID, err)
	}
	convs, err := r.store.Conversations(ctx, lineID, from, to)
	if err != nil {
		return Report{}, fmt.Errorf("figures %s: %w", lineID, err)
	}
	now = now.UTC()
	rep := Report{LineID: lineID, From: from, To: to}
	var total merged
	days := map[time.Time]*merged{}
	day := func(t time.Time) *merged {
		d := utcDay(t)
		if days[d] == nil {
			days[d] = &merged{}
		}
		return days[d]
	}
	for _, h := range hours {
		total.add(h)
		day(h.Start).add(h)
		rep.HourOfWeek[h.Start.Weekday()][h.Start.Hour()] += h.Counts.Received
	}
	t := r.rules.targets[lineID]
	for _, c := range convs {
		total.addConversation(c, t, now)
		day(c.OpenedAt).addConversation(c, t, now)
	}
	rep.Totals = total.figures()
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		var m merged
		if days[d] != nil {
			m = *days[d]
		}
		rep.Days = append(rep.Days, DayFigures{Day: d, Figures: m.figures()})
	}
	return rep, nil
}

// Conversations returns the line's conversations opened in the UTC days
// from `from` up to but not including `to`, in the order they opened: the
// per-conversation export.
func (r *View) Conversations(ctx context.Context, lineID string, from, to time.Time) ([]Conversation, error) {
	from, to = utcDay(from), utcDay(to)
	convs, err := r.store.Conversations(ctx, lineID, from, to)
	if err != nil {
		return nil, fmt.Errorf("conversations %s: %w", lineID, err)
	}
	return convs, nil
}
