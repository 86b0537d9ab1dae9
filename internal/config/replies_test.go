package config

import (
	"strings"
	"testing"
	"time"
)

func TestOutOfHoursText(t *testing.T) {
	t.Parallel()
	london, _ := time.LoadLocation("Europe/London")
	monday9 := time.Date(2026, 11, 23, 9, 0, 0, 0, london)
	when := DescribeOpening(monday9.UTC(), london, "en")
	if when != "Monday at 09:00, London time" {
		t.Fatalf("describe: %q", when)
	}
	l := Line{OutOfHoursReply: map[string]string{"en": "Closed. Back {next_open}.", "es": "Cerrado. Volvemos {next_open}."}}
	if es := DescribeOpening(monday9, london, "es"); es != "el lunes a las 09:00, hora de London" {
		t.Errorf("es describe: %q", es)
	}
	if fr := DescribeOpening(monday9, london, "fr"); fr != "lundi à 09:00, heure de London" {
		t.Errorf("fr describe: %q", fr)
	}
	if got := l.OutOfHoursText("es", "X"); got != "Cerrado. Volvemos X." {
		t.Errorf("es: %q", got)
	}
	if got := l.OutOfHoursText("fr", when); got != "Closed. Back Monday at 09:00, London time." {
		t.Errorf("unknown language falls back to en: %q", got)
	}
	if got := (Line{}).OutOfHoursText("fr", when); !strings.Contains(got, "rouvrons Monday") {
		t.Errorf("built-in fr: %q", got)
	}
}

func TestCrisisText(t *testing.T) {
	t.Parallel()
	l := Line{CrisisReply: map[string]string{"en": "Someone is coming.", "es": "Alguien viene."}}
	if got := l.CrisisText("es"); got != "Alguien viene." {
		t.Errorf("es: %q", got)
	}
	if got := l.CrisisText("fr"); got != "Someone is coming." {
		t.Errorf("unknown language falls back to en: %q", got)
	}
	if got := (Line{}).CrisisText("fr"); !strings.Contains(got, "116 123") {
		t.Errorf("built-in fr: %q", got)
	}
}

func TestWaitText(t *testing.T) {
	t.Parallel()
	uk := Line{}
	own := Line{WaitReply: map[string]string{"en": "Wait {wait}."}, WaitReplyNoFigures: map[string]string{"en": "Busy."}, EmergencyNotice: "Call 112."}
	tests := []struct {
		name          string
		l             Line
		lang          string
		wait          time.Duration
		known, urgent bool
		want          string
	}{
		{"minutes, rounded up", uk, "en", 4*time.Minute + time.Second, true, false, "Lately people have waited about 5 minutes for a first reply"},
		{"under a minute", uk, "en", 20 * time.Second, true, false, "waited about a minute"},
		{"no figures says so", uk, "en", 0, false, false, "Everyone on the team is with someone right now; we will answer"},
		{"urgent adds the numbers", uk, "en", 0, false, true, "as soon as we can. If you are in danger now, call 999"},
		{"spanish", uk, "es", 10 * time.Minute, true, false, "de unos 10 minutos"},
		{"line's own text", own, "en", 3 * time.Minute, true, true, "Wait about 3 minutes. Call 112."},
		{"line's english text for another language", own, "fr", 3 * time.Minute, true, false, "Wait about 3 minutes."},
		{"line's own no figures", own, "en", 0, false, false, "Busy."},
	}
	for _, tt := range tests {
		if got := tt.l.WaitText(tt.lang, tt.wait, tt.known, tt.urgent); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to contain %q", tt.name, got, tt.want)
		}
	}
}
