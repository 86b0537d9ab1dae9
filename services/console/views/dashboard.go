package views

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/helpline-org/helpline/internal/schedule"
)

// DashboardPage is the managers' figures of one line: totals, three bar
// charts by day, the hour-of-week heat map, and the daily table.
type DashboardPage struct {
	Chrome
	Report Report
	// LineID and Days are what was asked for; Lines are the choices.
	LineID string
	Days   int
	Lines  []string

	FirstReply, Breaches, Volume Chart
	// AckChannels are the acknowledgement times by how they came, in the
	// order the table lists them.
	AckChannels []AckChannel
	// Outcomes and Categories are the period's closed conversations by
	// the wrap-up's codes, with their labels, in code order.
	Outcomes, Categories []Labelled
	// Survey is the answers to the line's post-contact survey, by
	// question and option, with their labels, in code order.
	Survey          []Labelled
	Heat            []HeatCell
	MaxHour         int64
	Hours, Weekdays []AxisLabel
}

// NewDashboardPage draws the charts of rep, the figures of days days of
// line lineID.
func NewDashboardPage(rep Report, lineID string, days int, lines []string) *DashboardPage {
	var labels []string
	var p50, p90, breaches, received, ooh []float64
	var answered []bool
	val := func(p *float64) float64 {
		if p == nil {
			return 7 * 24 * 3600
		}
		return *p
	}
	for _, d := range rep.Days {
		labels = append(labels, d.Day[5:])
		answered = append(answered, d.FirstReply.Count > 0)
		p50 = append(p50, val(d.FirstReply.P50))
		p90 = append(p90, val(d.FirstReply.P90))
		breaches = append(breaches, float64(d.Breaches))
		received = append(received, float64(d.Received-d.OutOfHours))
		ooh = append(ooh, float64(d.OutOfHours))
	}
	cells, maxHour := heatmap(rep.HourOfWeek)
	firstReply := barChart("chart-first-reply", "Time to first reply by day",
		"Median (p50) and 90th percentile (p90) time to a worker's first reply, per UTC day.", labels,
		[][]float64{p50, p90}, []string{"s1", "s2"}, []string{"p50", "p90"}, Minutes, durationScale)
	// A day without a reply has no time to first reply: its bars say so
	// rather than "0s", which would read as instant answers.
	for i, b := range firstReply.Bars {
		if day := i / 2; !answered[day] {
			firstReply.Bars[i].H, firstReply.Bars[i].Label = 0, b.Label[:strings.LastIndex(b.Label, ": ")]+": no replies yet"
		}
	}
	return &DashboardPage{
		Chrome: Chrome{Title: "Response times"}, Report: rep, LineID: lineID, Days: days, Lines: lines,
		FirstReply: firstReply,
		Breaches: barChart("chart-breaches", "First-response target breaches by day",
			"Conversations that waited longer than the line's first-response target, or still wait past it, per UTC day.", labels,
			[][]float64{breaches}, []string{"s3"}, []string{"breaches"}, count, countScale),
		Volume: barChart("chart-ooh", "Messages by day, in and out of hours",
			"Messages received per UTC day, split into those that arrived while the line was open and out of hours.", labels,
			[][]float64{received, ooh}, []string{"s1", "s4"}, []string{"in hours", "out of hours"}, count, countScale),
		AckChannels: []AckChannel{{"SMS reply to the page", rep.Totals.AckByChannel.SMS}, {"Page call", rep.Totals.AckByChannel.Call},
			{"Console", rep.Totals.AckByChannel.Console}},
		Outcomes: labelled(rep.Totals.Outcomes, rep.Labels), Categories: labelled(rep.Totals.Categories, rep.Labels),
		Survey: labelled(rep.Totals.Survey, rep.Labels),
		Heat:   cells, MaxHour: maxHour,
		Hours: hourLabels(), Weekdays: weekdayLabels(),
	}
}

// LabelledTable is one table of the dashboard counting codes: its id,
// caption, column headings, rows, and what it says when it has none.
type LabelledTable struct {
	ID, Caption, Key, Unit, Empty string
	Rows                          []Labelled
}

// Tables are the page's tables of codes: closed conversations by outcome
// and by category, and the survey's answers.
func (p *DashboardPage) Tables() []LabelledTable {
	return []LabelledTable{
		{"outcomes", "Closed conversations by outcome", "Outcome", "Conversations", "No conversation closed yet", p.Outcomes},
		{"categories", "Closed conversations by category", "Category", "Conversations", "No categories recorded yet", p.Categories},
		{"survey", "Answers to the post-contact survey, by question and answer", "Question: answer", "Answers", "No survey answers yet", p.Survey},
	}
}

