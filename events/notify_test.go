package events_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/events"
)

func registered(t *testing.T) *events.Worker {
	t.Helper()
	w := events.NewWorker("sam")
	if err := w.Register("Sam", "$argon2id$hash", events.RoleDuty, "ada", events.Meta{OccurredAt: t0}); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestSetNotifyRules: the one rule for a person's notification rules, as
// the console sets them: what is refused records nothing and says why.
func TestSetNotifyRules(t *testing.T) {
	t.Parallel()
	sms := func(after int) events.NotifyRule {
		return events.NotifyRule{Channel: events.PageBySMS, AfterSeconds: after}
	}
	call := func(after int) events.NotifyRule {
		return events.NotifyRule{Channel: events.PageByCall, AfterSeconds: after}
	}
	phone := events.NotifyLimits{Within: 5 * time.Minute, WorkPhone: true}
	tests := []struct {
		name   string
		rules  []events.NotifyRule
		limits events.NotifyLimits
		want   error  // nil: recorded
		says   string // part of the error's text
	}{
		{"sms then call", []events.NotifyRule{sms(0), call(120)}, phone, nil, ""},
		{"call only", []events.NotifyRule{call(0)}, phone, nil, ""},
		{"no rule", nil, phone, events.ErrInvalidNotify, "at least one rule"},
		{"unknown channel", []events.NotifyRule{{Channel: "pigeon"}}, phone, events.ErrInvalidNotify, `rule 1: channel "pigeon"`},
		{"first held back", []events.NotifyRule{sms(60)}, phone, events.ErrInvalidNotify, "rule 1: the first rule pages at once"},
		{"out of order", []events.NotifyRule{sms(0), call(120), sms(60)}, phone, events.ErrInvalidNotify, "rule 3: after 1m0s: want later"},
		{"negative", []events.NotifyRule{sms(0), call(-5)}, phone, events.ErrInvalidNotify, "rule 2: after -5s: want 0 or more"},
		{"at the ack timeout", []events.NotifyRule{sms(0), call(300)}, phone, events.ErrInvalidNotify, "want before 5m0s"},
		{"past an hour without a timeout", []events.NotifyRule{sms(0), call(3600)}, events.NotifyLimits{WorkPhone: true}, events.ErrInvalidNotify, "want before 1h0m0s"},
		{"too many", []events.NotifyRule{sms(0), call(10), sms(20), call(30), sms(40), call(50)}, phone, events.ErrInvalidNotify, "at most 5 rules"},
		{"no work phone", []events.NotifyRule{sms(0)}, events.NotifyLimits{Within: 5 * time.Minute}, events.ErrNoWorkPhone, "no work phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := registered(t)
			before := len(w.Pending())
			err := w.SetNotifyRules(tt.rules, tt.limits, "sam", events.Meta{OccurredAt: t0})
			if !errors.Is(err, tt.want) || tt.want != nil && !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want %v saying %q", err, tt.want, tt.says)
			}
			recorded := len(w.Pending()) - before
			switch {
			case tt.want != nil && (recorded != 0 || w.NotifySet):
				t.Fatalf("refused rules recorded %d events (set %v)", recorded, w.NotifySet)
			case tt.want == nil && (recorded != 1 || !w.NotifySet || len(w.Notify) != len(tt.rules)):
				t.Fatalf("recorded %d events, rules %+v", recorded, w.Notify)
			}
		})
	}
}

func TestSetNotifyRulesTwiceRecordsOnceAndNeedsAnAccount(t *testing.T) {
	t.Parallel()
	rules := []events.NotifyRule{{Channel: events.PageBySMS}, {Channel: events.PageByCall, AfterSeconds: 60}}
	limits, m := events.NotifyLimits{WorkPhone: true}, events.Meta{OccurredAt: t0}
	w := registered(t)
	for range 2 {
		if err := w.SetNotifyRules(rules, limits, "ada", m); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.Pending()); n != 3 { // registered, role granted, rules set once
		t.Fatalf("%d events, want 3", n)
	}
	if err := events.NewWorker("nobody").SetNotifyRules(rules, limits, "ada", m); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("rules for no account: %v", err)
	}
}
