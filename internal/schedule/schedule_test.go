package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones the tests use, whatever the machine has
)

// exampleConfig is the example line of deploy/helpline.example.yaml.
var exampleConfig = Config{
	Timezone: "Europe/London",
	Hours: map[string][]string{
		"monday":    {"09:00-17:00"},
		"tuesday":   {"09:00-17:00"},
		"wednesday": {"09:00-13:00", "14:00-17:00"},
		"thursday":  {"09:00-17:00"},
		"friday":    {"09:00-17:00", "22:00-02:00"},
	},
	Holidays: []string{"2026-12-25", "2026-12-26", "2027-01-01"},
}

func mustNew(t *testing.T, c Config) *Schedule {
	t.Helper()
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at parses a time in zone, "2006-01-02 15:04".
func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// utc parses a UTC time, "2006-01-02 15:04".
func utc(t *testing.T, s string) time.Time { return at(t, "UTC", s) }

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in         string
		start, end int
		err        string
	}{
		{in: "09:00-17:00", start: 540, end: 1020},
		{in: "00:00-24:00", start: 0, end: 1440},
		{in: "22:00-02:00", start: 1320, end: 1560},
		{in: "23:59-00:00", start: 1439, end: 1440},
		{in: "12:30-12:29", start: 750, end: 2189},
		{in: "17:00-24:00", start: 1020, end: 1440},
		{in: "09:00-09:00", err: "equal"},
		{in: "9:00-17:00", err: "HH:MM-HH:MM"},
		{in: "09:00 - 17:00", err: "HH:MM-HH:MM"},
		{in: "09:60-17:00", err: "minutes above 59"},
		{in: "24:00-02:00", err: "24:00 is allowed only as an end"},
		{in: "25:00-02:00", err: "hours above 23"},
		{in: "09:00-24:01", err: "hours above 23"},
		{in: "0a:00-17:00", err: "two-digit"},
		{in: "09:00x17:00", err: "HH:MM-HH:MM"},
		{in: "", err: "HH:MM-HH:MM"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := parsePeriod(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parsePeriod(%q) = %v, %v; want error containing %q", tt.in, p, err, tt.err)
				}
				return
			}
			if err != nil || p.start != tt.start || p.end != tt.end {
				t.Fatalf("parsePeriod(%q) = %+v, %v; want {%d %d}", tt.in, p, err, tt.start, tt.end)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	hours := map[string][]string{"monday": {"09:00-17:00"}}
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{"empty zone", Config{Hours: hours}, `timezone ""`},
		{"local zone", Config{Timezone: "Local", Hours: hours}, `timezone "Local"`},
		{"unknown zone", Config{Timezone: "Europe/Lndon", Hours: hours}, `timezone "Europe/Lndon"`},
		{"bad period", Config{Timezone: "Europe/London", Hours: map[string][]string{"monday": {"9-5"}}}, `monday: period "9-5"`},
		{"unknown weekday", Config{Timezone: "Europe/London", Hours: map[string][]string{"mon": {"09:00-17:00"}}}, `"mon" is not a weekday`},
		{"capitalised weekday", Config{Timezone: "Europe/London", Hours: map[string][]string{"Monday": {"09:00-17:00"}}}, `"Monday" is not a weekday`},
		{"bad date", Config{Timezone: "Europe/London", Hours: hours, Holidays: []string{"2026-13-01"}}, `holiday "2026-13-01"`},
		{"date format", Config{Timezone: "Europe/London", Hours: hours, Holidays: []string{"25/12/2026"}}, `holiday "25/12/2026"`},
		{"no hours", Config{Timezone: "Europe/London"}, "no opening hours"},
		{"always and hours", Config{Timezone: "Europe/London", Hours: hours, AlwaysOpen: true}, "exclusive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v; want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestIsOpen(t *testing.T) {
	const lon, ny = "Europe/London", "America/New_York"
	example := mustNew(t, exampleConfig)
	// The night before a holiday: Friday's late shift stops at midnight.
	cut := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{"friday": {"22:00-02:00"}}, Holidays: []string{"2026-11-28"}})
	// Spring-forward in London: Sunday 2026-03-29, 01:00 GMT becomes 02:00 BST.
	// Fall-back: Sunday 2026-10-25, 02:00 BST becomes 01:00 GMT.
	dstLon := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{
		"saturday": {"22:00-02:00"},
		"sunday":   {"01:30-04:00"},
		"monday":   {"09:00-17:00"},
		"friday":   {"09:00-17:00"},
	}})
	springSat := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{"saturday": {"22:00-02:00"}}})
	fallLon := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{"sunday": {"00:00-01:30"}}})
	// New York: spring-forward Sunday 2026-03-08 02:00 EST → 03:00 EDT;
	// fall-back Sunday 2026-11-01 02:00 EDT → 01:00 EST.
	dstNY := mustNew(t, Config{Timezone: ny, Hours: map[string][]string{
		"monday":   {"09:00-17:00"},
		"friday":   {"09:00-17:00"},
		"saturday": {"22:00-06:00"},
	}})
	always := mustNew(t, Config{Timezone: lon, AlwaysOpen: true, Holidays: []string{"2026-12-25"}})

	tests := []struct {
		name string
		s    *Schedule
		t    time.Time
		want bool
	}{
		{"monday before opening", example, at(t, lon, "2026-11-23 08:59"), false},
		{"monday at opening", example, at(t, lon, "2026-11-23 09:00"), true},
		{"monday last minute", example, at(t, lon, "2026-11-23 16:59"), true},
		{"monday at closing", example, at(t, lon, "2026-11-23 17:00"), false},
		{"monday given in UTC", example, utc(t, "2026-11-23 09:30"), true},
		{"wednesday morning shift", example, at(t, lon, "2026-11-25 12:59"), true},
		{"wednesday lunch gap", example, at(t, lon, "2026-11-25 13:30"), false},
		{"wednesday afternoon shift", example, at(t, lon, "2026-11-25 14:00"), true},
		{"friday evening gap", example, at(t, lon, "2026-11-27 21:59"), false},
		{"friday late shift", example, at(t, lon, "2026-11-27 22:00"), true},
		{"late shift into saturday", example, at(t, lon, "2026-11-28 01:59"), true},
		{"late shift ends", example, at(t, lon, "2026-11-28 02:00"), false},
		{"saturday closed", example, at(t, lon, "2026-11-28 12:00"), false},
		{"sunday closed", example, at(t, lon, "2026-11-29 12:00"), false},
		{"holiday on a friday", example, at(t, lon, "2026-12-25 10:00"), false},
		{"no late shift on a holiday friday", example, at(t, lon, "2026-12-25 23:00"), false},
		{"nor its spill into saturday", example, at(t, lon, "2026-12-26 01:00"), false},
		{"day before a holiday", example, at(t, lon, "2026-12-31 10:00"), true},
		{"new year's day", example, at(t, lon, "2027-01-01 10:00"), false},
		{"late shift before a holiday saturday", cut, at(t, lon, "2026-11-27 23:30"), true},
		{"cut at the holiday's midnight", cut, at(t, lon, "2026-11-28 00:30"), false},
		{"spring: friday before, GMT", dstLon, utc(t, "2026-03-27 09:00"), true},
		{"spring: monday after, BST", dstLon, utc(t, "2026-03-30 08:00"), true},
		{"spring: monday 07:59 UTC is 08:59 BST", dstLon, utc(t, "2026-03-30 07:59"), false},
		{"spring: monday 16:00 UTC is 17:00 BST", dstLon, utc(t, "2026-03-30 16:00"), false},
		{"spring: saturday shift before the jump", dstLon, utc(t, "2026-03-29 00:30"), true},
		{"spring: saturday shift, last GMT minute", springSat, utc(t, "2026-03-29 00:59"), true},
		{"spring: saturday shift ends at 02:00 BST, an hour early", springSat, utc(t, "2026-03-29 01:00"), false},
		{"spring: sunday period in skipped hour opens at the jump", dstLon, utc(t, "2026-03-29 01:00"), true},
		{"spring: sunday 03:59 BST", dstLon, utc(t, "2026-03-29 02:59"), true},
		{"spring: sunday 04:00 BST", dstLon, utc(t, "2026-03-29 03:00"), false},
		{"fall: saturday shift, first 01:30", dstLon, utc(t, "2026-10-25 00:30"), true},
		{"fall: saturday shift, second 01:30", dstLon, utc(t, "2026-10-25 01:30"), true},
		{"fall: saturday shift ends 02:00 GMT", dstLon, utc(t, "2026-10-25 02:00"), true}, // sunday 01:30-04:00 runs on
		{"fall: sunday period to 04:00 GMT", dstLon, utc(t, "2026-10-25 03:59"), true},
		{"fall: sunday period ends", dstLon, utc(t, "2026-10-25 04:00"), false},
		{"fall: ends at first 01:30", fallLon, utc(t, "2026-10-25 00:29"), true},
		{"fall: closed from first 01:30", fallLon, utc(t, "2026-10-25 00:30"), false},
		{"fall: closed in repeated hour", fallLon, utc(t, "2026-10-25 01:15"), false},
		{"ny: friday EST", dstNY, utc(t, "2026-03-06 14:00"), true},
		{"ny: friday 13:59 UTC is 08:59 EST", dstNY, utc(t, "2026-03-06 13:59"), false},
		{"ny: monday EDT", dstNY, utc(t, "2026-03-09 13:00"), true},
		{"ny: monday 12:59 UTC is 08:59 EDT", dstNY, utc(t, "2026-03-09 12:59"), false},
		{"ny: night shift across spring-forward", dstNY, utc(t, "2026-03-08 09:59"), true}, // 05:59 EDT
		{"ny: night shift ends 06:00 EDT", dstNY, utc(t, "2026-03-08 10:00"), false},
		{"ny: night shift across fall-back", dstNY, utc(t, "2026-11-01 10:59"), true}, // 05:59 EST
		{"ny: ends 06:00 EST", dstNY, utc(t, "2026-11-01 11:00"), false},
		{"always open", always, at(t, lon, "2026-12-24 03:00"), true},
		{"always open but for a holiday", always, at(t, lon, "2026-12-25 12:00"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.IsOpen(tt.t); got != tt.want {
				t.Errorf("IsOpen(%s) = %v, want %v", tt.t.In(tt.s.Location()).Format(time.RFC3339), got, tt.want)
			}
		})
	}
}

