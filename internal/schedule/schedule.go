package schedule

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every error New returns.
var ErrInvalid = errors.New("invalid schedule")

// horizonDays bounds how far NextOpen and ClosedPeriod look.
const horizonDays = 366

// Config is a line's opening hours as configured.
type Config struct {
	// Timezone is the IANA zone the hours and holidays are in, as
	// "Europe/London".
	Timezone string
	// Hours maps a lowercase weekday ("monday".."sunday") to its opening
	// periods, "HH:MM-HH:MM" each: ["09:00-13:00", "14:00-17:00"] is a
	// split shift. A period whose end is at or before its start runs past
	// midnight and belongs to the day it starts on: "22:00-02:00" on
	// friday covers Saturday 00:00-02:00. "24:00" is allowed as an end;
	// "00:00-24:00" is the whole day. Overlapping periods merge. A weekday
	// left out is closed.
	Hours map[string][]string
	// AlwaysOpen opens the line every hour of every day, in place of Hours
	// (which must then be empty). Holidays still close it: leave them out
	// for a line that never closes.
	AlwaysOpen bool
	// Holidays are dates ("2026-12-25") in the line's zone on which it is
	// closed all day: no period starts on a holiday, and a period from the
	// day before that runs past midnight stops at the holiday's midnight.
	Holidays []string
}

// Schedule is a validated, immutable weekly schedule; safe for concurrent
// use.
type Schedule struct {
	loc      *time.Location
	days     [7][]period // by time.Weekday
	holidays map[civilDate]bool
}

// civilDate is a calendar date without a zone.
type civilDate struct {
	year  int
	month time.Month
	day   int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// addDays returns the date n days after d.
func (d civilDate) addDays(n int) civilDate {
	return dateOf(time.Date(d.year, d.month, d.day+n, 0, 0, 0, 0, time.UTC))
}

func (d civilDate) weekday() time.Weekday {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC).Weekday()
}

// New validates c and builds its schedule. Errors name the bad zone,
// weekday, period or date.
func New(c Config) (*Schedule, error) {
	if c.Timezone == "" || c.Timezone == "Local" {
		return nil, fmt.Errorf("%w: timezone %q: want an IANA zone like \"Europe/London\"", ErrInvalid, c.Timezone)
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("%w: timezone %q: %w", ErrInvalid, c.Timezone, err)
	}
	s := &Schedule{loc: loc, holidays: map[civilDate]bool{}}
	switch {
	case c.AlwaysOpen && len(c.Hours) > 0:
		return nil, fmt.Errorf("%w: AlwaysOpen and Hours are exclusive", ErrInvalid)
	case c.AlwaysOpen:
		for d := range s.days {
			s.days[d] = []period{{0, minutesPerDay}}
		}
	case len(c.Hours) == 0:
		return nil, fmt.Errorf("%w: no opening hours: give Hours, or AlwaysOpen", ErrInvalid)
	}
	for day, periods := range c.Hours {
		wd, ok := ParseWeekday(day)
		if !ok {
			return nil, fmt.Errorf("%w: hours: %q is not a weekday (monday..sunday, lowercase)", ErrInvalid, day)
		}
		for _, ps := range periods {
			p, err := parsePeriod(ps)
			if err != nil {
				return nil, fmt.Errorf("%w: hours: %s: %w", ErrInvalid, day, err)
			}
			s.days[wd] = append(s.days[wd], p)
		}
		slices.SortFunc(s.days[wd], func(a, b period) int { return a.start - b.start })
	}
	for _, h := range c.Holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil {
			return nil, fmt.Errorf("%w: holiday %q: want a date like \"2026-12-25\": %w", ErrInvalid, h, err)
		}
		s.holidays[dateOf(d)] = true
	}
	return s, nil
}

// Location returns the line's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// interval is an open period as instants, [start, end).
type interval struct {
	start, end time.Time
}

// openOn returns the open intervals of the periods that start on date d, in
// order. A holiday has none; a period running into a holiday stops at its
// midnight.
func (s *Schedule) openOn(d civilDate) []interval {
	if s.holidays[d] {
		return nil
	}
	var out []interval
	nextIsHoliday := s.holidays[d.addDays(1)]
	for _, p := range s.days[d.weekday()] {
		end := p.end
		if nextIsHoliday && end > minutesPerDay {
			end = minutesPerDay
		}
		iv := interval{s.instant(d, p.start), s.instant(d, end)}
		if iv.end.After(iv.start) { // a period inside a skipped hour is empty
			out = append(out, iv)
		}
	}
	return out
}

// IsOpen reports whether the line is open at t.
func (s *Schedule) IsOpen(t time.Time) bool {
	today := dateOf(t.In(s.loc))
	// A period from yesterday may run past midnight into today.
	for _, d := range []civilDate{today.addDays(-1), today} {
		for _, iv := range s.openOn(d) {
			if !t.Before(iv.start) && t.Before(iv.end) {
				return true
			}
		}
	}
	return false
}

// NextOpen returns when the line next opens after t if it is closed at t,
// or t itself if it is open; false if it doesn't open within a year.
func (s *Schedule) NextOpen(t time.Time) (time.Time, bool) {
	if s.IsOpen(t) {
		return t, true
	}
	// Days' periods start in order, each after the previous day's, so the
	// first period starting after t is the next opening.
	today := dateOf(t.In(s.loc))
	for i := 0; i <= horizonDays; i++ {
		for _, iv := range s.openOn(today.addDays(i)) {
			if iv.start.After(t) {
				return iv.start, true
			}
		}
	}
	return time.Time{}, false
}

