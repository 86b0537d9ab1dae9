// Command benchtable reads `go test -bench` output on its standard input
// and prints one table (loadtest/benchtable): each figure, its baseline in
// the same run, their ratio, and the machine. `make bench` runs it.
//
//	go test -run '^$' -bench WebhookVsRaw ./services/ingestion/ | go run ./loadtest/cmd/benchtable -load-before "$(cut -d' ' -f1 /proc/loadavg)"
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/helpline-org/helpline/loadtest/benchtable"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run() error {
	before := flag.String("load-before", "?", "the 1-minute load average when the benchmarks started")
	flag.Parse()
	r, err := benchtable.Parse(os.Stdin)
	if err != nil {
		return err
	}
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	after := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		after = strings.Fields(string(b))[0]
	}
	return benchtable.Write(os.Stdout, r, benchtable.Rows, benchtable.Machine{
		Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Commit: strings.TrimSpace(string(commit)),
		LoadBefore: *before, LoadAfter: after,
	})
}
