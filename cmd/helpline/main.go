// Command helpline is Helpline's one binary. main reads the command line
// and the environment, hands the process to internal/app (the composition
// root: `run`, `serve`, and the platform the tools open), and exits once.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.LookupEnv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helpline:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
