package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console/views"
)

// figuresQuery is the line and the range of UTC days asked for: ?line=
// (the first line by default) and ?days= (1 to 92, default 14, ending
// today).
type figuresQuery struct {
	LineID   string
	From, To time.Time
	Days     int
}

func (s *Service) figuresQuery(r *http.Request) (figuresQuery, error) {
	q := figuresQuery{LineID: r.URL.Query().Get("line"), Days: 14}
	if q.LineID == "" && len(s.lineIDs) > 0 {
		q.LineID = s.lineIDs[0]
	}
	if !slices.Contains(s.lineIDs, q.LineID) {
		return q, errNotFound
	}
	if d := r.URL.Query().Get("days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 92 {
			return q, badRequest("days must be 1 to 92")
		}
		q.Days = n
	}
	y, m, d := s.d.Now().UTC().Date()
	q.To = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	q.From = q.To.AddDate(0, 0, -q.Days)
	return q, nil
}

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
		FirstReply: quantilesOf(f.FirstReply), Ack: quantilesOf(f.Ack)}
}

func (s *Service) report(ctx context.Context, q figuresQuery) (views.Report, error) {
	rep, err := s.d.Figures.Figures(ctx, q.LineID, q.From, q.To)
	if err != nil {
		return views.Report{}, err
	}
	out := views.Report{LineID: rep.LineID, From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly),
		Totals: figuresOf(rep.Totals), HourOfWeek: rep.HourOfWeek, Days: []views.Day{}}
	for _, d := range rep.Days {
		out.Days = append(out.Days, views.Day{Day: d.Day.Format(time.DateOnly), Figures: figuresOf(d.Figures)})
	}
	return out, nil
}

func (s *Service) apiFigures(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	q, err := s.figuresQuery(r)
	if err != nil {
		return err
	}
	out, err := s.report(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// dashboardCSV exports the daily figures of the dashboard.
func (s *Service) dashboardCSV(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	q, err := s.figuresQuery(r)
	if err != nil {
		return err
	}
	out, err := s.report(r.Context(), q)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="helpline-%s-%s-%s.csv"`, out.LineID, out.From, out.To))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"day", "line", "received", "out_of_hours", "out_of_hours_share", "breaches",
		"first_reply_count", "first_reply_p50_s", "first_reply_p90_s", "first_reply_p99_s", "ack_count", "ack_p50_s", "ack_p90_s", "ack_p99_s"})
	num := func(v *float64) string {
		if v == nil {
			return ">604800"
		}
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	for _, d := range out.Days {
		_ = cw.Write([]string{d.Day, out.LineID, strconv.FormatInt(d.Received, 10), strconv.FormatInt(d.OutOfHours, 10),
			strconv.FormatFloat(d.OutOfHoursShare, 'f', 3, 64), strconv.FormatInt(d.Breaches, 10),
			strconv.FormatInt(d.FirstReply.Count, 10), num(d.FirstReply.P50), num(d.FirstReply.P90), num(d.FirstReply.P99),
			strconv.FormatInt(d.Ack.Count, 10), num(d.Ack.P50), num(d.Ack.P90), num(d.Ack.P99)})
	}
	cw.Flush()
	return cw.Error()
}

func (s *Service) dashboardPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q, err := s.figuresQuery(r)
	if err != nil {
		return err
	}
	out, err := s.report(r.Context(), q)
	if err != nil {
		return err
	}
	s.render(w, http.StatusOK, "dashboard", v, views.NewDashboardPage(out, q.LineID, q.Days, s.lineIDs))
	return nil
}
