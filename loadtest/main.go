package loadtest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main runs a load-test command's run until it returns or the command is
// interrupted (SIGINT, SIGTERM cancel its context), and returns the exit
// status its main exits with: 1, after printing the error named for the
// command, when run fails.
func Main(name string, run func(context.Context) error) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}
