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