func TestNextOpenAndClosedPeriod(t *testing.T) {
	const lon, ny = "Europe/London", "America/New_York"
	example := mustNew(t, exampleConfig)
	spill := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{"saturday": {"22:00-02:00"}, "sunday": {"00:30-01:00"}, "monday": {"09:00-10:00"}}})
	weekdays := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{
		"monday": {"00:00-24:00"}, "tuesday": {"00:00-24:00"}, "wednesday": {"00:00-24:00"},
		"thursday": {"00:00-24:00"}, "friday": {"00:00-24:00"},
	}})
	dstNY := mustNew(t, Config{Timezone: ny, Hours: map[string][]string{"saturday": {"22:00-06:00"}, "monday": {"09:00-17:00"}}})
	springLon := mustNew(t, Config{Timezone: lon, Hours: map[string][]string{"sunday": {"01:30-04:00"}}})

	tests := []struct {
		name            string
		s               *Schedule
		t               time.Time
		open            bool
		start, next     time.Time // the closed period, when closed
		describeNext    string
		describeFromNow string
	}{
		{"friday evening gap", example, at(t, lon, "2026-11-27 17:30"), false,
			at(t, lon, "2026-11-27 17:00"), at(t, lon, "2026-11-27 22:00"), "Friday at 22:00, London time", "Friday at 22:00, London time"},
		{"weekend after the late shift", example, at(t, lon, "2026-11-28 03:00"), false,
			at(t, lon, "2026-11-28 02:00"), at(t, lon, "2026-11-30 09:00"), "Monday at 09:00, London time", "Monday at 09:00, London time"},
		{"sunday is the same closed period", example, at(t, lon, "2026-11-29 23:00"), false,
			at(t, lon, "2026-11-28 02:00"), at(t, lon, "2026-11-30 09:00"), "Monday at 09:00, London time", "Monday at 09:00, London time"},
		{"wednesday lunch", example, at(t, lon, "2026-11-25 13:15"), false,
			at(t, lon, "2026-11-25 13:00"), at(t, lon, "2026-11-25 14:00"), "Wednesday at 14:00, London time", "Wednesday at 14:00, London time"},
		{"christmas", example, at(t, lon, "2026-12-25 12:00"), false,
			at(t, lon, "2026-12-24 17:00"), at(t, lon, "2026-12-28 09:00"), "Monday at 09:00, London time", "Monday at 09:00, London time"},
		{"open now", example, at(t, lon, "2026-11-23 10:00"), true, time.Time{}, time.Time{}, "", ""},
		{"spill ends after the day's own period", spill, at(t, lon, "2026-11-29 03:00"), false,
			at(t, lon, "2026-11-29 02:00"), at(t, lon, "2026-11-30 09:00"), "Monday at 09:00, London time", "Monday at 09:00, London time"},
		{"whole days merge into one open stretch", weekdays, at(t, lon, "2026-11-28 12:00"), false,
			at(t, lon, "2026-11-28 00:00"), at(t, lon, "2026-11-30 00:00"), "Monday at 00:00, London time", "Monday at 00:00, London time"},
		{"ny: after a night shift across spring-forward", dstNY, utc(t, "2026-03-08 12:00"), false,
			utc(t, "2026-03-08 10:00"), utc(t, "2026-03-09 13:00"), "Monday at 09:00, New York time", "Monday at 09:00, New York time"},
		{"ny: before it", dstNY, utc(t, "2026-03-07 12:00"), false,
			utc(t, "2026-03-02 22:00"), utc(t, "2026-03-08 03:00"), "Saturday at 22:00, New York time", "Saturday at 22:00, New York time"},
		{"london: opening in the skipped hour is at the jump", springLon, utc(t, "2026-03-29 00:30"), false,
			utc(t, "2026-03-22 04:00"), utc(t, "2026-03-29 01:00"), "Sunday at 02:00, London time", "Sunday at 02:00, London time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end, ok := tt.s.ClosedPeriod(tt.t)
			if ok == tt.open {
				t.Fatalf("ClosedPeriod ok = %v, want %v", ok, !tt.open)
			}
			next, found := tt.s.NextOpen(tt.t)
			if tt.open {
				if !found || !next.Equal(tt.t) {
					t.Errorf("NextOpen while open = %v, %v; want t itself", next, found)
				}
				return
			}
			if !start.Equal(tt.start) || !end.Equal(tt.next) {
				t.Errorf("ClosedPeriod = [%s, %s), want [%s, %s)", start.UTC(), end.UTC(), tt.start.UTC(), tt.next.UTC())
			}
			if !found || !next.Equal(tt.next) {
				t.Errorf("NextOpen = %s, %v; want %s", next.UTC(), found, tt.next.UTC())
			}
			if got := tt.s.Describe(next); got != tt.describeNext {
				t.Errorf("Describe = %q, want %q", got, tt.describeNext)
			}
			if got := tt.s.DescribeFrom(tt.t, next); got != tt.describeFromNow {
				t.Errorf("DescribeFrom = %q, want %q", got, tt.describeFromNow)
			}
		})
	}
}

