package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/helpline-org/helpline/projections"
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

// quantilesJSON are percentiles in seconds; null when beyond a week.
type quantilesJSON struct {
	Count int64    `json:"count"`
	P50   *float64 `json:"p50_seconds"`
	P90   *float64 `json:"p90_seconds"`
	P99   *float64 `json:"p99_seconds"`
}

func seconds(d time.Duration) *float64 {
	if d == projections.Beyond {
		return nil
	}
	v := d.Seconds()
	return &v
}

func quantilesOf(q projections.Quantiles) quantilesJSON {
	return quantilesJSON{Count: q.Count, P50: seconds(q.P50), P90: seconds(q.P90), P99: seconds(q.P99)}
}

type figuresJSON struct {
	Received        int64         `json:"received"`
	OutOfHours      int64         `json:"out_of_hours"`
	OutOfHoursShare float64       `json:"out_of_hours_share"`
	Breaches        int64         `json:"breaches"`
	FirstReply      quantilesJSON `json:"first_reply"`
	Ack             quantilesJSON `json:"acknowledgement"`
}

func figuresOf(f projections.Figures) figuresJSON {
	return figuresJSON{Received: f.Received, OutOfHours: f.OutOfHours, OutOfHoursShare: f.OutOfHoursShare, Breaches: f.Breaches,
		FirstReply: quantilesOf(f.FirstReply), Ack: quantilesOf(f.Ack)}
}

type dayJSON struct {
	Day string `json:"day"`
	figuresJSON
}

