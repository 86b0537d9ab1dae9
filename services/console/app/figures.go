package app

import (
	"context"
	"strconv"
	"time"

	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console/views"
)

// Figures asks for a line's figures over the last days, as the dashboard's
// query string says them: line (default: the first line) and days (1 to
// 92, default 14, ending today UTC).
type Figures struct {
	Line string
	Days string
}

// FiguresHandler reads the managers' figures.
type FiguresHandler struct{ d *deps }

// Handle returns the report, and the line and number of days it covers.
func (h FiguresHandler) Handle(ctx context.Context, q Figures) (views.Report, int, error) {
	lineID, days := q.Line, 14
	if lines := h.d.Staff.Lines(); lineID == "" && len(lines) > 0 {
		lineID = lines[0]
	}
	if !h.d.Staff.serves(lineID) {
		return views.Report{}, 0, ErrNotFound
	}
	if q.Days != "" {
		n, err := strconv.Atoi(q.Days)
		if err != nil || n < 1 || n > 92 {
			return views.Report{}, 0, badRequest("days must be 1 to 92")
		}
		days = n
	}
	now := h.d.Now().UTC()
	y, m, d := now.Date()
	to := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	rep, err := h.d.Figures.Figures(ctx, lineID, to.AddDate(0, 0, -days), to, now)
	if err != nil {
		return views.Report{}, 0, err
	}
	out := views.Report{LineID: rep.LineID, From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly),
		Totals: figuresOf(rep.Totals), HourOfWeek: rep.HourOfWeek, Days: []views.Day{}}
	for _, d := range rep.Days {
		out.Days = append(out.Days, views.Day{Day: d.Day.Format(time.DateOnly), Figures: figuresOf(d.Figures)})
	}
	return out, days, nil
}

// seconds is a percentile in seconds; nil when beyond a week.
func seconds(d time.Duration) *float64 {
	if d == responsetimes.Beyond {
		return nil
	}
	v := d.Seconds()
	return &v
}

func quantilesOf(q responsetimes.Quantiles) views.Quantiles {
	return views.Quantiles{Count: q.Count, P50: seconds(q.P50), P90: seconds(q.P90), P99: seconds(q.P99)}
}

func figuresOf(f responsetimes.Figures) views.Figures {
	return views.Figures{Received: f.Received, OutOfHours: f.OutOfHours, OutOfHoursShare: f.OutOfHoursShare, Breaches: f.Breaches,
		Exhausted: f.Exhausted, FirstReply: quantilesOf(f.FirstReply), Ack: quantilesOf(f.Ack)}
}
