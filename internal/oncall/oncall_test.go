package oncall_test

import (
	"slices"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/oncall"
)

const rotaConfig = `
lines:
  - {id: main, name: Main, number: "+442079460000", timezone: Europe/London, always_open: true}
staff:
  - {id: sam, name: Sam, role: duty, work_phone: "+447700900101"}
  - {id: robin, name: Robin, role: duty, work_phone: "+447700900102"}
  - {id: kim, name: Kim, role: manager, work_phone: "+447700900103"}
  - {id: ada, name: Ada, role: admin}
rota:
  - {line: main, level: duty, staff: sam, hours: "08:00-20:00"}
  - {line: main, level: duty, staff: robin, hours: "20:00-08:00"}
  - {line: main, level: backup, staff: kim, hours: "08:00-20:00"}
policies:
  - {id: default, levels: [duty, backup], ack_timeout: 5m, rounds: 1}
`

// london parses a wall-clock time in the line's zone (GMT in December).
func london(t *testing.T, s string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation("Europe/London")
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ids(st []config.Staff) []string {
	out := []string{}
	for _, s := range st {
		out = append(out, s.ID)
	}
	return out
}

func TestOnCallAppliesChangesInOrder(t *testing.T) {
	f, err := config.ParseFile([]byte(rotaConfig))
	if err != nil {
		t.Fatal(err)
	}
	r, err := oncall.New(f)
	if err != nil {
		t.Fatal(err)
	}
	now := london(t, "2026-12-10 12:00")
	m := events.Meta{OccurredAt: now}
	admin := events.RotaActor{StaffID: "ada", Admin: true}
	ch := events.NewRota("main")
	// Robin covers Sam's day on the 12th; Sam is away on the 14th;
	// Robin and Sam swap the night of the 15th for the day of the 16th.
	must(t, ch.AddOverride(events.RotaActor{StaffID: "robin"}, events.RotaChange{Level: "duty", StaffID: "robin", Replaces: "sam",
		Period: events.Period{Start: london(t, "2026-12-12 08:00"), End: london(t, "2026-12-12 20:00")}}, m))
	must(t, ch.MarkUnavailable(admin, events.RotaChange{StaffID: "sam",
		Period: events.Period{Start: london(t, "2026-12-14 00:00"), End: london(t, "2026-12-15 00:00")}}, m))
	must(t, ch.Swap(events.RotaActor{StaffID: "sam"}, events.RotaChange{Level: "duty", StaffID: "robin", WithStaffID: "sam",
		Period: events.Period{Start: london(t, "2026-12-15 20:00"), End: london(t, "2026-12-16 08:00")},
		Return: events.Period{Start: london(t, "2026-12-16 08:00"), End: london(t, "2026-12-16 20:00")}}, m))
	tests := []struct {
		at, level string
		want      []string
	}{
		{"2026-12-11 09:00", "duty", []string{"sam"}},
		{"2026-12-12 09:00", "duty", []string{"robin"}},
		{"2026-12-12 21:00", "duty", []string{"robin"}},
		{"2026-12-13 09:00", "duty", []string{"sam"}},
		{"2026-12-14 09:00", "duty", []string{}},
		{"2026-12-15 23:00", "duty", []string{"sam"}},
		{"2026-12-16 09:00", "duty", []string{"robin"}},
		{"2026-12-16 09:00", "backup", []string{"kim"}},
		{"2026-12-16 21:00", "backup", []string{}},
	}
	for _, tc := range tests {
		if got := ids(r.OnCall(ch, "main", tc.level, london(t, tc.at))); !slices.Equal(got, tc.want) {
			t.Errorf("%s at %s: %v, want %v", tc.level, tc.at, got, tc.want)
		}
	}
	// Cancelled, the override no longer applies.
	must(t, ch.Cancel(events.RotaActor{StaffID: "sam"}, ch.Changes[0].ID, m))
	if got := ids(r.OnCall(ch, "main", "duty", london(t, "2026-12-12 09:00"))); !slices.Equal(got, []string{"sam"}) {
		t.Errorf("after the cancel: %v", got)
	}
	// Gaps: the day Sam is away (08:00-20:00 on the 14th) and the
	// backup level's nights.
	gaps := r.Gaps(ch, "main", london(t, "2026-12-14 06:00"), london(t, "2026-12-15 06:00"))
	want := []oncall.Gap{
		{Level: "duty", Period: events.Period{Start: london(t, "2026-12-14 08:00"), End: london(t, "2026-12-14 20:00")}},
		{Level: "backup", Period: events.Period{Start: london(t, "2026-12-14 06:00"), End: london(t, "2026-12-14 08:00")}},
		{Level: "backup", Period: events.Period{Start: london(t, "2026-12-14 20:00"), End: london(t, "2026-12-15 06:00")}},
	}
	if len(gaps) != len(want) {
		t.Fatalf("gaps %v, want %v", gaps, want)
	}
	for i := range want {
		if gaps[i].Level != want[i].Level || !gaps[i].Period.Start.Equal(want[i].Period.Start) || !gaps[i].Period.End.Equal(want[i].Period.End) {
			t.Errorf("gap %d: %v, want %v", i, gaps[i], want[i])
		}
	}
}

func TestChangesRefused(t *testing.T) {
	f, _ := config.ParseFile([]byte(rotaConfig))
	r, _ := oncall.New(f)
	now := london(t, "2026-12-10 12:00")
	m := events.Meta{OccurredAt: now}
	p := events.Period{Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)}
	ch := events.NewRota("main")
	tests := []struct {
		name string
		err  error
	}{
		{"someone else's cover", ch.AddOverride(events.RotaActor{StaffID: "robin"}, events.RotaChange{Level: "duty", StaffID: "sam", Period: p}, m)},
		{"someone else away", ch.MarkUnavailable(events.RotaActor{StaffID: "robin"}, events.RotaChange{StaffID: "sam", Period: p}, m)},
		{"in the past", ch.AddOverride(events.RotaActor{Admin: true}, events.RotaChange{Level: "duty", StaffID: "sam",
			Period: events.Period{Start: now.Add(-time.Hour), End: now.Add(time.Hour)}}, m)},
		{"ends first", ch.AddOverride(events.RotaActor{Admin: true}, events.RotaChange{Level: "duty", StaffID: "sam",
			Period: events.Period{Start: p.End, End: p.Start}}, m)},
		{"unknown level", r.Check("main", events.RotaChange{Kind: events.ChangeOverride, Level: "nope", StaffID: "sam", Period: p})},
		{"unknown staff", r.Check("main", events.RotaChange{Kind: events.ChangeOverride, Level: "duty", StaffID: "zed", Period: p})},
		{"no phone", r.Check("main", events.RotaChange{Kind: events.ChangeOverride, Level: "duty", StaffID: "ada", Period: p})},
	}
	for _, tc := range tests {
		if tc.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if len(ch.Pending()) != 0 {
		t.Errorf("refused changes recorded %d events", len(ch.Pending()))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
