package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// A line's changes to its configured rota are events of the rota
// aggregate, subject helpline.events.rota.<line id>: who covers whom,
// swaps, who is away, and which gaps were warned about. The weekly rota
// itself stays in the configuration; package oncall combines the two.
// Payloads carry staff ids, never names, numbers or reasons in words.

// Period is a span of time, [Start, End).
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t is within the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// Overlaps reports whether two periods share an instant.
func (p Period) Overlaps(q Period) bool { return p.Start.Before(q.End) && q.Start.Before(p.End) }

// RotaOverrideAdded records that StaffID is on call at Level throughout
// the period, in place of ReplacesStaffID when given ("I'll cover Sam's
// night on the 12th").
type RotaOverrideAdded struct {
	ChangeID        string    `json:"change_id"`
	Level           string    `json:"level"`
	StaffID         string    `json:"staff_id"`
	ReplacesStaffID string    `json:"replaces_staff_id,omitempty"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	ByStaffID       string    `json:"by_staff_id"`
}

// RotaSwapRecorded records two people exchanging time at a level:
// WithStaffID covers StaffID during the first period, and StaffID covers
// WithStaffID during the return period.
type RotaSwapRecorded struct {
	ChangeID    string    `json:"change_id"`
	Level       string    `json:"level"`
	StaffID     string    `json:"staff_id"`
	WithStaffID string    `json:"with_staff_id"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	ReturnStart time.Time `json:"return_start"`
	ReturnEnd   time.Time `json:"return_end"`
	ByStaffID   string    `json:"by_staff_id"`
}

// RotaUnavailabilityRecorded records that StaffID cannot be paged at any
// level of the line during the period, whatever the rota or an override
// says. No reason is recorded: it may be about someone's health.
type RotaUnavailabilityRecorded struct {
	ChangeID  string    `json:"change_id"`
	StaffID   string    `json:"staff_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	ByStaffID string    `json:"by_staff_id"`
}

// RotaChangeCancelled records that an override, swap or unavailability no
// longer applies.
type RotaChangeCancelled struct {
	ChangeID  string `json:"change_id"`
	ByStaffID string `json:"by_staff_id"`
}

// RotaGapWarned records that the line's admin contacts were told that
// nobody is on call at Level during the period (as far as it was known
// when warned: up to a day ahead).
type RotaGapWarned struct {
	Level    string    `json:"level"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Notified int       `json:"notified"`
}

var _ = []bool{
	register(AggregateRota, TypeRotaOverrideAdded, 1, "A staff member covers a level of a line's rota for a period, in place of someone when named.",
		func() Payload {
			return RotaOverrideAdded{ChangeID: "ch1", Level: "duty", StaffID: "robin", ReplacesStaffID: "sam",
				Start: time.Date(2026, 12, 12, 20, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 13, 8, 0, 0, 0, time.UTC), ByStaffID: "robin"}
		}),
	register(AggregateRota, TypeRotaSwapRecorded, 1, "Two staff members swap time at a level: each covers the other for one of two periods.",
		func() Payload {
			return RotaSwapRecorded{ChangeID: "ch2", Level: "duty", StaffID: "sam", WithStaffID: "robin",
				Start: time.Date(2026, 12, 12, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 12, 20, 0, 0, 0, time.UTC),
				ReturnStart: time.Date(2026, 12, 14, 20, 0, 0, 0, time.UTC), ReturnEnd: time.Date(2026, 12, 15, 8, 0, 0, 0, time.UTC), ByStaffID: "sam"}
		}),
	register(AggregateRota, TypeRotaUnavailabilityRecorded, 1, "A staff member cannot be paged at any level of the line for a period.",
		func() Payload {
			return RotaUnavailabilityRecorded{ChangeID: "ch3", StaffID: "sam", Start: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC),
				End: time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC), ByStaffID: "ada"}
		}),
	register(AggregateRota, TypeRotaChangeCancelled, 1, "An override, swap or unavailability no longer applies.",
		func() Payload { return RotaChangeCancelled{ChangeID: "ch1", ByStaffID: "ada"} }),
	register(AggregateRota, TypeRotaGapWarned, 1, "The line's admin contacts were told that nobody is on call at a level for a period.",
		func() Payload {
			return RotaGapWarned{Level: "backup", Start: time.Date(2026, 12, 12, 20, 0, 0, 0, time.UTC),
				End: time.Date(2026, 12, 13, 8, 0, 0, 0, time.UTC), Notified: 1}
		}),
}

