package app

import "github.com/helpline-org/helpline/services/console/views"

// ConfigHandler shows admins the configuration.
type ConfigHandler struct{ d *deps }

// Handle returns the configuration without phone numbers (those stay in
// the file and the pager).
func (h ConfigHandler) Handle() views.Config {
	out := views.Config{Lines: []views.Line{}, Staff: []views.StaffMember{}, Rota: []views.Shift{}}
	for _, l := range h.d.File.Lines {
		out.Lines = append(out.Lines, views.Line{ID: l.ID, Name: l.Name, Timezone: l.Timezone, AlwaysOpen: l.AlwaysOpen,
			FirstResponseTarget: l.FirstResponseTarget.Duration.String(), NextResponseTarget: l.NextResponseTarget.Duration.String(), Policy: l.Policy})
	}
	for _, st := range h.d.File.Staff {
		out.Staff = append(out.Staff, views.StaffMember{ID: st.ID, Name: st.Name, Role: st.Role, Teams: views.NonNil(st.Teams), HasWorkPhone: st.WorkPhone != ""})
	}
	for _, sh := range h.d.File.Rota {
		out.Rota = append(out.Rota, views.Shift{Line: sh.Line, Level: sh.Level, Staff: sh.Staff, Days: views.NonNil(sh.Days), Hours: sh.Hours})
	}
	return out
}
