package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
)

// RotaDays is how many days the rota page shows, today included.
const RotaDays = 14

// Rotas is the one way to change a line's rota (*events.Rotas).
type Rotas interface {
	Update(ctx context.Context, id string, decide func(*events.Rota) error) (events.Saved[*events.Rota], error)
}

// Rota is a staff member reading a line's rota (the first line when
// Line is empty).
type Rota struct {
	Actor Actor
	Line  string
}

// RotaHandler shows the rota.
type RotaHandler struct{ d *deps }

// Handle returns who is on call at each level of the line now and for the
// next RotaDays days, in the line's zone, with the changes to come.
func (h RotaHandler) Handle(ctx context.Context, q Rota) (views.Rota, error) {
	line, loc, err := h.d.line(q.Line)
	if err != nil {
		return views.Rota{}, err
	}
	ch, err := h.d.Rota.Changes(ctx, line)
	if err != nil {
		return views.Rota{}, fmt.Errorf("%w: rota of %s: %w", ErrUnavailable, line, err)
	}
	r, now := h.d.Rota, h.d.Now()
	l, _ := h.d.File.LineByID(line)
	out := views.Rota{LineID: line, LineName: l.Name, Timezone: loc.String(), Lines: []string{}, Now: []views.OnCallNow{},
		Days: []views.RotaDay{}, Changes: []views.RotaChange{}, Gaps: h.d.gapTexts(ch, line, now), Staff: []views.StaffName{},
		Levels: r.Levels(line), Self: q.Actor.ID, Admin: q.Actor.Role == events.RoleAdmin, FormID: events.NewID()}
	for _, x := range h.d.File.Lines {
		out.Lines = append(out.Lines, x.ID)
	}
	for _, st := range h.d.File.Staff {
		if st.WorkPhone != "" {
			out.Staff = append(out.Staff, views.StaffName{ID: st.ID, Name: st.Name})
		}
	}
	for _, level := range out.Levels {
		out.Now = append(out.Now, views.OnCallNow{Level: level, Names: h.d.names(r.Timeline(ch, line, level, now, now.Add(time.Second))[0].Staff)})
	}
	y, m, d := now.In(loc).Date()
	for i := range RotaDays {
		from, to := time.Date(y, m, d+i, 0, 0, 0, 0, loc), time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
		day := views.RotaDay{Date: from.Format("2006-01-02"), Label: from.Format("Mon 2 Jan")}
		for _, level := range out.Levels {
			rl := views.RotaLevel{Level: level}
			for _, s := range r.Timeline(ch, line, level, from, to) {
				end := s.End.In(loc).Format("15:04")
				if s.End.Equal(to) {
					end = "24:00"
				}
				rl.Slots = append(rl.Slots, views.RotaSlot{From: s.Start.In(loc).Format("15:04"), To: end, Names: h.d.names(s.Staff), Gap: len(s.Staff) == 0})
			}
			day.Levels = append(day.Levels, rl)
		}
		out.Days = append(out.Days, day)
	}
	for _, c := range ch.Active(now) {
		out.Changes = append(out.Changes, views.RotaChange{ID: c.ID, Kind: c.Kind, Summary: h.d.describe(c, loc), By: h.d.name(c.ByStaffID),
			CanCancel: out.Admin || c.Involves(q.Actor.ID) || c.ByStaffID == q.Actor.ID})
	}
	return out, nil
}

// line returns a configured line's id and zone (the first line for "").
func (d *deps) line(id string) (string, *time.Location, error) {
	if id == "" && len(d.File.Lines) > 0 {
		id = d.File.Lines[0].ID
	}
	l, ok := d.File.LineByID(id)
	if !ok {
		return "", nil, fmt.Errorf("line: %w", ErrNotFound)
	}
	loc, err := time.LoadLocation(l.Timezone)
	if err != nil {
		return "", nil, err
	}
	return l.ID, loc, nil
}

func (d *deps) name(id string) string {
	if st, ok := d.Rota.Staff(id); ok {
		return st.Name
	}
	return id
}

func (d *deps) names(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, d.name(id))
	}
	return out
}

const rotaTimeLayout = "Mon 2 Jan 15:04"

func span(p events.Period, loc *time.Location) string {
	return p.Start.In(loc).Format(rotaTimeLayout) + " to " + p.End.In(loc).Format(rotaTimeLayout)
}

// describe says what a change does, in words.
func (d *deps) describe(c events.RotaChange, loc *time.Location) string {
	switch c.Kind {
	case events.ChangeOverride:
		s := d.name(c.StaffID) + " covers " + c.Level
		if c.Replaces != "" {
			s += " for " + d.name(c.Replaces)
		}
		return s + ", " + span(c.Period, loc)
	case events.ChangeSwap:
		return fmt.Sprintf("%s covers %s at %s, %s; %s covers back, %s", d.name(c.WithStaffID), d.name(c.StaffID), c.Level,
			span(c.Period, loc), d.name(c.StaffID), span(c.Return, loc))
	}
	return d.name(c.StaffID) + " is away, " + span(c.Period, loc)
}

// gapTexts says which levels of the line have nobody on call in the next
// day.
func (d *deps) gapTexts(ch *events.Rota, line string, now time.Time) []string {
	_, loc, _ := d.line(line)
	l, _ := d.File.LineByID(line)
	out := []string{}
	for _, g := range d.Rota.Gaps(ch, line, now, now.Add(24*time.Hour)) {
		out = append(out, fmt.Sprintf("Nobody is on call at level %s of %s, %s (%s time).", g.Level, l.Name, span(g.Period, loc), loc))
	}
	return out
}

