package events

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A staff member's notification rules say how they are paged at each
// step of an escalation: for example an SMS at once, then a voice call
// after two minutes without an acknowledgement. The configuration gives
// each person's default (staff[].notify); the rules they set for
// themselves in the console are an event of their worker aggregate, and
// the pager reads the latest at every page.

// NotifyRule is one rule: page by Channel (PageBySMS or PageByCall),
// AfterSeconds after the escalation step paged them.
type NotifyRule struct {
	Channel      string `json:"channel"`
	AfterSeconds int    `json:"after_seconds"`
}

// After is the rule's delay.
func (r NotifyRule) After() time.Duration { return time.Duration(r.AfterSeconds) * time.Second }

// WorkerNotifyRulesSet records a staff member's own notification rules,
// in place of the configuration's from then on. ByStaffID is who set
// them: the person, or an admin.
type WorkerNotifyRulesSet struct {
	Rules     []NotifyRule `json:"rules"`
	ByStaffID string       `json:"by_staff_id"`
}

var _ = register(AggregateWorker, TypeWorkerNotifyRulesSet, 1,
	"A staff member's notification rules (how they are paged at an escalation step: SMS or call, each after a delay) were set in the console, in place of the configuration's.",
	func() Payload {
		return WorkerNotifyRulesSet{Rules: []NotifyRule{{Channel: PageBySMS}, {Channel: PageByCall, AfterSeconds: 120}}, ByStaffID: "sam"}
	})

// Limits of notification rules.
const (
	// MaxNotifyRules bounds a person's rules.
	MaxNotifyRules = 5
	// MaxNotifyAfter bounds a rule's delay where no acknowledgement
	// timeout bounds it sooner.
	MaxNotifyAfter = time.Hour
)

// Errors from setting notification rules.
var (
	// ErrInvalidNotify means rules that cannot page anyone as written:
	// the error says which rule and why.
	ErrInvalidNotify = errors.New("invalid notification rules")
	// ErrNoWorkPhone means the person has no work phone (config
	// staff[].work_phone) for an SMS or a call to reach.
	ErrNoWorkPhone = errors.New("no work phone is configured for this person: an admin adds staff[].work_phone to the configuration first")
)

// ValidateNotify checks rules as the pager needs them: at most
// MaxNotifyRules, each by SMS or call, the first at once (a page is never
// held back), later ones in increasing order, and each before within (the
// shortest acknowledgement timeout that may page the person: a rule due
// after the level has moved on would never run; 0 means MaxNotifyAfter).
// An empty list is valid here (the configuration's default applies);
// SetNotifyRules wants at least one.
func ValidateNotify(rules []NotifyRule, within time.Duration) error {
	if within <= 0 || within > MaxNotifyAfter {
		within = MaxNotifyAfter
	}
	if len(rules) > MaxNotifyRules {
		return fmt.Errorf("%w: at most %d rules", ErrInvalidNotify, MaxNotifyRules)
	}
	var errs []error
	bad := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("rule %d: "+format, append([]any{i + 1}, args...)...))
	}
	for i, r := range rules {
		switch {
		case r.Channel != PageBySMS && r.Channel != PageByCall:
			bad(i, "channel %q: want sms or call", r.Channel)
		case i == 0 && r.AfterSeconds != 0:
			bad(i, "the first rule pages at once (0m), not after %s", r.After())
		case r.AfterSeconds < 0:
			bad(i, "after %s: want 0 or more", r.After())
		case i > 0 && r.AfterSeconds <= rules[i-1].AfterSeconds:
			bad(i, "after %s: want later than the rule before", r.After())
		case r.After() >= within:
			bad(i, "after %s: want before %s (the acknowledgement timeout), or it never runs", r.After(), within)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidNotify, errors.Join(errs...))
	}
	return nil
}

// NotifyLimits is what the configuration says about a person's rules.
type NotifyLimits struct {
	// Within bounds every delay (see ValidateNotify).
	Within time.Duration
	// WorkPhone says whether the person has a work phone to be paged on.
	WorkPhone bool
}

// SetNotifyRules records the account's own notification rules: at least
// one, valid for limits (ValidateNotify), and a work phone to reach.
// byStaffID is who sets them; the console lets only the person and
// admins. Rules equal to those set already record nothing.
func (w *Worker) SetNotifyRules(rules []NotifyRule, limits NotifyLimits, byStaffID string, m Meta) error {
	if err := w.mustExist(); err != nil {
		return err
	}
	if !limits.WorkPhone {
		return ErrNoWorkPhone
	}
	if len(rules) == 0 {
		return fmt.Errorf("%w: at least one rule (an SMS at once, say)", ErrInvalidNotify)
	}
	if err := ValidateNotify(rules, limits.Within); err != nil {
		return err
	}
	if w.NotifySet && slices.Equal(w.Notify, rules) {
		return nil
	}
	return w.record(WorkerNotifyRulesSet{Rules: slices.Clone(rules), ByStaffID: byStaffID}, m)
}
