package config

import (
	"strings"
	"testing"
	"time"
)

func TestNotifyRules(t *testing.T) {
	t.Parallel()
	const head = `
lines:
  - {id: main, name: Main, number: "+442079460000", timezone: Europe/London, always_open: true, policy: default}
policies:
  - {id: default, levels: [duty], ack_timeout: 5m, rounds: 1}
staff:
  - {id: sam, name: Sam, role: duty, work_phone: "+447700900101", notify: `
	tests := []struct {
		notify string
		want   string // "" means valid
	}{
		{`[{sms: 0m}, {call: 2m}]`, ""},
		{`[{call: 0m}]`, ""},
		{`[{sms: 0m}, {call: 1m}, {call: 3m}]`, ""},
		{`[{pigeon: 0m}]`, `channel "pigeon"`},
		{`[{sms: 1m}]`, "rule 1: the first rule pages at once"},
		{`[{sms: 0m}, {call: 2m}, {sms: 1m}]`, "rule 3: after 1m0s: want later"},
		{`[{sms: 0m}, {call: 5m}]`, "want before 5m0s (the acknowledgement timeout)"},
		{`[{sms: 0m, call: 2m}]`, "one of {sms: 0m} or {call: 2m}"},
		{`[{sms: soon}]`, "not a duration"},
		{`[{sms: 0m}, {call: 1m}, {call: 2m}, {call: 3m}, {call: 4m}, {sms: 4m30s}]`, "at most 5 rules"},
	}
	for _, tt := range tests {
		t.Run(tt.notify, func(t *testing.T) {
			t.Parallel()
			f, err := ParseFile([]byte(head + tt.notify + "}\n"))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			case tt.want == "" && f.Staff[0].NotifyRules()[0].After.Duration != 0:
				t.Fatalf("first rule not at once: %+v", f.Staff[0].NotifyRules())
			}
		})
	}
}

func TestDefaultNotifyIsOneSMSAtOnce(t *testing.T) {
	t.Parallel()
	got := Staff{ID: "sam"}.NotifyRules()
	if len(got) != 1 || got[0].Channel != NotifySMS || got[0].After.Duration != 0 {
		t.Fatalf("default rules %+v", got)
	}
	if err := ValidateNotify([]NotifyRule{{Channel: NotifyCall, After: Duration{2 * time.Minute}}}, 0); err == nil {
		t.Fatal("a first rule after 2m accepted")
	}
}
