package benchtable_test

import (
	"strings"
	"testing"

	"github.com/helpline-org/helpline/loadtest/benchtable"
)

const output = `goos: linux
goarch: amd64
pkg: github.com/helpline-org/helpline/services/ingestion
cpu: AMD EPYC
BenchmarkWebhookVsRaw/workers=16-2        	    1000	   6699047 ns/op	       372.1 raw_publishes/s	         0.6759 webhook/raw	       251.5 webhooks/s
BenchmarkCrisisToPage/background=0_per_s-2         	      50	  13680682 ns/op	        30.48 max_ms	         0 missed	        12.18 p50_ms	        30.48 p99_ms	        50.00 paged	        58.29 rss_MiB
BenchmarkCrisisToPage/background=250_per_s-2       	      50	 858070559 ns/op	     16359 max_ms	         1.000 missed	      7217 p50_ms	     16359 p99_ms	         4.000 paged	       403.2 rss_MiB
--- BENCH: BenchmarkCrisisToPage/background=250_per_s-2
    latency_test.go:78: crisis text 5 of 50 at 250/s: webhook 503 <nil>
BenchmarkCrisisToPage/background=500_per_s-2       	      50	 858070559 ns/op	     0 max_ms	         1.000 missed	      0 p50_ms	     0 p99_ms	         0 paged	       403.2 rss_MiB
BenchmarkCrisisToPageReturning/background=500_per_s-2         	      10	  58576444 ns/op	       114.7 max_ms	         0 missed	        27.92 p50_ms	       114.7 p99_ms	        10.00 paged	       467.3 rss_MiB
PASS
`

func TestTablePairsEachFigureWithItsBaseline(t *testing.T) {
	run, err := benchtable.Parse(strings.NewReader(output))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := benchtable.Write(&b, run, benchtable.Rows, benchtable.Machine{Cores: 2, GoVersion: "go1.26", Commit: "abc", LoadBefore: "3.1", LoadAfter: "30.2"}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"machine: AMD EPYC, 2 cores, go1.26, commit abc, load average 3.1 at the start, 30.2 at the end",
		"| webhooks/s, 16 senders | 252 | raw fsynced publishes/s | 372 | 0.68 | ≥ 0.8 |",
		"| crisis→page p99 ms, 250 texts/s beside | 16359 (a page missed after 4 paged) | p99 ms alone | 30.5 | 536.71 |  |",
		"| crisis→page p99 ms, 500 texts/s beside | – (a page missed after 0 paged) | p99 ms alone | 30.5 | – | p99 < 50 ms |",
		"latency_test.go:78: crisis text 5 of 50 at 250/s: webhook 503 <nil>",
		"| crisis→page p99 ms, 500 returning clients' texts/s beside | 115 | p99 ms alone | 30.5 | 3.76 | p99 < 50 ms |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	for _, absent := range []string{"1 sender", "100 texts/s", "250 returning", "triage"} { // benchmarks that did not run
		if strings.Contains(got, absent) {
			t.Errorf("table has a row for %q, which did not run:\n%s", absent, got)
		}
	}
}
