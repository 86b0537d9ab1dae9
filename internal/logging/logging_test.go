package logging

import (
	"bytes"
	"io"
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

// FuzzRedactor: a line comes out exactly as the regular expression alone
// masks it, whatever mayHoldNumber lets pass unsearched.
func FuzzRedactor(f *testing.F) {
	for _, s := range []string{`{"msg":"send to +447700900123 failed"}`, `{"err":"+44 7700 900 123"}`, `07700900123`, `+1-415-555-0100`,
		`{"time":"2026-11-22T07:38:39Z","seq":123456,"sid":"SM0123456789abcdef"}`, `+0123456789`, `x+9`, `123456789`, `1234567890`, `a1234567890b`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		want := string(phoneLike.ReplaceAll(line, []byte("[redacted]")))
		var buf bytes.Buffer
		if _, err := (&Redactor{W: &buf}).Write(line); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Fatalf("%q -> %q, the expression alone gives %q", line, buf.String(), want)
		}
	})
}

func BenchmarkRedactorLogLine(b *testing.B) {
	line := []byte(`{"level":"info","svc":"ingestion","line":"main","client":"C-7Q2KX3","conversation":"cv-sm0000000000000000018a4f2c3d9e1b7a",` +
		`"event":"sms-sm0000000000000000018a4f2c3d9e1b7a","correlation_id":"sms-sm0000000000000000018a4f2c3d9e1b7a","duplicate":false,` +
		`"consent":"","time":"2026-12-07T18:36:05Z","message":"sms received"}` + "\n")
	r := &Redactor{W: io.Discard}
	for b.Loop() {
		if _, err := r.Write(line); err != nil {
			b.Fatal(err)
		}
	}
}
