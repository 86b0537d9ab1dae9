package notification

import (
	"fmt"
	"time"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/schedule"
)

// ConfigRota is the on-call rota from the configuration file: each shift
// is a weekly schedule in its line's time zone, so shifts that span
// midnight and daylight-saving changes behave as the line's hours do.
type ConfigRota struct {
	shifts []rotaShift
	staff  map[string]config.Staff
}

type rotaShift struct {
	line, level, staff string
	when               *schedule.Schedule
}

var _ Rota = (*ConfigRota)(nil)

// NewRota compiles the rota; errors name the shift at fault.
func NewRota(f *config.File) (*ConfigRota, error) {
	r := &ConfigRota{staff: map[string]config.Staff{}}
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
		r.shifts = append(r.shifts, rotaShift{line: sh.Line, level: sh.Level, staff: sh.Staff, when: when})
	}
	return r, nil
}

// OnCall returns the staff on call at a level of a line at a time, in rota
// order, each once, only those with a work phone to page.
func (r *ConfigRota) OnCall(lineID, level string, at time.Time) []config.Staff {
	var out []config.Staff
	seen := map[string]bool{}
	for _, sh := range r.shifts {
		if sh.line != lineID || sh.level != level || seen[sh.staff] || !sh.when.IsOpen(at) {
			continue
		}
		if st, ok := r.staff[sh.staff]; ok && st.WorkPhone != "" {
			out = append(out, st)
			seen[sh.staff] = true
		}
	}
	return out
}
