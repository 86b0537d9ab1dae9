package schedule

import (
	"fmt"
)

// minutesPerDay is the length of a wall-clock day.
const minutesPerDay = 24 * 60

// period is one opening period of a weekday, in minutes after that day's
// midnight. End is after start; an end past minutesPerDay runs into the
// next day ("22:00-02:00" is 1320-1560).
type period struct {
	start, end int
}

// parsePeriod reads "HH:MM-HH:MM". The start is 00:00 to 23:59; the end is
// 00:01 to 24:00, and an end at or before the start means the period runs
// past midnight into the next day. "00:00-24:00" is the whole day; an
// equal start and end ("09:00-09:00") is rejected as ambiguous.
func parsePeriod(s string) (period, error) {
	if len(s) != len("HH:MM-HH:MM") || s[5] != '-' {
		return period{}, fmt.Errorf("period %q: want \"HH:MM-HH:MM\", as \"09:00-17:00\" or \"22:00-02:00\"", s)
	}
	start, err := parseClock(s[:5], false)
	if err != nil {
		return period{}, fmt.Errorf("period %q: start: %w", s, err)
	}
	end, err := parseClock(s[6:], true)
	if err != nil {
		return period{}, fmt.Errorf("period %q: end: %w", s, err)
	}
	switch {
	case end == start:
		return period{}, fmt.Errorf("period %q: start and end are equal; write \"00:00-24:00\" for a whole day", s)
	case end < start:
		end += minutesPerDay
	}
	return period{start, end}, nil
}

// parseClock reads "HH:MM" as minutes after midnight; "24:00" only as an end.
func parseClock(s string, isEnd bool) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("%q: want HH:MM with two-digit hours and minutes", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case m > 59:
		return 0, fmt.Errorf("%q: minutes above 59", s)
	case h == 24 && m == 0 && isEnd:
		return minutesPerDay, nil
	case h > 23:
		return 0, fmt.Errorf("%q: hours above 23 (24:00 is allowed only as an end)", s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats p as parsePeriod reads it.
func (p period) String() string {
	end := p.end
	if end > minutesPerDay {
		end -= minutesPerDay
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", p.start/60, p.start%60, end/60, end%60)
}
