// Package oncall owns who is on call: the weekly rota of the
// configuration, in each line's time zone, combined with the changes
// staff record in the log (overrides, swaps, unavailability: the rota
// aggregate of package events). It answers who is on call at a level at an
// instant, the timeline of a level over a window, and the gaps in it,
// for the pager, the gap warning and the console's rota page alike.
//
// A change applies over the configured rota in the order it was made:
// a cover puts its person on the level for its period and takes the
// person it replaces off it; unavailability takes its person off every
// level of the line for its period, whatever a rota or a cover says.
package oncall

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/schedule"
)

// Rota is the configured rota, compiled; safe for concurrent use.
type Rota struct {
	file   *config.File
	shifts []shift
	staff  map[string]config.Staff
}

type shift struct {
	line, level, staff string
	when               *schedule.Schedule
}

// New compiles the configured rota; errors name the shift at fault.
func New(f *config.File) (*Rota, error) {
	r := &Rota{file: f, staff: map[string]config.Staff{}}
	for _, s := range f.Staff {
		r.staff[s.ID] = s
	}
	for i, sh := range f.Rota {
		line, ok := f.LineByID(sh.Line)
		if !ok {
			return nil, fmt.Errorf("rota[%d]: line %q is not defined", i, sh.Line)
		}
		hours := sh.Hours
		if hours == "" {
			hours = schedule.WholeDay
		}
		days := sh.Days
		if len(days) == 0 {
			for _, d := range schedule.Week() {
				days = append(days, schedule.WeekdayName(d))
			}
		}
		week := map[string][]string{}
		for _, d := range days {
			week[d] = []string{hours}
		}
		when, err := schedule.New(schedule.Config{Timezone: line.Timezone, Hours: week})
		if err != nil {
			return nil, fmt.Errorf("rota[%d]: %w", i, err)
		}
		r.shifts = append(r.shifts, shift{line: sh.Line, level: sh.Level, staff: sh.Staff, when: when})
	}
	return r, nil
}

// Staff returns a configured member of staff.
func (r *Rota) Staff(id string) (config.Staff, bool) {
	s, ok := r.staff[id]
	return s, ok
}

// Levels returns the levels of the line's escalation policy, in the order
// they are paged (one "duty" level when no policy is configured).
func (r *Rota) Levels(lineID string) []string {
	line, _ := r.file.LineByID(lineID)
	for _, p := range r.file.Policies {
		if p.ID == line.Policy {
			return p.Levels
		}
	}
	return []string{"duty"}
}

// OnCall returns the staff on call at a level of a line at an instant, with
// the line's rota changes applied: the configured rota's order first, then
// covers in the order they were made; each once, only those with a work
// phone to page.
func (r *Rota) OnCall(changes *events.Rota, lineID, level string, at time.Time) []config.Staff {
	var out []config.Staff
	for _, id := range r.at(changes, lineID, level, at, func(i int) bool { return r.shifts[i].when.IsOpen(at) }) {
		if st := r.staff[id]; st.WorkPhone != "" {
			out = append(out, st)
		}
	}
	return out
}

// at returns the staff ids on call at a level at an instant, given which
// configured shifts are on.
func (r *Rota) at(changes *events.Rota, lineID, level string, t time.Time, on func(shift int) bool) []string {
	var ids []string
	for i, sh := range r.shifts {
		if sh.line == lineID && sh.level == level && !slices.Contains(ids, sh.staff) && on(i) {
			ids = append(ids, sh.staff)
		}
	}
	if changes == nil {
		return ids
	}
	active := changes.Active(t)
	for _, c := range active {
		for _, cv := range c.Covers() {
			if cv.Level != level || !cv.Period.Contains(t) {
				continue
			}
			if cv.Replaces != "" {
				ids = slices.DeleteFunc(ids, func(id string) bool { return id == cv.Replaces })
			}
			if !slices.Contains(ids, cv.StaffID) {
				ids = append(ids, cv.StaffID)
			}
		}
	}
	for _, c := range active {
		if c.Kind == events.ChangeUnavailability && c.Period.Contains(t) {
			ids = slices.DeleteFunc(ids, func(id string) bool { return id == c.StaffID })
		}
	}
	return slices.DeleteFunc(ids, func(id string) bool { return r.staff[id].WorkPhone == "" })
}