// Labelled is one code of the line's taxonomy, its label (the code when
// the taxonomy no longer has it) and a count.
type Labelled struct {
	Code, Label string
	Count       int64
}

// labelled lists counts by code, in code order, with their labels.
func labelled(counts map[string]int64, labels map[string]string) []Labelled {
	out := make([]Labelled, 0, len(counts))
	for code, n := range counts {
		label := labels[code]
		if label == "" {
			label = code
		}
		out = append(out, Labelled{Code: code, Label: label, Count: n})
	}
	slices.SortFunc(out, func(a, b Labelled) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// AckChannel is one row of the acknowledgement-by-channel table.
type AckChannel struct {
	Name string
	Quantiles
}

// Bar is one rectangle of a chart, with its accessible label.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Label      string
}

// Chart is an inline SVG chart: bars, axis labels, and a title and
// description for screen readers (each chart also has a data table).
type Chart struct {
	ID, Title, Desc string
	Width, Height   float64
	Bars            []Bar
	XLabels         []AxisLabel
	YLabels         []AxisLabel
}

// AxisLabel is one label on a chart's axis.
type AxisLabel struct {
	X, Y float64
	Text string
}

const (
	chartW, chartH = 640.0, 220.0
	padL, padB     = 48.0, 28.0
)

// barChart draws groups of bars (one group per day) on a shared y scale.
func barChart(id, title, desc string, labels []string, series [][]float64, classes, names []string, unit func(float64) string, scale func(float64) float64) Chart {
	c := Chart{ID: id, Title: title, Desc: desc, Width: chartW, Height: chartH}
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
			c.Bars = append(c.Bars, Bar{X: gx + float64(j)*bw, Y: 10 + plotH - h, W: math.Max(bw-1, 1), H: h, Class: classes[j],
				Label: fmt.Sprintf("%s, %s: %s", l, names[j], unit(s[i]))})
		}
		if n <= 16 || i%int(math.Ceil(float64(n)/16)) == 0 {
			c.XLabels = append(c.XLabels, AxisLabel{X: gx + groupW*0.4, Y: chartH - 8, Text: l})
		}
	}
	for k := 0; k <= 4; k++ {
		v := maxV * float64(k) / 4
		c.YLabels = append(c.YLabels, AxisLabel{X: padL - 4, Y: 10 + plotH - plotH*float64(k)/4 + 4, Text: unit(v)})
	}
	return c
}

// Minutes formats seconds as staff read durations: 45s, 2.5m, 1.5h.
func Minutes(v float64) string {
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

// Seconds formats a percentile: Minutes, or "over a week" when beyond.
func Seconds(p *float64) string {
	if p == nil {
		return "over a week"
	}
	return Minutes(*p)
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

// HeatCell is one hour of the week in the volume chart.
type HeatCell struct {
	X, Y, W, H, Opacity float64
	Label               string
}

func heatmap(hw [7][24]int64) ([]HeatCell, int64) {
	var maxV int64 = 1
	for d := range hw {
		for h := range hw[d] {
			maxV = max(maxV, hw[d][h])
		}
	}
	var cells []HeatCell
	// Monday first, as staff read a week.
	for row, wd := range schedule.Week() {
		for h := 0; h < 24; h++ {
			n := hw[wd][h]
			cells = append(cells, HeatCell{X: 48 + float64(h)*24, Y: 10 + float64(row)*24, W: 22, H: 22,
				Opacity: 0.08 + 0.92*float64(n)/float64(maxV), Label: fmt.Sprintf("%s %02d:00 UTC: %d messages", wd, h, n)})
		}
	}
	return cells, maxV
}

func weekdayLabels() []AxisLabel {
	var out []AxisLabel
	for i, d := range schedule.Week() {
		out = append(out, AxisLabel{X: 42, Y: 10 + float64(i)*24 + 15, Text: d.String()[:3]})
	}
	return out
}

func hourLabels() []AxisLabel {
	var out []AxisLabel
	for h := 0; h < 24; h += 3 {
		out = append(out, AxisLabel{X: 48 + float64(h)*24 + 11, Y: 196, Text: fmt.Sprintf("%02d", h)})
	}
	return out
}