// RotaGaps returns, for admins' and managers' banner, every level of
// every line with nobody on call in the next 24 hours.
type RotaGapsHandler struct{ d *deps }

// Handle returns the gaps in words.
func (h RotaGapsHandler) Handle(ctx context.Context) ([]string, error) {
	var out []string
	for _, l := range h.d.File.Lines {
		ch, err := h.d.Rota.Changes(ctx, l.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: rota of %s: %w", ErrUnavailable, l.ID, err)
		}
		out = append(out, h.d.gapTexts(ch, l.ID, h.d.Now())...)
	}
	return out, nil
}

// ChangeRota is a duty worker or an admin changing a line's rota: an
// override, a swap or time away. Times are the line's wall clock, as a
// form's datetime-local sends them ("2026-12-12T20:00").
type ChangeRota struct {
	Actor       Actor
	Line        string
	ID          string
	Kind        string
	Level       string
	StaffID     string
	Replaces    string
	WithStaffID string
	Start, End  string
	// ReturnStart and ReturnEnd are the second period of a swap.
	ReturnStart, ReturnEnd string
}

// ChangeRotaHandler records rota changes.
type ChangeRotaHandler struct{ d *deps }

// Handle checks the change against the configuration (line, level, staff
// who can be paged) and records it on the line's rota, where the
// aggregate checks the periods and that a duty worker changes only their
// own time. A refused change records nothing.
func (h ChangeRotaHandler) Handle(ctx context.Context, cmd ChangeRota) error {
	a, line, loc, err := h.d.rotaCommand(cmd.Actor, cmd.Line)
	if err != nil {
		return err
	}
	c := events.RotaChange{ID: cmd.ID, Kind: cmd.Kind, Level: cmd.Level, StaffID: strings.TrimSpace(cmd.StaffID),
		Replaces: strings.TrimSpace(cmd.Replaces), WithStaffID: strings.TrimSpace(cmd.WithStaffID)}
	if c.Period, err = period(cmd.Start, cmd.End, loc); err != nil {
		return err
	}
	var decide func(*events.Rota) error
	m := h.d.meta()
	switch cmd.Kind {
	case events.ChangeOverride:
		decide = func(r *events.Rota) error { return r.AddOverride(a, c, m) }
	case events.ChangeSwap:
		if c.Return, err = period(cmd.ReturnStart, cmd.ReturnEnd, loc); err != nil {
			return err
		}
		decide = func(r *events.Rota) error { return r.Swap(a, c, m) }
	case events.ChangeUnavailability:
		c.Level = ""
		decide = func(r *events.Rota) error { return r.MarkUnavailable(a, c, m) }
	default:
		return badRequest("the change must be an override, a swap or an unavailability")
	}
	if err := h.d.Rota.Check(line, c); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	_, err = h.d.Rotas.Update(ctx, line, decide)
	return rotaError(err)
}

// CancelRotaChange is a duty worker or an admin withdrawing a change.
type CancelRotaChange struct {
	Actor    Actor
	Line     string
	ChangeID string
}

// CancelRotaChangeHandler cancels rota changes.
type CancelRotaChangeHandler struct{ d *deps }

// Handle records the cancellation: a duty worker may cancel only a change
// they are a party to.
func (h CancelRotaChangeHandler) Handle(ctx context.Context, cmd CancelRotaChange) error {
	a, line, _, err := h.d.rotaCommand(cmd.Actor, cmd.Line)
	if err != nil {
		return err
	}
	m := h.d.meta()
	_, err = h.d.Rotas.Update(ctx, line, func(r *events.Rota) error { return r.Cancel(a, cmd.ChangeID, m) })
	return rotaError(err)
}

// rotaCommand opens a command that changes a rota: who changes it (see
// rotaActor), and the line (the first one when lineID is empty) with its
// time zone.
func (d *deps) rotaCommand(actor Actor, lineID string) (events.RotaActor, string, *time.Location, error) {
	a, err := rotaActor(actor)
	if err != nil {
		return a, "", nil, err
	}
	line, loc, err := d.line(lineID)
	return a, line, loc, err
}

// rotaActor: duty workers change their own time, admins anyone's; the
// route table says so too, and this is the command's own check.
func rotaActor(a Actor) (events.RotaActor, error) {
	switch a.Role {
	case events.RoleAdmin:
		return events.RotaActor{StaffID: a.ID, Admin: true}, nil
	case events.RoleDuty:
		return events.RotaActor{StaffID: a.ID}, nil
	}
	return events.RotaActor{}, ErrForbidden
}

// rotaError maps the aggregate's refusals to the console's errors.
func rotaError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, events.ErrNotYours):
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	case errors.Is(err, events.ErrRotaPeriod), errors.Is(err, events.ErrInvalidEnvelope), errors.Is(err, events.ErrInvalidID):
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return err
}

// period reads a form's two datetime-local values in the line's zone.
func period(start, end string, loc *time.Location) (events.Period, error) {
	const layout = "2006-01-02T15:04"
	s, err1 := time.ParseInLocation(layout, strings.TrimSpace(start), loc)
	e, err2 := time.ParseInLocation(layout, strings.TrimSpace(end), loc)
	if err1 != nil || err2 != nil {
		return events.Period{}, badRequest("give a start and an end as date and time (2026-12-12T20:00)")
	}
	return events.Period{Start: s, End: e}, nil
}