// Kinds of rota change.
const (
	ChangeOverride       = "override"
	ChangeSwap           = "swap"
	ChangeUnavailability = "unavailability"
)

// RotaChange is one override, swap or unavailability as the rota holds it.
// An override sets Level, StaffID, Replaces and Period; a swap also
// WithStaffID and Return; an unavailability only StaffID and Period.
type RotaChange struct {
	ID          string
	Kind        string
	Level       string
	StaffID     string
	Replaces    string
	WithStaffID string
	Period      Period
	Return      Period
	ByStaffID   string
	Cancelled   bool
}

// Involves reports whether staffID is a party to the change.
func (c RotaChange) Involves(staffID string) bool {
	return staffID != "" && (c.StaffID == staffID || c.Replaces == staffID || c.WithStaffID == staffID)
}

// Cover is one person on call at a level for a period, in place of
// another when Replaces is set: what overrides and swaps come down to.
type Cover struct {
	Level    string
	StaffID  string
	Replaces string
	Period   Period
}

// Covers returns what the change puts on the rota (nothing for an
// unavailability).
func (c RotaChange) Covers() []Cover {
	switch c.Kind {
	case ChangeOverride:
		return []Cover{{Level: c.Level, StaffID: c.StaffID, Replaces: c.Replaces, Period: c.Period}}
	case ChangeSwap:
		return []Cover{{Level: c.Level, StaffID: c.WithStaffID, Replaces: c.StaffID, Period: c.Period},
			{Level: c.Level, StaffID: c.StaffID, Replaces: c.WithStaffID, Period: c.Return}}
	}
	return nil
}

// Rota is a line's changes to its configured rota, folded from its
// events. Like the other aggregates, Apply only changes state; command
// methods validate, then record events that the Rotas repository appends
// with Version as the expected sequence. What staff and levels exist is
// the configuration's to say (package oncall checks it); the aggregate
// checks the periods and who may change whose time.
type Rota struct {
	LineID  string
	Changes []RotaChange
	// Warned are the gaps the admin contacts were told about.
	Warned []RotaGapWarned

	recording
}

// NewRota returns a line's rota with no changes.
func NewRota(lineID string) *Rota { return &Rota{LineID: lineID} }

// Apply folds one stored event into the state.
func (r *Rota) Apply(e Envelope) error { return r.applyStored(e, r.apply) }

func (r *Rota) apply(p Payload, _ Envelope) {
	switch p := p.(type) {
	case RotaOverrideAdded:
		r.Changes = append(r.Changes, RotaChange{ID: p.ChangeID, Kind: ChangeOverride, Level: p.Level, StaffID: p.StaffID,
			Replaces: p.ReplacesStaffID, Period: Period{p.Start, p.End}, ByStaffID: p.ByStaffID})
	case RotaSwapRecorded:
		r.Changes = append(r.Changes, RotaChange{ID: p.ChangeID, Kind: ChangeSwap, Level: p.Level, StaffID: p.StaffID,
			WithStaffID: p.WithStaffID, Period: Period{p.Start, p.End}, Return: Period{p.ReturnStart, p.ReturnEnd}, ByStaffID: p.ByStaffID})
	case RotaUnavailabilityRecorded:
		r.Changes = append(r.Changes, RotaChange{ID: p.ChangeID, Kind: ChangeUnavailability, StaffID: p.StaffID,
			Period: Period{p.Start, p.End}, ByStaffID: p.ByStaffID})
	case RotaChangeCancelled:
		if i := r.change(p.ChangeID); i >= 0 {
			r.Changes[i].Cancelled = true
		}
	case RotaGapWarned:
		r.Warned = append(r.Warned, p)
	}
}

func (r *Rota) change(id string) int {
	return slices.IndexFunc(r.Changes, func(c RotaChange) bool { return c.ID == id })
}

// Clone returns a deep copy, for a cache to hand out.
func (r *Rota) Clone() *Rota {
	c := *r
	c.Changes = slices.Clone(r.Changes)
	c.Warned = slices.Clone(r.Warned)
	c.recording = r.recording.clone()
	return &c
}

