package config

import (
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Channels a notification rule pages by.
const (
	NotifySMS  = "sms"
	NotifyCall = "call"
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
const MaxNotifyRules = 5

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

// ValidateNotify checks a person's rules: known channels, the first at
// once (a page is never held back), times in order, and every one before
// ackTimeout (0: no bound), the shortest acknowledgement timeout that may
// page them: a rule due after the level has moved on would never run.
func ValidateNotify(rules []NotifyRule, ackTimeout time.Duration) error {
	if len(rules) > MaxNotifyRules {
		return fmt.Errorf("notify: at most %d rules", MaxNotifyRules)
	}
	var errs []error
	for i, r := range rules {
		switch {
		case r.Channel != NotifySMS && r.Channel != NotifyCall:
			errs = append(errs, fmt.Errorf("notify[%d]: channel %q: want sms or call", i, r.Channel))
		case i == 0 && r.After.Duration != 0:
			errs = append(errs, fmt.Errorf("notify[0]: the first rule pages at once (0m), not after %s", r.After))
		case i > 0 && r.After.Duration <= rules[i-1].After.Duration:
			errs = append(errs, fmt.Errorf("notify[%d]: after %s: want later than the rule before", i, r.After))
		case ackTimeout > 0 && r.After.Duration >= ackTimeout:
			errs = append(errs, fmt.Errorf("notify[%d]: after %s: want before the acknowledgement timeout %s, or it never runs", i, r.After, ackTimeout))
		}
	}
	return errors.Join(errs...)
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
