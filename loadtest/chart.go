package loadtest

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Mark is a moment to draw on a chart: a fault injected, a step begun.
type Mark struct {
	At    float64 // seconds since the run's start
	Label string
}

// WriteSVG draws webhook latency over time (p50, p99 and max per second,
// milliseconds on a log scale) and the slowest crisis-to-page of each
// second, with marks as labelled vertical lines.
func WriteSVG(w io.Writer, title string, timeline []Second, marks []Mark) error {
	const (
		width, height          = 960, 420
		left, right, top, foot = 70, 150, 40, 50
	)
	plotW, plotH := float64(width-left-right), float64(height-top-foot)
	tmax := 1.0
	for _, s := range timeline {
		tmax = math.Max(tmax, s.At+1)
	}
	lo, hi := 0.1, 100000.0 // ms
	x := func(t float64) float64 { return float64(left) + t/tmax*plotW }
	y := func(ms float64) float64 {
		ms = math.Min(math.Max(ms, lo), hi)
		return float64(top) + plotH*(1-(math.Log10(ms)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="22" font-size="15">%s</text>`+"\n", left, escape(title))
	for ms := lo; ms <= hi; ms *= 10 {
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, float64(left)+plotW, y(ms), y(ms), left-6, y(ms)+4, msLabel(ms))
	}
	step := niceStep(tmax)
	for t := 0.0; t <= tmax; t += step {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="middle">%gs</text>`+"\n",
			x(t), x(t), top, float64(top)+plotH, x(t), float64(top)+plotH+16, t)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">time since start (scheduled send)</text>`+"\n", float64(left)+plotW/2, height-10)
	fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="4 3"/><text x="%.1f" y="%.1f" fill="#c00">100 ms</text>`+"\n",
		left, float64(left)+plotW, y(100), y(100), float64(left)+plotW+4, y(100)+4)
	series := []struct {
		name, color string
		v           func(Second) float64
	}{
		{"webhook p50", "#1f77b4", func(s Second) float64 { return s.P50 }},
		{"webhook p99", "#ff7f0e", func(s Second) float64 { return s.P99 }},
		{"webhook max", "#bbb", func(s Second) float64 { return s.Max }},
	}
	for i, sr := range series {
		var pts []string
		for _, s := range timeline {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.At+0.5), y(sr.v(s))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", sr.color, strings.Join(pts, " "))
		legend(&b, float64(left)+plotW+10, float64(top+20+18*i), sr.color, sr.name, false)
	}
	for _, s := range timeline {
		if s.Crisis > 0 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#2ca02c"/>`+"\n", x(s.At+0.5), y(s.Crisis))
		}
		if s.Failed > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#c00" text-anchor="middle">✕</text>`+"\n", x(s.At+0.5), top+12)
		}
	}
	legend(&b, float64(left)+plotW+10, float64(top+20+18*len(series)), "#2ca02c", "crisis→page (max)", true)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="#c00">✕ not answered 200</text>`+"\n", float64(left)+plotW+10, top+20+18*(len(series)+1)+4)
	for _, m := range marks {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#9467bd"/><text x="%.1f" y="%d" fill="#9467bd" font-size="11" transform="rotate(-90 %.1f %d)" text-anchor="end">%s</text>`+"\n",
			x(m.At), x(m.At), top, float64(top)+plotH, x(m.At)-3, top+4, x(m.At)-3, top+4, escape(m.Label))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func legend(b *strings.Builder, x, y float64, color, name string, dot bool) {
	if dot {
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`, x+9, y-4, color)
	} else {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`, x, x+18, y-4, y-4, color)
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x+24, y, escape(name))
}

func msLabel(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%gs", ms/1000)
	}
	return fmt.Sprintf("%gms", ms)
}

func niceStep(span float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600} {
		if span/s <= 12 {
			return s
		}
	}
	return 1200
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