// Active returns the changes in force at some instant from t on, not
// cancelled, in the order they were made.
func (r *Rota) Active(t time.Time) []RotaChange {
	var out []RotaChange
	for _, c := range r.Changes {
		if !c.Cancelled && (c.Period.End.After(t) || c.Kind == ChangeSwap && c.Return.End.After(t)) {
			out = append(out, c)
		}
	}
	return out
}

// GapWarned reports whether a gap at level overlapping p was warned of
// already: a gap is warned once, however its ends move as time passes.
func (r *Rota) GapWarned(level string, p Period) bool {
	return slices.ContainsFunc(r.Warned, func(w RotaGapWarned) bool { return w.Level == level && Period{w.Start, w.End}.Overlaps(p) })
}

// Errors from rota commands.
var (
	// ErrRotaPeriod is a period that is not in the future, ends before it
	// starts, or is too long.
	ErrRotaPeriod = errors.New("invalid period")
	// ErrNotYours is a duty worker changing someone else's time.
	ErrNotYours = errors.New("you may change only your own time on the rota")
)

// MaxRotaPeriod is the longest period one change may span.
const MaxRotaPeriod = 92 * 24 * time.Hour

// rotaStartSlack is how far in the past a period may start: a form filled
// in "from now" reaches the server a little after it was written.
const rotaStartSlack = 10 * time.Minute

// RotaActor is who makes a change, and whether they may make it for
// anyone (an admin) or only for themselves (a duty worker).
type RotaActor struct {
	StaffID string
	Admin   bool
}

// may checks that a duty worker is a party to the change they make: they
// cover, they swap, they are away. Admins may make any change.
func (a RotaActor) may(parties ...string) error {
	if a.Admin || slices.Contains(parties, a.StaffID) && a.StaffID != "" {
		return nil
	}
	return ErrNotYours
}

// checkPeriod requires a period that ends after it starts, is not over
// (nor started more than a few minutes before now) and spans at most
// MaxRotaPeriod.
func checkPeriod(name string, p Period, now time.Time) error {
	switch {
	case p.Start.IsZero() || p.End.IsZero():
		return fmt.Errorf("%w: %s needs a start and an end", ErrRotaPeriod, name)
	case !p.End.After(p.Start):
		return fmt.Errorf("%w: %s must end after it starts", ErrRotaPeriod, name)
	case p.Start.Before(now.Add(-rotaStartSlack)):
		return fmt.Errorf("%w: %s must be in the future", ErrRotaPeriod, name)
	case p.End.Sub(p.Start) > MaxRotaPeriod:
		return fmt.Errorf("%w: %s may span at most %d days", ErrRotaPeriod, name, int(MaxRotaPeriod/(24*time.Hour)))
	}
	return nil
}

func (r *Rota) record(p Payload, m Meta) error {
	return r.recording.record(NewID(), r.LineID, p, m, r.apply)
}

func requireIDs(ids ...string) error {
	for _, id := range ids {
		if err := ValidateID(id); err != nil {
			return fmt.Errorf("staff id: %w", err)
		}
	}
	return nil
}

// AddOverride records that c.StaffID covers c.Level for c.Period, in
// place of c.Replaces when given. A duty worker may add only an override
// in which they are the one who covers. The change's id is c.ID when set
// (a form's id, so a double submission is one change).
func (r *Rota) AddOverride(a RotaActor, c RotaChange, m Meta) error {
	if err := requireIDs(c.StaffID); err != nil {
		return err
	}
	if c.Replaces == c.StaffID {
		c.Replaces = ""
	}
	if err := a.may(c.StaffID); err != nil {
		return err
	}
	if c.Level == "" {
		return fmt.Errorf("%w: an override needs a level", ErrInvalidEnvelope)
	}
	if err := checkPeriod("the cover", c.Period, m.OccurredAt); err != nil {
		return err
	}
	id, seen := r.changeID(c.ID)
	if seen {
		return nil
	}
	return r.record(RotaOverrideAdded{ChangeID: id, Level: c.Level, StaffID: c.StaffID, ReplacesStaffID: c.Replaces,
		Start: c.Period.Start.UTC(), End: c.Period.End.UTC(), ByStaffID: a.StaffID}, m)
}

