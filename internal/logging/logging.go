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

// mayHoldNumber reports whether p has where a match of phoneLike can
// start: a '+' and a digit 1-9, or a run of 10 to 15 digits standing alone
// (no letter, digit or '_' either side, as \b says). Most lines have
// neither (an event id's digits run on from its letters), and this loop
// costs a small fraction of the regular expression's search, which took
// tens of microseconds a line (every webhook logs one; issue 17). A line
// that passes it is searched as before.
func mayHoldNumber(p []byte) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '+' && i+1 < len(p) && '1' <= p[i+1] && p[i+1] <= '9' {
			return true
		}
		if !isDigit(c) {
			continue
		}
		start := i
		for i+1 < len(p) && isDigit(p[i+1]) {
			i++
		}
		if n := i + 1 - start; n >= 10 && n <= 15 && (start == 0 || !isWord(p[start-1])) && (i+1 == len(p) || !isWord(p[i+1])) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWord is \b's word character: ASCII letters, digits and '_'.
func isWord(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// Redactor masks phone-number-shaped text in every log line. Code must not
// log numbers or bodies in the first place (log pseudonyms and ids); this
// catches the mistake a review missed, e.g. a number inside a wrapped
// library error. Bare digit runs of 10-15 digits that are not numbers are
// masked too: a small price.
type Redactor struct{ W io.Writer }

// Write masks and forwards one log line; it reports len(p) so zerolog does
// not treat a shortened line as a short write.
func (r *Redactor) Write(p []byte) (int, error) {
	if mayHoldNumber(p) && phoneLike.Match(p) {
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
