package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/helpline-org/helpline/internal/httpserver"
)

// cmdHealth asks a running helpline for its readiness over loopback: the
// container health check (images have no curl).
func cmdHealth(ctx context.Context, args []string, std stdio, lookup lookupFunc) error {
	env, err := envOnly(args, "usage: helpline health", lookup)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, httpserver.LoopbackURL(env.HTTPAddr)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not reachable: %w", err)
	}
	defer resp.Body.Close()
	body, _ := readAllLimited(resp.Body, 4096)
	fmt.Fprintf(std.out, "%s", body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: HTTP %d", resp.StatusCode)
	}
	return nil
}

func readAllLimited(r io.Reader, n int64) ([]byte, error) { return io.ReadAll(io.LimitReader(r, n)) }
