//go:build !linux

package lexicon

import "time"

// cpuTime is not measured outside Linux: the CPU figures read 0.
func cpuTime() time.Duration { return 0 }