func TestDescribeFromFarAhead(t *testing.T) {
	s := mustNew(t, Config{Timezone: "America/Argentina/Buenos_Aires", Hours: map[string][]string{"monday": {"09:00-17:00"}}})
	now := at(t, "America/Argentina/Buenos_Aires", "2026-12-20 10:00")
	next := at(t, "America/Argentina/Buenos_Aires", "2027-01-04 09:00")
	if got, want := s.DescribeFrom(now, next), "Monday 4 January at 09:00, Buenos Aires time"; got != want {
		t.Errorf("DescribeFrom = %q, want %q", got, want)
	}
}

func TestNeverOpensWithinAYear(t *testing.T) {
	// Open only on 2026-11-23's weekday, with every such day a holiday.
	var hols []string
	for d := at(t, "UTC", "2026-11-23 00:00"); d.Year() < 2028; d = d.AddDate(0, 0, 7) {
		hols = append(hols, d.Format(time.DateOnly))
	}
	s := mustNew(t, Config{Timezone: "UTC", Hours: map[string][]string{"monday": {"09:00-17:00"}}, Holidays: hols})
	now := utc(t, "2026-11-24 12:00")
	if next, ok := s.NextOpen(now); ok {
		t.Errorf("NextOpen = %v, true; want false", next)
	}
	start, end, ok := s.ClosedPeriod(now)
	if !ok || !end.IsZero() || !start.Equal(utc(t, "2026-11-16 17:00")) {
		t.Errorf("ClosedPeriod = %v, %v, %v; want the last close and a zero end", start, end, ok)
	}
}

