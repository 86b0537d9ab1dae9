package testbed

import (
	"fmt"
	"slices"
	"strings"
)

// Member is one of a test configuration's staff: id, name, role and work
// phone, and further settings of theirs (", notify: [...]").
type Member struct{ ID, Name, Role, Phone, Extra string }

// With returns m with further settings.
func (m Member) With(extra string) Member { m.Extra += extra; return m }

// Covers is a member on the rota at a level.
type Covers struct {
	Level  string
	Member Member
}

// On is m on the rota at level.
func On(level string, m Member) Covers { return Covers{Level: level, Member: m} }

// Config is a configuration of one line, main, whose settings after its id
// are line ("name: Day Line, number: ..., timezone: ..."); its staff and
// its rota are rota's, in order; the default policy pages the levels in
// the order the rota names them first, ack (a duration: "5m") each, once.
func Config(line, ack string, rota ...Covers) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lines:\n  - {id: main, %s}\nstaff:\n", line)
	var levels []string
	for _, c := range rota {
		m := c.Member
		fmt.Fprintf(&b, "  - {id: %s, name: %s, role: %s, work_phone: %q%s}\n", m.ID, m.Name, m.Role, m.Phone, m.Extra)
		if !slices.Contains(levels, c.Level) {
			levels = append(levels, c.Level)
		}
	}
	b.WriteString("rota:\n")
	for _, c := range rota {
		fmt.Fprintf(&b, "  - {line: main, level: %s, staff: %s}\n", c.Level, c.Member.ID)
	}
	fmt.Fprintf(&b, "policies:\n  - {id: default, levels: [%s], ack_timeout: %s, rounds: 1}\n", strings.Join(levels, ", "), ack)
	return b.String()
}
