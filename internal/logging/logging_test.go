package logging

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactorMasksNumbersNotTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		mustHide string
	}{
		{`{"msg":"send to +447700900123 failed"}`, "447700900123"},
		{`{"err":"invalid 'To' Phone Number: +44 7700 900 123"}`, "7700 900 123"},
		{`{"err":"number 07700900123"}`, "07700900123"},
		{`{"err":"+1-415-555-0100"}`, "415-555-0100"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if _, err := (&Redactor{W: &buf}).Write([]byte(tt.in)); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), tt.mustHide) || !strings.Contains(buf.String(), "[redacted]") {
			t.Errorf("%s -> %s", tt.in, buf.String())
		}
	}
	keep := `{"time":"2026-11-22T07:38:39Z","seq":123456,"dur_ms":12.5,"sid":"SM0123456789abcdef"}`
	var buf bytes.Buffer
	if _, err := (&Redactor{W: &buf}).Write([]byte(keep)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != keep {
		t.Errorf("changed a line with no number: %s", buf.String())
	}
}

func TestNewWritesJSONThroughRedactor(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, "info", "json")
	log.Info().Str("to", "+447700900999").Msg("x")
	log.Debug().Msg("hidden at info")
	if strings.Contains(buf.String(), "447700900999") || strings.Contains(buf.String(), "hidden") {
		t.Fatalf("log: %s", buf.String())
	}
}
