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

// Figures are merged counts and percentiles over some hours.
type Figures struct {
	Received   int64
	OutOfHours int64
	// OutOfHoursShare is OutOfHours / Received (0 when nothing arrived).
	OutOfHoursShare float64
	// Breaches are first replies later than the line's target, and
	// conversations still waiting for one past it when the figures are read.
	Breaches int64
	// Exhausted are escalations nobody acknowledged after every round.
	Exhausted int64
	// FirstReply and Ack percentiles are bucket upper bounds.
	FirstReply Quantiles
	Ack        Quantiles
}

type merged struct {
	counts     Counts
	firstReply Histogram
	ack        Histogram
}

func (m *merged) add(h Hour) {
	m.counts.Add(h.Counts)
	m.firstReply.Add(h.FirstReply)
	m.ack.Add(h.Ack)
}

func (m merged) figures() Figures {
	f := Figures{Received: m.counts.Received, OutOfHours: m.counts.OutOfHours, Breaches: m.counts.Breaches, Exhausted: m.counts.Exhausted,
		FirstReply: m.firstReply.Quantiles(), Ack: m.ack.Quantiles()}
	if f.Received > 0 {
		f.OutOfHoursShare = float64(f.OutOfHours) / float64(f.Received)
	}
	return f
}

// withWaiting adds the breaches of conversations still waiting, by hour,
// to hours (sorted by start), keeping them sorted.
func withWaiting(hours []Hour, lineID string, breaches map[time.Time]int64) []Hour {
	if len(breaches) == 0 {
		return hours
	}
	for i := range hours {
		if n, ok := breaches[hours[i].Start]; ok {
			hours[i].Counts.Breaches += n
			delete(breaches, hours[i].Start)
		}
	}
	for start, n := range breaches { // an hour always has its first message: never reached, kept safe
		hours = append(hours, Hour{LineID: lineID, Start: start, Counts: Counts{Breaches: n}})
	}
	sortHours(hours)
	return hours
}

// utcDay returns the UTC midnight starting t's day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Figures returns a line's figures for the UTC days from `from` up to but
// not including `to` (both taken as their UTC day), read at now:
// conversations still waiting for a first reply longer than the line's
// target count as breaches, in the hour the client wrote.
func (r *View) Figures(ctx context.Context, lineID string, from, to, now time.Time) (Report, error) {
	from, to = utcDay(from), utcDay(to)
	if !to.After(from) {
		return Report{}, fmt.Errorf("figures: empty range %s to %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	hours, err := r.store.Hours(ctx, lineID, from, to)
	if err != nil {
		return Report{}, fmt.Errorf("figures %s: %w", lineID, err)
	}
	waiting, err := r.store.Waiting(ctx, lineID, from, to)
	if err != nil {
		return Report{}, fmt.Errorf("figures %s: %w", lineID, err)
	}
	hours = withWaiting(hours, lineID, r.rules.waitingBreaches(waiting, lineID, now.UTC()))
	rep := Report{LineID: lineID, From: from, To: to}
	var total merged
	days := map[time.Time]*merged{}
	for _, h := range hours {
		total.add(h)
		d := utcDay(h.Start)
		if days[d] == nil {
			days[d] = &merged{}
		}
		days[d].add(h)
		rep.HourOfWeek[h.Start.Weekday()][h.Start.Hour()] += h.Counts.Received
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
