package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// FollowUp is a follow-up check-in asked for at wrap-up (events.FollowUpPlan):
// the client's consent, and when, either In a number of hours or days
// from now ("48h", "2d") or At a local date and time in the line's time
// zone ("2026-12-09T10:00", as a datetime-local field sends it). One of
// In and At; nothing asked for when both are empty and there is no
// consent.
type FollowUp struct {
	Consent bool
	In, At  string
}

// asked reports whether the wrap-up asks for a follow-up at all.
func (f FollowUp) asked() bool {
	return f.Consent || strings.TrimSpace(f.In) != "" || strings.TrimSpace(f.At) != ""
}

// plan turns the request into the aggregate's plan for line, at now; the
// aggregate checks the rules (consent, future, the line's maximum).
func (f FollowUp) plan(line config.Line, now time.Time) (*events.FollowUpPlan, error) {
	in, at := strings.TrimSpace(f.In), strings.TrimSpace(f.At)
	p := &events.FollowUpPlan{Consent: f.Consent, Within: line.FollowUpWithin()}
	switch {
	case p.Within == 0:
		return nil, badRequest("this line sends no follow-ups")
	case !f.Consent:
		return nil, badRequest("a follow-up needs the client's consent: tick the box only if they agreed")
	case (in == "") == (at == ""):
		return nil, badRequest("say when to follow up: in so many hours or days, or at a date and time")
	case in != "":
		d, err := followUpIn(in)
		if err != nil {
			return nil, err
		}
		p.Due = now.Add(d)
	default:
		loc, err := time.LoadLocation(line.Timezone)
		if err != nil {
			return nil, err
		}
		if p.Due, err = time.ParseInLocation("2006-01-02T15:04", at, loc); err != nil {
			return nil, badRequest("the follow-up time is not a date and time like 2026-12-09T10:00")
		}
	}
	return p, nil
}

// followUpIn reads "N" with a unit: "h" hours or "d" days ("48h", "2d").
func followUpIn(s string) (time.Duration, error) {
	unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if unit == 0 || err != nil || n < 1 || n > 10000 {
		return 0, badRequest("the follow-up delay is not a number of hours or days like 48h or 2d")
	}
	return time.Duration(n) * unit, nil
}