// FuzzParsePeriod checks the hours parser never panics, and that what it
// accepts is a well-formed period that formats back to the same text.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"09:00-17:00", "22:00-02:00", "00:00-24:00", "24:00-01:00", "9:00-17:00", "23:59-23:58", "ab:cd-ef:gh", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePeriod(s)
		if err != nil {
			return
		}
		if p.start < 0 || p.start >= minutesPerDay || p.end <= p.start || p.end > p.start+minutesPerDay {
			t.Fatalf("parsePeriod(%q) = %+v: out of range", s, p)
		}
		if got := p.String(); got != s && !(s[6:] == "00:00" && got[6:] == "24:00") {
			t.Fatalf("parsePeriod(%q).String() = %q", s, got)
		}
	})
}

func TestIntervals(t *testing.T) {
	t.Parallel()
	s := mustNew(t, exampleConfig)
	tests := []struct {
		name, from, to string
		want           []string // "start/end" in London time
	}{
		{"a split day", "2026-12-02 00:00", "2026-12-03 00:00", []string{"2026-12-02 09:00/2026-12-02 13:00", "2026-12-02 14:00/2026-12-02 17:00"}},
		{"clipped at both ends", "2026-12-02 10:00", "2026-12-02 15:00", []string{"2026-12-02 10:00/2026-12-02 13:00", "2026-12-02 14:00/2026-12-02 15:00"}},
		{"a late shift into Saturday", "2026-12-05 00:00", "2026-12-05 12:00", []string{"2026-12-05 00:00/2026-12-05 02:00"}},
		{"a holiday", "2026-12-25 00:00", "2026-12-26 00:00", nil},
		{"a closed weekend", "2026-12-05 03:00", "2026-12-07 00:00", nil},
	}
	for _, tc := range tests {
		got := s.Intervals(at(t, "Europe/London", tc.from), at(t, "Europe/London", tc.to))
		var gs []string
		for _, iv := range got {
			gs = append(gs, iv.Start.In(s.Location()).Format("2006-01-02 15:04")+"/"+iv.End.In(s.Location()).Format("2006-01-02 15:04"))
		}
		if strings.Join(gs, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.name, gs, tc.want)
		}
	}
}