// ClosedPeriod returns the closed period containing t: from when the line
// last closed to when it next opens, so that callers can answer once per
// closed period. ok is false when the line is open at t. A bound more than
// a year away is the zero time.
func (s *Schedule) ClosedPeriod(t time.Time) (start, end time.Time, ok bool) {
	if s.IsOpen(t) {
		return time.Time{}, time.Time{}, false
	}
	end, _ = s.NextOpen(t)
	// The last close is the latest end before t. A period from the day
	// before may end later than one of the day's own, so once a day has
	// given an end, the day before it is checked too.
	today := dateOf(t.In(s.loc))
	found := -1
	for i := 0; i <= horizonDays+1 && (found < 0 || i <= found+1); i++ {
		for _, iv := range s.openOn(today.addDays(-i)) {
			if !iv.end.After(t) && iv.end.After(start) {
				start = iv.end
				if found < 0 {
					found = i
				}
			}
		}
	}
	return start, end, true
}

// Describe says when t is in the line's zone, for a client: "Monday at
// 09:00, London time". The city is the last part of the zone's name.
func (s *Schedule) Describe(t time.Time) string {
	l := t.In(s.loc)
	return fmt.Sprintf("%s at %s, %s time", l.Weekday(), l.Format("15:04"), s.city())
}

// DescribeFrom is Describe with the date added when t is not within the
// six days after now, where the weekday alone would be ambiguous: "Monday
// 4 January at 09:00, London time".
func (s *Schedule) DescribeFrom(now, t time.Time) string {
	l := t.In(s.loc)
	if days := dateDiff(dateOf(now.In(s.loc)), dateOf(l)); days >= 0 && days < 7 {
		return s.Describe(t)
	}
	return fmt.Sprintf("%s %d %s at %s, %s time", l.Weekday(), l.Day(), l.Month(), l.Format("15:04"), s.city())
}

func dateDiff(a, b civilDate) int {
	ta := time.Date(a.year, a.month, a.day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.year, b.month, b.day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours() / 24)
}

// city turns "America/New_York" into "New York".
func (s *Schedule) city() string {
	name := s.loc.String()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ReplaceAll(name, "_", " ")
}

// instant returns the first instant at which the local clock on date d
// reads the given minutes after midnight or later. Minutes may pass a day
// (1560 is 02:00 the next day). In a skipped hour (spring-forward) that is
// the instant of the jump; in a repeated hour (fall-back), the first
// occurrence.
func (s *Schedule) instant(d civilDate, minutes int) time.Time {
	wall := time.Date(d.year, d.month, d.day, 0, minutes, 0, 0, time.UTC)
	// Every instant whose local clock reads wall is wall minus one of the
	// zone's offsets around it; zones don't change offset twice in a day.
	var best time.Time
	for _, probe := range []time.Duration{-24 * time.Hour, 24 * time.Hour} {
		_, off := wall.Add(probe).In(s.loc).Zone()
		c := wall.Add(-time.Duration(off) * time.Second)
		if sameWall(c.In(s.loc), wall) && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	if !best.IsZero() {
		return best
	}
	// A skipped wall time: find the jump, the first instant whose clock
	// reads later than wall, between the two candidates.
	_, offBefore := wall.Add(-24 * time.Hour).In(s.loc).Zone()
	_, offAfter := wall.Add(24 * time.Hour).In(s.loc).Zone()
	lo := wall.Add(-time.Duration(offAfter) * time.Second)  // clock still before the jump
	hi := wall.Add(-time.Duration(offBefore) * time.Second) // clock already after it
	n := int(hi.Sub(lo) / time.Second)
	i := sort.Search(n, func(i int) bool {
		c := lo.Add(time.Duration(i) * time.Second).In(s.loc)
		return !wallOf(c).Before(wall)
	})
	return lo.Add(time.Duration(i) * time.Second)
}

// wallOf returns t's local clock reading as a UTC time, to compare clocks.
func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func sameWall(t, wall time.Time) bool { return wallOf(t).Equal(wall) }

// Interval is an open period as instants, [Start, End).
type Interval struct {
	Start, End time.Time
}

// Intervals returns when the schedule is open between from and to, in
// order, each clipped to [from, to): the rota's shifts as spans, so a
// timeline over days costs one pass instead of a check per minute.
func (s *Schedule) Intervals(from, to time.Time) []Interval {
	var out []Interval
	first := dateOf(from.In(s.loc)).addDays(-1) // a period from the day before may run into from
	for d := first; ; d = d.addDays(1) {
		ivs := s.openOn(d)
		if len(ivs) == 0 && s.instant(d, 0).After(to) {
			break
		}
		past := false
		for _, iv := range ivs {
			if !iv.start.Before(to) {
				past = true
				break
			}
			start, end := Latest(from, iv.start), Earliest(to, iv.end)
			if !end.After(start) {
				continue
			}
			if n := len(out); n > 0 && !start.After(out[n-1].End) {
				out[n-1].End = Latest(end, out[n-1].End) // periods that touch or overlap are one
				continue
			}
			out = append(out, Interval{start, end})
		}
		if past {
			break
		}
	}
	return out
}

// Latest returns the later of two instants, a when they are the same.
func Latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Earliest returns the earlier of two instants, a when they are the same.
func Earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
