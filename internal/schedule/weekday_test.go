package schedule_test

import (
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/schedule"
)

func TestWeekdaysAsConfigurationWritesThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want time.Weekday
		ok   bool
	}{
		{"monday", time.Monday, true},
		{"sunday", time.Sunday, true},
		{"wednesday", time.Wednesday, true},
		{"Monday", 0, false},
		{"mon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := schedule.ParseWeekday(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseWeekday(%q) = %v, %t; want %v, %t", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	week := schedule.Week()
	seen := map[time.Weekday]bool{}
	for _, d := range week {
		if back, ok := schedule.ParseWeekday(schedule.WeekdayName(d)); !ok || back != d {
			t.Errorf("%v does not round-trip through its name %q", d, schedule.WeekdayName(d))
		}
		seen[d] = true
	}
	if week[0] != time.Monday || week[6] != time.Sunday || len(seen) != 7 {
		t.Fatalf("week %v: want seven days, Monday first", week)
	}
}
