package natstest

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Units name what BenchVersusRaw reports: the rate of the path measured,
// the rate of the raw JetStream publishes beside it, and their ratio.
type Units struct {
	Ours, Raw, Ratio string
}

// BenchVersusRaw runs b.N rounds over workers goroutines, round i by
// worker w; a round does one operation of the path measured and one raw
// JetStream publish, interleaved so machine noise hits both alike, and
// returns how long each took. It reports both rates (per second, over the
// workers) and their ratio, and the process's CPU time per round (user and
// system, "cpu-µs/round": the path, the raw publish, the client side of the
// round and the in-process server together). The CPU time is far less
// noisy on a shared machine than the rates: it measures work, not waiting
// for the cores. A round's error fails the benchmark and stops its worker.
func BenchVersusRaw(b *testing.B, workers int, u Units, round func(w int, i int64) (ours, raw time.Duration, err error)) {
	var oursNs, rawNs atomic.Int64
	cpu := runRounds(b, workers, func(w int, i int64) error {
		ours, raw, err := round(w, i)
		if err != nil {
			return err
		}
		oursNs.Add(int64(ours))
		rawNs.Add(int64(raw))
		return nil
	})
	oursRate := float64(b.N) / (float64(oursNs.Load()) / 1e9) * float64(workers)
	rawRate := float64(b.N) / (float64(rawNs.Load()) / 1e9) * float64(workers)
	b.ReportMetric(oursRate, u.Ours)
	b.ReportMetric(rawRate, u.Raw)
	b.ReportMetric(oursRate/rawRate, u.Ratio)
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/round")
	}
}

// runRounds runs b.N rounds over workers goroutines, round i (from 1) by
// worker w, with the benchmark's timer reset before and stopped after, and
// returns the process's CPU time meanwhile (processCPU). A round's error
// fails the benchmark and stops its worker.
func runRounds(b *testing.B, workers int, round func(w int, i int64) error) time.Duration {
	var next atomic.Int64
	b.ResetTimer()
	cpu := processCPU()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := round(w, i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	return processCPU() - cpu
}

// processCPU is the CPU time the process has used (user and system), 0
// where the system does not say.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchAlone runs b.N operations alone over workers goroutines, operation
// i by worker w, against the in-process server s, and reports what one
// costs: the process's CPU time ("cpu-µs/op": client, server and
// everything else in the process), and the NATS traffic it made, as the
// server counts it ("nats-in-msgs/op", "nats-out-msgs/op" and their bytes:
// publishes, requests and acks in; acks, replies and consumer deliveries
// out). Run once for the path and once for a raw publish, it accounts for
// the work a path adds to the publish it ends in. What the benchmark runs
// in the background (followers, heartbeats) counts too: that is the
// point.
func BenchAlone(b *testing.B, s *server.Server, workers int, op func(w int, i int64) error) {
	before, err := s.Varz(nil)
	if err != nil {
		b.Fatal(err)
	}
	cpu := runRounds(b, workers, op)
	after, err := s.Varz(nil)
	if err != nil {
		b.Fatal(err)
	}
	n := float64(b.N)
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/op")
	}
	b.ReportMetric(float64(after.InMsgs-before.InMsgs)/n, "nats-in-msgs/op")
	b.ReportMetric(float64(after.OutMsgs-before.OutMsgs)/n, "nats-out-msgs/op")
	b.ReportMetric(float64(after.InBytes-before.InBytes)/n, "nats-in-B/op")
	b.ReportMetric(float64(after.OutBytes-before.OutBytes)/n, "nats-out-B/op")
}
