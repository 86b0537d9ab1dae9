package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/health"
	"github.com/helpline-org/helpline/internal/httpserver"
	"github.com/helpline-org/helpline/internal/logtest"
	"github.com/helpline-org/helpline/internal/poll"
)

// TestWhatHTTPReportsIsLogged: a handler's panic and what net/http itself
// reports are structured log lines (not chi's or net/http's raw stderr),
// and the panicking request is answered 500.
func TestWhatHTTPReportsIsLogged(t *testing.T) {
	t.Parallel()
	var buf logtest.Buffer
	s := httpserver.New(health.New(0), prometheus.NewRegistry(), zerolog.New(&buf), "")
	s.Router.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	s.Router.Get("/hijacked", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
		w.Write([]byte("too late")) // net/http reports this on its ErrorLog
	})
	l, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l, time.Second) }()
	defer func() { cancel(); <-done }()
	resp, err := http.Get("http://" + l.Addr().String() + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("a panicking handler: %d, want 500", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + l.Addr().String() + "/hijacked"); err == nil {
		resp.Body.Close()
	}
	poll.Until(t, 5*time.Second, func() error {
		logs := buf.String()
		for _, want := range []string{`"message":"http handler panicked"`, `"panic":"boom"`, "response.Write on hijacked connection"} {
			if !strings.Contains(logs, want) {
				return fmt.Errorf("no %s in the log:\n%s", want, logs)
			}
		}
		return nil
	})
}

// TestMetricsAreNotPublic: /metrics answers whoever holds the token, or,
// without one, only a request made directly from this machine; a request
// from elsewhere, or through a proxy, is refused.
func TestMetricsAreNotPublic(t *testing.T) {
	t.Parallel()
	get := func(token, remote, auth string, header ...string) int {
		s := httpserver.New(health.New(0), prometheus.NewRegistry(), zerolog.Nop(), token)
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = remote
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		s.Router.ServeHTTP(w, req)
		return w.Code
	}
	const token = "a-metrics-token-long-enough"
	for _, c := range []struct {
		name                string
		token, remote, auth string
		header              []string
		want                int
	}{
		{"loopback, no token set", "", "127.0.0.1:5000", "", nil, http.StatusOK},
		{"IPv6 loopback, no token set", "", "[::1]:5000", "", nil, http.StatusOK},
		{"another machine, no token set", "", "203.0.113.7:5000", "", nil, http.StatusForbidden},
		{"through a proxy on this machine", "", "127.0.0.1:5000", "", []string{"X-Forwarded-For", "203.0.113.7"}, http.StatusForbidden},
		{"the token", token, "203.0.113.7:5000", "Bearer " + token, nil, http.StatusOK},
		{"no token sent", token, "127.0.0.1:5000", "", nil, http.StatusUnauthorized},
		{"a wrong token", token, "203.0.113.7:5000", "Bearer " + token + "x", nil, http.StatusUnauthorized},
		{"not a bearer", token, "203.0.113.7:5000", token, nil, http.StatusUnauthorized},
	} {
		if got := get(c.token, c.remote, c.auth, c.header...); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
