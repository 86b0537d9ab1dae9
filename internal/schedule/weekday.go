package schedule

import (
	"strings"
	"time"
)

// WholeDay is the period of a whole day, "00:00-24:00".
const WholeDay = "00:00-24:00"

// Week returns the days of the week in the order configuration and pages
// list them, Monday first.
func Week() [7]time.Weekday {
	return [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
}

// WeekdayName is how configuration writes d: lowercase English, "monday".
func WeekdayName(d time.Weekday) string { return strings.ToLower(d.String()) }

// ParseWeekday reads a weekday as configuration writes it ("monday" ..
// "sunday", lowercase only).
func ParseWeekday(name string) (time.Weekday, bool) {
	for _, d := range Week() {
		if WeekdayName(d) == name {
			return d, true
		}
	}
	return 0, false
}
