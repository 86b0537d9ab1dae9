package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/helpline-org/helpline/events"
)

// Channels a notification rule pages by.
const (
	NotifySMS  = events.PageBySMS
	NotifyCall = events.PageByCall
)

// NotifyRule is one step of how a person is paged at an escalation step:
// by SMS or by a voice call, After the step paged them (with no
// acknowledgement meanwhile). Written in YAML as a one-key map:
// `{sms: 0m}`, `{call: 2m}`.
type NotifyRule struct {
	Channel string
	After   Duration
}

// DefaultNotify is what a person without rules gets: an SMS at once.
var DefaultNotify = []NotifyRule{{Channel: NotifySMS}}

// MaxNotifyRules bounds a person's rules.
const MaxNotifyRules = events.MaxNotifyRules

// UnmarshalYAML reads `{sms: 0m}` or `{call: 2m}`.
func (r *NotifyRule) UnmarshalYAML(n *yaml.Node) error {
	var m map[string]string
	if err := n.Decode(&m); err != nil || len(m) != 1 {
		return fmt.Errorf("line %d: a notification rule is one of {sms: 0m} or {call: 2m}", n.Line)
	}
	for ch, after := range m {
		d, err := time.ParseDuration(after)
		if err != nil {
			return fmt.Errorf("line %d: notify %s: %q is not a duration like 2m", n.Line, ch, after)
		}
		r.Channel, r.After = ch, Duration{d}
	}
	return nil
}

// MarshalYAML writes the rule as a one-key map.
func (r NotifyRule) MarshalYAML() (any, error) {
	return map[string]string{r.Channel: r.After.String()}, nil
}

// NotifyRules returns the person's rules, or DefaultNotify when they have
// none.
func (s Staff) NotifyRules() []NotifyRule {
	if len(s.Notify) == 0 {
		return DefaultNotify
	}
	return s.Notify
}

// ValidateNotify checks a person's rules as events.ValidateNotify does
// (the one rule, for the configuration and the console alike), with
// ackTimeout the shortest acknowledgement timeout that may page them.
func ValidateNotify(rules []NotifyRule, ackTimeout time.Duration) error {
	if err := events.ValidateNotify(EventRules(rules), ackTimeout); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// EventRules converts rules to their form in events.
func EventRules(rules []NotifyRule) []events.NotifyRule {
	out := make([]events.NotifyRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, events.NotifyRule{Channel: r.Channel, AfterSeconds: int(r.After.Duration / time.Second)})
	}
	return out
}

// RulesFromEvents converts rules recorded in the log to the pager's form.
func RulesFromEvents(rules []events.NotifyRule) []NotifyRule {
	out := make([]NotifyRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, NotifyRule{Channel: r.Channel, After: Duration{r.After()}})
	}
	return out
}

// DefaultAckTimeout is the acknowledgement timeout of the built-in policy
// that lines follow when the file defines none.
const DefaultAckTimeout = 5 * time.Minute

// NotifyWithin is the shortest acknowledgement timeout that may page
// anyone (the built-in policy's when the file defines none): what bounds
// the delay of anyone's rule, since a rule due after its level moved on
// never runs.
func (f *File) NotifyWithin() time.Duration {
	if d := f.shortestAckTimeout(); d > 0 {
		return d
	}
	return DefaultAckTimeout
}

// shortestAckTimeout is the shortest ack_timeout of the policies, 0 when
// there are none.
func (f *File) shortestAckTimeout() time.Duration {
	var d time.Duration
	for _, p := range f.Policies {
		if d == 0 || p.AckTimeout.Duration < d {
			d = p.AckTimeout.Duration
		}
	}
	return d
}
