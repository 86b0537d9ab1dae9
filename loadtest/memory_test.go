package loadtest

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"
)

// TestMemoryProfile runs the shipped composition (Stack) through the open
// loop of `make loadtest-embedded` (ordinary texts from 1,000 returning
// numbers, every 50th a crisis from a new number) and writes a heap
// profile (inuse_space after a collection) to $HELPLINE_MEMPROFILE: what
// holds the resident memory of `helpline run` (issue 17). Skipped unless
// that variable is set; HELPLINE_MEMPROFILE_TEXTS (default 15,000) and
// HELPLINE_MEMPROFILE_RATE (default 250/s) size the run.
//
//	HELPLINE_MEMPROFILE=/tmp/heap.pb.gz go test -count=1 -run 'TestMemoryProfile$' -v ./loadtest/
//	go tool pprof -top -sample_index=inuse_space /tmp/heap.pb.gz
func TestMemoryProfile(t *testing.T) {
	out := os.Getenv("HELPLINE_MEMPROFILE")
	if out == "" {
		t.Skip("HELPLINE_MEMPROFILE not set")
	}
	texts, rate := envInt("HELPLINE_MEMPROFILE_TEXTS", 15000), envInt("HELPLINE_MEMPROFILE_RATE", 250)
	ctx := context.Background()
	s := startStack(t, Options{})
	text := func(ctx context.Context, _ int, sid, from, body string) (Answer, error) {
		code, err := s.Text(ctx, sid, from, body)
		return Answer{Code: code, Tries: 1}, err
	}
	const step = 5000
	for first := 0; first < texts; first += step {
		n := min(step, texts-first)
		l := Load{Rate: float64(rate), Duration: time.Duration(n) * time.Second / time.Duration(rate), CrisisEvery: 50, FirstID: int64(first) + 1}
		sent := Run(ctx, l, text)
		failed := 0
		for _, x := range sent {
			if x.Code != 200 {
				failed++
			}
		}
		settle(t, s.JS)
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		t.Logf("after %d texts (%d not 200): heap in use %.1f MiB, heap sys %.1f MiB, objects %d",
			first+n, failed, float64(m.HeapInuse)/(1<<20), float64(m.HeapSys)/(1<<20), m.HeapObjects)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

// envInt is the integer in the environment variable name, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
