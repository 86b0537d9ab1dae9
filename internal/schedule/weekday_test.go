package schedule_test

import (
	"fmt"

	"github.com/helpline-org/helpline/internal/schedule"
)

// The week starts on Monday; each day round-trips through its name as
// configuration writes it, and only lowercase full names are weekdays.
func ExampleWeek() {
	for _, d := range schedule.Week() {
		name := schedule.WeekdayName(d)
		back, ok := schedule.ParseWeekday(name)
		fmt.Println(name, back == d && ok)
	}
	for _, bad := range []string{"Monday", "mon", ""} {
		_, ok := schedule.ParseWeekday(bad)
		fmt.Printf("%q %t\n", bad, ok)
	}
	// Output:
	// monday true
	// tuesday true
	// wednesday true
	// thursday true
	// friday true
	// saturday true
	// sunday true
	// "Monday" false
	// "mon" false
	// "" false
}
