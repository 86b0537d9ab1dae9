package lexicon

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system: with
// -cpu 1, the time of one core, whatever else the machine is running.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
