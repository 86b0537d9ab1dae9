// Package notification is the SMS bridge and the pager: it sends workers'
// replies and out-of-hours auto-replies from the line's number, pages the
// on-call duty worker for every escalation, and keeps paging up the
// policy (duty, then backup, then manager, repeated) until someone
// acknowledges. Every send, page and failure is recorded as an event.
package notification

import (
	"fmt"

	"github.com/helpline-org/helpline/internal/config"
)

// Step is one step of an escalation policy: a level in a round.
type Step struct {
	Round int // from 1
	Level int // index into the policy's levels
}

// First is where every escalation starts.
var First = Step{Round: 1, Level: 0}

// Next returns the step after s, or false when the policy is exhausted:
// the levels in order, then the whole sequence again, Rounds times in all.
func Next(p config.Policy, s Step) (Step, bool) {
	if s.Level+1 < len(p.Levels) {
		return Step{Round: s.Round, Level: s.Level + 1}, true
	}
	if s.Round < p.Rounds {
		return Step{Round: s.Round + 1, Level: 0}, true
	}
	return Step{}, false
}

// Policies finds a line's escalation policy.
type Policies struct {
	byID     map[string]config.Policy
	fallback config.Policy
}

// DefaultPolicy pages duty, backup, manager, five minutes each, twice.
var DefaultPolicy = config.Policy{ID: "default", Levels: []string{"duty", "backup", "manager"},
	AckTimeout: config.Duration{Duration: config.DefaultAckTimeout}, Rounds: 2}

// NewPolicies indexes the configured policies.
func NewPolicies(f *config.File) Policies {
	p := Policies{byID: map[string]config.Policy{}, fallback: DefaultPolicy}
	for _, pol := range f.Policies {
		p.byID[pol.ID] = pol
	}
	return p
}

// For returns the policy of a line; the built-in default when the file
// defines none (configuration validation rejects a line naming a missing
// policy when any are defined).
func (p Policies) For(l config.Line) config.Policy {
	if pol, ok := p.byID[l.Policy]; ok {
		return pol
	}
	return p.fallback
}

// String describes a step for logs.
func (s Step) String() string { return fmt.Sprintf("round %d level %d", s.Round, s.Level) }
