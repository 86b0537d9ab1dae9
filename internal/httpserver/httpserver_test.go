package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
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
	s := httpserver.New(health.New(0), prometheus.NewRegistry(), zerolog.New(&buf))
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
