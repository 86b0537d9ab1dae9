package views

// RotaPage is who is on call at each level of a line, now and for the
// next days, in the line's time zone, with the changes staff made and the
// forms to make more.
type RotaPage struct {
	Chrome
	Rota Rota
	// Done names what was just saved ("override", "swap",
	// "unavailability", "cancelled").
	Done string
}

// Rota is a line's rota as staff see it: names, never numbers.
type Rota struct {
	LineID   string       `json:"line_id"`
	LineName string       `json:"line_name"`
	Lines    []string     `json:"lines"`
	Timezone string       `json:"timezone"`
	Now      []OnCallNow  `json:"now"`
	Days     []RotaDay    `json:"days"`
	Changes  []RotaChange `json:"changes"`
	// Gaps are the spans with nobody on call in the next 24 hours.
	Gaps   []string    `json:"gaps"`
	Staff  []StaffName `json:"staff"`
	Levels []string    `json:"levels"`
	Self   string      `json:"self"`
	Admin  bool        `json:"admin"`
	// FormID is sent with a change, so a form submitted twice is one
	// change.
	FormID string `json:"form_id"`
}

// OnCallNow is who is on call at a level at this moment.
type OnCallNow struct {
	Level string   `json:"level"`
	Names []string `json:"names"`
}

// RotaDay is one day of the rota, midnight to midnight in the line's zone.
type RotaDay struct {
	Date   string      `json:"date"`
	Label  string      `json:"label"`
	Levels []RotaLevel `json:"levels"`
}

// RotaLevel is one level's slots on a day.
type RotaLevel struct {
	Level string     `json:"level"`
	Slots []RotaSlot `json:"slots"`
}

// RotaSlot is a span of a day with the same people on call ("08:00" to
// "20:00"); Gap when nobody is.
type RotaSlot struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Names []string `json:"names"`
	Gap   bool     `json:"gap"`
}

// RotaChange is an override, swap or unavailability still to come or
// under way, in words.
type RotaChange struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Summary   string `json:"summary"`
	By        string `json:"by"`
	CanCancel bool   `json:"can_cancel"`
}

// StaffName is a member of staff who can be put on call.
type StaffName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
