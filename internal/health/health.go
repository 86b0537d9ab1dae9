// Package health answers liveness and readiness: /healthz says the process
// runs; /readyz says it can do its work (the log answers, projections have
// caught up) and turns not-ready as soon as shutdown begins, so a load
// balancer stops sending before the listener closes.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Check is one readiness condition; a nil error means ready.
type Check func(ctx context.Context) error

// Health holds the readiness checks of a process.
type Health struct {
	mu       sync.RWMutex
	names    []string
	checks   map[string]Check
	stopping atomic.Bool
	timeout  time.Duration
}

// New returns a Health whose checks each get timeout to answer.
func New(timeout time.Duration) *Health {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Health{checks: map[string]Check{}, timeout: timeout}
}

// Add registers a named readiness check.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.checks[name]; !ok {
		h.names = append(h.names, name)
	}
	h.checks[name] = c
}

// Stopping marks the process as shutting down: readiness fails from now on.
func (h *Health) Stopping() { h.stopping.Store(true) }

// Live answers GET /healthz.
func (h *Health) Live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type result struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Ready answers GET /readyz: 200 when every check passes, 503 otherwise,
// with each check's result (error texts name components, never content).
func (h *Health) Ready(w http.ResponseWriter, r *http.Request) {
	res := h.Check(r.Context())
	code := http.StatusOK
	if res.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, res)
}

// Check runs every check concurrently.
func (h *Health) Check(ctx context.Context) result {
	h.mu.RLock()
	names := append([]string(nil), h.names...)
	checks := make([]Check, len(names))
	for i, n := range names {
		checks[i] = h.checks[n]
	}
	h.mu.RUnlock()

	res := result{Status: "ok", Checks: make(map[string]string, len(names)+1)}
	if h.stopping.Load() {
		res.Status, res.Checks["shutdown"] = "unavailable", "shutting down"
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c(ctx)
		}()
	}
	wg.Wait()
	for i, n := range names {
		if errs[i] != nil {
			res.Status, res.Checks[n] = "unavailable", errs[i].Error()
		} else {
			res.Checks[n] = "ok"
		}
	}
	return res
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
