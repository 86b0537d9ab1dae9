// Package benchtable turns the output of `go test -bench` into one table:
// each figure beside its baseline measured in the same run, their ratio,
// and the machine it ran on. On a shared machine only ratios within one
// run mean anything: the rows pair what was measured together.
package benchtable

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Row is one figure of the table and where its numbers come from: the
// metric Unit of the benchmark matching Bench, and its baseline, metric
// BaseUnit of BaseBench (BaseBench "" for the same benchmark line).
type Row struct {
	Figure          string
	Bench, Unit     string
	BaseBench       string
	BaseUnit        string
	BaseDescription string
	// Target says what the issue asks of the ratio, for the reader.
	Target string
}

// Rows are the figures `make bench` reports.
var Rows = []Row{
	{Figure: "webhooks/s, 1 sender", Bench: "WebhookVsRaw/workers=1", Unit: "webhooks/s", BaseUnit: "raw_publishes/s", BaseDescription: "raw fsynced publishes/s"},
	{Figure: "webhooks/s, 16 senders", Bench: "WebhookVsRaw/workers=16", Unit: "webhooks/s", BaseUnit: "raw_publishes/s", BaseDescription: "raw fsynced publishes/s", Target: "≥ 0.8"},
	{Figure: "crisis→page p99 ms, 100 texts/s beside", Bench: "CrisisToPage/background=100_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone"},
	{Figure: "crisis→page p99 ms, 250 texts/s beside", Bench: "CrisisToPage/background=250_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone"},
	{Figure: "crisis→page p99 ms, 500 texts/s beside", Bench: "CrisisToPage/background=500_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone", Target: "p99 < 50 ms"},
	{Figure: "crisis→page p99 ms, 1000 texts/s beside", Bench: "CrisisToPage/background=1000_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone"},
	{Figure: "crisis→page p99 ms, 250 returning clients' texts/s beside", Bench: "CrisisToPageReturning/background=250_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone"},
	{Figure: "crisis→page p99 ms, 500 returning clients' texts/s beside", Bench: "CrisisToPageReturning/background=500_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone", Target: "p99 < 50 ms"},
	{Figure: "crisis→page p99 ms, 1000 returning clients' texts/s beside", Bench: "CrisisToPageReturning/background=1000_per_s", Unit: "p99_ms", BaseBench: "CrisisToPage/background=0_per_s", BaseUnit: "p99_ms", BaseDescription: "p99 ms alone"},
	{Figure: "triage ms/message, cached conversation of 5 events", Bench: "TriageCachedVsWhole/events=5", Unit: "cached_ms/msg", BaseUnit: "whole_ms/msg", BaseDescription: "ms/message loading it whole"},
	{Figure: "triage ms/message, cached conversation of 100 events", Bench: "TriageCachedVsWhole/events=100", Unit: "cached_ms/msg", BaseUnit: "whole_ms/msg", BaseDescription: "ms/message loading it whole"},
	{Figure: "lexicon messages/cpu-s", Bench: "ClassifyVsRegexBaseline", Unit: "classify_msgs/cpu-s", BaseUnit: "regex_msgs/cpu-s", BaseDescription: "regex baseline messages/cpu-s"},
}

// Result is what one benchmark line reported: its metrics by unit.
type Result map[string]float64

// Run is a parsed `go test -bench` output.
type Run struct {
	// Results by benchmark name without "Benchmark" and the -N suffix.
	Results map[string]Result
	// CPU is the bench header's "cpu:" line; Notes are lines the
	// benchmarks logged about themselves (a missed page, say).
	CPU   string
	Notes []string
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

// Parse reads `go test -bench` output.
func Parse(r io.Reader) (Run, error) {
	run := Run{Results: map[string]Result{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if cpu, ok := strings.CutPrefix(line, "cpu: "); ok {
			run.CPU = cpu
			continue
		}
		if strings.Contains(line, "_test.go:") {
			run.Notes = append(run.Notes, strings.TrimSpace(line))
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		res := Result{}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return Run{}, fmt.Errorf("benchmark %s: metric %q: %w", m[1], fields[i], err)
			}
			res[fields[i+1]] = v
		}
		run.Results[m[1]] = res
	}
	return run, sc.Err()
}

// Machine describes where the run took place.
type Machine struct {
	CPU, GoVersion, Commit string
	Cores                  int
	// LoadBefore and LoadAfter are the 1-minute load averages at the
	// run's start and end.
	LoadBefore, LoadAfter string
}

// cell formats a figure: whole numbers from 1,000, three significant
// digits below; "–" for none.
func cell(x float64, ok bool) string {
	switch {
	case !ok:
		return "–"
	case x >= 1000:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// Write prints the table of rows, in Markdown, for the figures the run
// has; a row whose benchmark did not run is left out.
func Write(w io.Writer, run Run, rows []Row, m Machine) error {
	cpu := m.CPU
	if cpu == "" {
		cpu = run.CPU
	}
	fmt.Fprintf(w, "machine: %s, %d cores, %s, commit %s, load average %s at the start, %s at the end\n\n",
		cpu, m.Cores, m.GoVersion, m.Commit, m.LoadBefore, m.LoadAfter)
	fmt.Fprintln(w, "| figure | value | baseline (same run) | baseline value | ratio | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		res, ok := run.Results[r.Bench]
		if !ok {
			continue
		}
		base := res
		if r.BaseBench != "" {
			base = run.Results[r.BaseBench]
		}
		v, vok := res[r.Unit]
		b, bok := base[r.BaseUnit]
		_, counted := res["paged"]
		if counted && res["paged"] == 0 {
			vok = false // no page at all: its percentiles are empty
		}
		ratio := "–"
		if vok && bok && b != 0 {
			ratio = strconv.FormatFloat(v/b, 'f', 2, 64)
		}
		value := cell(v, vok)
		if missed := res["missed"]; missed > 0 {
			value += fmt.Sprintf(" (a page missed after %g paged)", res["paged"])
		}
		if _, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Figure, value, r.BaseDescription, cell(b, bok), ratio, r.Target); err != nil {
			return err
		}
	}
	for _, n := range run.Notes {
		fmt.Fprintf(w, "\n%s", n)
	}
	if len(run.Notes) > 0 {
		fmt.Fprintln(w)
	}
	return nil
}