// reportJSON is the managers' figures: counts and durations only, no
// content, no pseudonyms, no client ids.
type reportJSON struct {
	LineID     string       `json:"line_id"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	Totals     figuresJSON  `json:"totals"`
	Days       []dayJSON    `json:"days"`
	HourOfWeek [7][24]int64 `json:"hour_of_week"`
}

func (s *Service) report(ctx context.Context, q figuresQuery) (projections.Report, reportJSON, error) {
	rep, err := s.d.Figures.Figures(ctx, q.LineID, q.From, q.To)
	if err != nil {
		return rep, reportJSON{}, err
	}
	out := reportJSON{LineID: rep.LineID, From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly),
		Totals: figuresOf(rep.Totals), HourOfWeek: rep.HourOfWeek, Days: []dayJSON{}}
	for _, d := range rep.Days {
		out.Days = append(out.Days, dayJSON{Day: d.Day.Format(time.DateOnly), figuresJSON: figuresOf(d.Figures)})
	}
	return rep, out, nil
}

func (s *Service) apiFigures(w http.ResponseWriter, r *http.Request, _ *viewer) error {
	q, err := s.figuresQuery(r)
	if err != nil {
		return err
	}
	_, out, err := s.report(r.Context(), q)
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
	_, out, err := s.report(r.Context(), q)
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

// bar is one rectangle of a chart, with its accessible label.
type bar struct {
	X, Y, W, H float64
	Class      string
	Label      string
}

// chart is an inline SVG chart: bars, axis labels, and a title and
// description for screen readers (each chart also has a data table).
type chart struct {
	ID, Title, Desc string
	Width, Height   float64
	Bars            []bar
	XLabels         []axisLabel
	YLabels         []axisLabel
}

type axisLabel struct {
	X, Y float64
	Text string
}

const (
	chartW, chartH = 640.0, 220.0
	padL, padB     = 48.0, 28.0
)

// barChart draws groups of bars (one group per day) on a shared y scale.
func barChart(id, title, desc string, labels []string, series [][]float64, classes, names []string, unit func(float64) string, scale func(float64) float64) chart {
	c := chart{ID: id, Title: title, Desc: desc, Width: chartW, Height: chartH}
	maxV := 0.0
	for _, s := range series {
		for _, v := range s {
			maxV = math.Max(maxV, v)
		}
	}
	maxV = scale(maxV)
	plotW, plotH := chartW-padL-8, chartH-padB-10
	n := len(labels)
	if n == 0 {
		return c
	}
	groupW := plotW / float64(n)
	bw := groupW * 0.8 / float64(len(series))
	for i, l := range labels {
		gx := padL + float64(i)*groupW + groupW*0.1
		for j, s := range series {
			h := s[i] / maxV * plotH
			c.Bars = append(c.Bars, bar{X: gx + float64(j)*bw, Y: 10 + plotH - h, W: math.Max(bw-1, 1), H: h, Class: classes[j],
				Label: fmt.Sprintf("%s, %s: %s", l, names[j], unit(s[i]))})
		}
		if n <= 16 || i%int(math.Ceil(float64(n)/16)) == 0 {
			c.XLabels = append(c.XLabels, axisLabel{X: gx + groupW*0.4, Y: chartH - 8, Text: l})
		}
	}
	for k := 0; k <= 4; k++ {
		v := maxV * float64(k) / 4
		c.YLabels = append(c.YLabels, axisLabel{X: padL - 4, Y: 10 + plotH - plotH*float64(k)/4 + 4, Text: unit(v)})
	}
	return c
}

// minutes formats seconds as staff read durations: 45s, 2.5m, 1.5h.
func minutes(v float64) string {
	trim := func(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
	switch {
	case v < 60:
		return trim(v) + "s"
	case v < 3600:
		return trim(v/60) + "m"
	default:
		return trim(v/3600) + "h"
	}
}

func count(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// countScale is the y axis top for counts: a multiple of 4, so the four
// ticks are whole numbers.
func countScale(v float64) float64 { return math.Max(4, math.Ceil(v/4)*4) }

// durationScale is the y axis top for durations in seconds: the first
// round duration at or above v.
func durationScale(v float64) float64 {
	for _, d := range []float64{4, 20, 60, 120, 240, 600, 1200, 2400, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 604800} {
		if v <= d {
			return d
		}
	}
	return v
}

// heatCell is one hour of the week in the volume chart.
type heatCell struct {
	X, Y, W, H, Opacity float64
	Label               string
}

func heatmap(hw [7][24]int64) ([]heatCell, int64) {
	var maxV int64 = 1
	for d := range hw {
		for h := range hw[d] {
			maxV = max(maxV, hw[d][h])
		}
	}
	var cells []heatCell
	// Monday first, as staff read a week.
	for row, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		for h := 0; h < 24; h++ {
			n := hw[wd][h]
			cells = append(cells, heatCell{X: 48 + float64(h)*24, Y: 10 + float64(row)*24, W: 22, H: 22,
				Opacity: 0.08 + 0.92*float64(n)/float64(maxV), Label: fmt.Sprintf("%s %02d:00 UTC: %d messages", wd, h, n)})
		}
	}
	return cells, maxV
}

func (s *Service) dashboardPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q, err := s.figuresQuery(r)
	if err != nil {
		return err
	}
	rep, out, err := s.report(r.Context(), q)
	if err != nil {
		return err
	}
	var labels []string
	var p50, p90, breaches, received, ooh []float64
	val := func(p *float64) float64 {
		if p == nil {
			return 7 * 24 * 3600
		}
		return *p
	}
	for _, d := range out.Days {
		labels = append(labels, d.Day[5:])
		p50 = append(p50, val(d.FirstReply.P50))
		p90 = append(p90, val(d.FirstReply.P90))
		breaches = append(breaches, float64(d.Breaches))
		received = append(received, float64(d.Received-d.OutOfHours))
		ooh = append(ooh, float64(d.OutOfHours))
	}
	cells, maxHour := heatmap(rep.HourOfWeek)
	s.render(w, r, http.StatusOK, "dashboard", v, map[string]any{
		"Title": "Response times", "R": out, "Q": q, "Lines": s.lineIDs,
		"FirstReply": barChart("chart-first-reply", "Time to first reply by day",
			"Median (p50) and 90th percentile (p90) time to a worker's first reply, per UTC day.", labels,
			[][]float64{p50, p90}, []string{"s1", "s2"}, []string{"p50", "p90"}, minutes, durationScale),
		"Breaches": barChart("chart-breaches", "First-response target breaches by day",
			"Conversations that waited longer than the line's first-response target, per UTC day.", labels,
			[][]float64{breaches}, []string{"s3"}, []string{"breaches"}, count, countScale),
		"Volume": barChart("chart-ooh", "Messages by day, in and out of hours",
			"Messages received per UTC day, split into those that arrived while the line was open and out of hours.", labels,
			[][]float64{received, ooh}, []string{"s1", "s4"}, []string{"in hours", "out of hours"}, count, countScale),
		"Heat": cells, "MaxHour": maxHour,
		"Hours": hourLabels(), "Weekdays": weekdayLabels(),
	})
	return nil
}

func weekdayLabels() []axisLabel {
	var out []axisLabel
	for i, d := range []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} {
		out = append(out, axisLabel{X: 42, Y: 10 + float64(i)*24 + 15, Text: d})
	}
	return out
}

func hourLabels() []axisLabel {
	var out []axisLabel
	for h := 0; h < 24; h += 3 {
		out = append(out, axisLabel{X: 48 + float64(h)*24 + 11, Y: 196, Text: fmt.Sprintf("%02d", h)})
	}
	return out
}
