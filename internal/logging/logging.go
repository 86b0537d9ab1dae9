// Package logging builds the zerolog loggers every service is given: JSON
// lines in production, human-readable on a terminal, and a last line of
// defence that masks anything shaped like a phone number.
package logging

import (
	"io"
	stdlog "log"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// New returns a logger writing to w at level ("debug", "info", ...), as
// JSON or, with format "console" (or "auto" on a terminal), readable text.
func New(w io.Writer, level, format string) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	out := io.Writer(&Redactor{W: w})
	if format == "console" || (format == "auto" && isTerminal(w)) {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// phoneLike matches numbers written with a leading + (E.164, also with
// spaces or dashes) and bare runs of 10 to 15 digits (national formats like
// 07700900123). Dates and times do not match.
var phoneLike = regexp.MustCompile(`\+[1-9][0-9 \-]{5,18}[0-9]|\b[0-9]{10,15}\b`)

// Redactor masks phone-number-shaped text in every log line. Code must not
// log numbers or bodies in the first place (log pseudonyms and ids); this
// catches the mistake a review missed, e.g. a number inside a wrapped
// library error. Bare digit runs of 10-15 digits that are not numbers are
// masked too: a small price.
type Redactor struct{ W io.Writer }

// Write masks and forwards one log line; it reports len(p) so zerolog does
// not treat a shortened line as a short write.
func (r *Redactor) Write(p []byte) (int, error) {
	if phoneLike.Match(p) {
		p = phoneLike.ReplaceAll(p, []byte("[redacted]"))
	}
	if _, err := r.W.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// StdLogger is a standard library logger whose every line becomes a
// structured warning on log: for libraries that only take a *log.Logger
// (net/http's ErrorLog), so nothing a process writes bypasses the
// structured log.
func StdLogger(log zerolog.Logger) *stdlog.Logger {
	return stdlog.New(lineWriter{log: log}, "", 0)
}

// lineWriter writes each line it is given as one log message.
type lineWriter struct{ log zerolog.Logger }

func (w lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.log.Warn().Msg(line)
	}
	return len(p), nil
}