// Slot is a span of a level's timeline during which the same people are
// on call (staff ids; none is a gap).
type Slot struct {
	Start, End time.Time
	Staff      []string
}

// Timeline returns who is on call at a level of a line from from to to,
// as consecutive slots, each as long as nobody changes.
func (r *Rota) Timeline(changes *events.Rota, lineID, level string, from, to time.Time) []Slot {
	spans := map[int][]schedule.Interval{}
	cuts := []time.Time{from, to}
	for i, sh := range r.shifts {
		if sh.line != lineID || sh.level != level {
			continue
		}
		spans[i] = sh.when.Intervals(from, to)
		for _, iv := range spans[i] {
			cuts = append(cuts, iv.Start, iv.End)
		}
	}
	if changes != nil {
		for _, c := range changes.Active(from) {
			for _, p := range []events.Period{c.Period, c.Return} {
				cuts = append(cuts, p.Start, p.End)
			}
		}
	}
	cuts = slices.DeleteFunc(cuts, func(t time.Time) bool { return t.Before(from) || t.After(to) })
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	var out []Slot
	for i := 0; i+1 < len(cuts); i++ {
		t := cuts[i]
		ids := r.at(changes, lineID, level, t, func(k int) bool {
			return slices.ContainsFunc(spans[k], func(iv schedule.Interval) bool { return !t.Before(iv.Start) && t.Before(iv.End) })
		})
		if n := len(out); n > 0 && slices.Equal(out[n-1].Staff, ids) {
			out[n-1].End = cuts[i+1]
			continue
		}
		out = append(out, Slot{Start: t, End: cuts[i+1], Staff: ids})
	}
	return out
}

// Gap is a span with nobody on call at a level of a line.
type Gap struct {
	Level  string
	Period events.Period
}

// Gaps returns the spans from from to to with nobody on call at some
// level of the line's policy, level by level.
func (r *Rota) Gaps(changes *events.Rota, lineID string, from, to time.Time) []Gap {
	var out []Gap
	for _, level := range r.Levels(lineID) {
		for _, s := range r.Timeline(changes, lineID, level, from, to) {
			if len(s.Staff) == 0 {
				out = append(out, Gap{Level: level, Period: events.Period{Start: s.Start, End: s.End}})
			}
		}
	}
	return out
}

// ErrUnknown is a change naming a line, level or member of staff the
// configuration does not know, or someone who cannot be paged.
var ErrUnknown = errors.New("not in the configuration")

// Check reports what the configuration says against a change to a line's
// rota: the line and level exist, and whoever is put on call can be paged.
func (r *Rota) Check(lineID string, c events.RotaChange) error {
	if _, ok := r.file.LineByID(lineID); !ok {
		return fmt.Errorf("line %q: %w", lineID, ErrUnknown)
	}
	if c.Kind != events.ChangeUnavailability && !slices.Contains(r.Levels(lineID), c.Level) {
		return fmt.Errorf("level %q of line %s: %w", c.Level, lineID, ErrUnknown)
	}
	for _, id := range []string{c.StaffID, c.Replaces, c.WithStaffID} {
		if id == "" {
			continue
		}
		st, ok := r.staff[id]
		if !ok {
			return fmt.Errorf("staff %q: %w", id, ErrUnknown)
		}
		if st.WorkPhone == "" && c.Kind != events.ChangeUnavailability && id != c.Replaces {
			return fmt.Errorf("staff %q has no work phone to be paged on: %w", id, ErrUnknown)
		}
	}
	return nil
}
