// Package httpserver is the process's HTTP surface: the router, request
// metrics and logging without content, limits, and graceful shutdown.
package httpserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/health"
	"github.com/helpline-org/helpline/internal/logging"
)

// Server owns the listener and the router.
type Server struct {
	Router chi.Router
	srv    *http.Server
	log    zerolog.Logger
}

// New builds a router with health, readiness and metrics mounted, and
// request metrics recorded into reg. /metrics is not public (see
// metricsGuard): it needs metricsToken as a bearer token, or, with none
// set, a request from this machine.
func New(h *health.Health, reg *prometheus.Registry, log zerolog.Logger, metricsToken string) *Server {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "helpline_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
	}, []string{"route", "method", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "helpline_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	reg.MustRegister(requests, latency)

	r := chi.NewRouter()
	r.Use(recoverer(log))
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, req.ProtoMajor)
			next.ServeHTTP(ww, req)
			route := chi.RouteContext(req.Context()).RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			requests.WithLabelValues(route, req.Method, strconv.Itoa(ww.Status())).Inc()
			latency.WithLabelValues(route, req.Method).Observe(time.Since(start).Seconds())
			// Paths are route patterns, never raw URLs: a URL may carry a
			// token or an id a client typed.
			log.Debug().Str("route", route).Str("method", req.Method).Int("status", ww.Status()).
				Dur("took", time.Since(start)).Msg("http")
		})
	})
	r.Get("/healthz", h.Live)
	r.Get("/readyz", h.Ready)
	r.Method(http.MethodGet, "/metrics", metricsGuard(metricsToken, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	return &Server{Router: r, log: log}
}

// metricsGuard keeps /metrics from whoever reaches the public port: the
// figures name routes, consumers and volumes an attacker would like to
// watch. With a token, a request must carry "Authorization: Bearer
// <token>" (compared in constant time); without one, only a request made
// directly from this machine is answered (loopback peer, and no proxy's
// forwarding header: a reverse proxy on the same host connects from
// loopback on behalf of anyone).
func metricsGuard(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "metrics need the bearer token set in HELPLINE_METRICS_TOKEN", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if !fromThisMachine(r) {
			http.Error(w, "metrics answer only this machine; set HELPLINE_METRICS_TOKEN to scrape from elsewhere", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func fromThisMachine(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Host"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Listen binds addr; separate from Serve so a caller knows the port is
// taken (or not) before it reports itself started.
func (s *Server) Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return l, nil
}

// Serve serves on l until ctx ends, then stops accepting, waits up to
// grace for in-flight requests, and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	s.srv = &http.Server{
		Handler:           s.Router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// WriteTimeout stays 0: server-sent event streams are long-lived;
		// handlers bound their own work.
		// What net/http reports (a TLS handshake error, a header written
		// twice) goes to the structured log, not raw to stderr.
		ErrorLog: logging.StdLogger(s.log.With().Str("component", "http").Logger()),
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Long-lived streams (SSE) do not end by themselves.
		_ = s.srv.Close()
		err = nil
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", serr)
	}
	return err
}

// LoopbackURL is how a process reaches its own listener at addr: over
// loopback, never through a public URL.
func LoopbackURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// recoverer answers 500 for a handler that panics and logs the panic with
// its stack through the structured log (chi's Recoverer prints it raw on
// stderr). http.ErrAbortHandler is net/http's own way to abort: passed on.
func recoverer(log zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Str("method", req.Method).Msg("http handler panicked")
				w.WriteHeader(http.StatusInternalServerError)
			}()
			next.ServeHTTP(w, req)
		})
	}
}