// Swap records that c.WithStaffID covers c.StaffID at c.Level during
// c.Period and c.StaffID covers c.WithStaffID during c.Return. A duty
// worker may record only a swap they are a party to.
func (r *Rota) Swap(a RotaActor, c RotaChange, m Meta) error {
	if err := requireIDs(c.StaffID, c.WithStaffID); err != nil {
		return err
	}
	if c.StaffID == c.WithStaffID {
		return fmt.Errorf("%w: a swap needs two different people", ErrInvalidEnvelope)
	}
	if err := a.may(c.StaffID, c.WithStaffID); err != nil {
		return err
	}
	if c.Level == "" {
		return fmt.Errorf("%w: a swap needs a level", ErrInvalidEnvelope)
	}
	if err := checkPeriod("the first period", c.Period, m.OccurredAt); err != nil {
		return err
	}
	if err := checkPeriod("the return period", c.Return, m.OccurredAt); err != nil {
		return err
	}
	id, seen := r.changeID(c.ID)
	if seen {
		return nil
	}
	return r.record(RotaSwapRecorded{ChangeID: id, Level: c.Level, StaffID: c.StaffID, WithStaffID: c.WithStaffID,
		Start: c.Period.Start.UTC(), End: c.Period.End.UTC(), ReturnStart: c.Return.Start.UTC(), ReturnEnd: c.Return.End.UTC(),
		ByStaffID: a.StaffID}, m)
}

// MarkUnavailable records that c.StaffID cannot be paged during c.Period.
// A duty worker may mark only themselves.
func (r *Rota) MarkUnavailable(a RotaActor, c RotaChange, m Meta) error {
	if err := requireIDs(c.StaffID); err != nil {
		return err
	}
	if err := a.may(c.StaffID); err != nil {
		return err
	}
	if err := checkPeriod("the time away", c.Period, m.OccurredAt); err != nil {
		return err
	}
	id, seen := r.changeID(c.ID)
	if seen {
		return nil
	}
	return r.record(RotaUnavailabilityRecorded{ChangeID: id, StaffID: c.StaffID, Start: c.Period.Start.UTC(), End: c.Period.End.UTC(),
		ByStaffID: a.StaffID}, m)
}

// Cancel records that a change no longer applies. A duty worker may
// cancel only a change they are a party to; cancelling twice records
// nothing.
func (r *Rota) Cancel(a RotaActor, changeID string, m Meta) error {
	i := r.change(changeID)
	if i < 0 {
		return fmt.Errorf("rota change %s: %w", changeID, ErrNotFound)
	}
	c := r.Changes[i]
	if err := a.may(c.StaffID, c.Replaces, c.WithStaffID, c.ByStaffID); err != nil {
		return err
	}
	if c.Cancelled {
		return nil
	}
	return r.record(RotaChangeCancelled{ChangeID: changeID, ByStaffID: a.StaffID}, m)
}

// WarnGap records that the admin contacts were told of a gap at level;
// a gap overlapping one warned of before records nothing.
func (r *Rota) WarnGap(level string, p Period, notified int, m Meta) error {
	if r.GapWarned(level, p) {
		return nil
	}
	return r.record(RotaGapWarned{Level: level, Start: p.Start.UTC(), End: p.End.UTC(), Notified: notified}, m)
}

// changeID returns the id for a new change (a fresh one when id is empty)
// and whether a change with that id was recorded already.
func (r *Rota) changeID(id string) (string, bool) {
	if id == "" || ValidateID(id) != nil {
		return NewID(), false
	}
	return id, r.change(id) >= 0
}

// LoadRota folds a line's rota changes from the log.
func LoadRota(ctx context.Context, l Loader, lineID string) (*Rota, error) {
	r, _, err := fold(ctx, l, AggregateRota, lineID, NewRota)
	return r, err
}

// Rotas is the rota repository: the one way to change a line's rota.
type Rotas struct {
	repository[*Rota]
}

// NewRotas returns a repository over log; a line's rota changes are few,
// so it loads each whole.
func NewRotas(log HistoryLog) *Rotas {
	return &Rotas{repository[*Rota]{aggregate: AggregateRota, log: log,
		load: func(ctx context.Context, id string) (*Rota, error) { return LoadRota(ctx, log, id) }, empty: NewRota}}
}
