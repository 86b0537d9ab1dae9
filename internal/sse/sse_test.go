package sse_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpline-org/helpline/internal/poll"
	"github.com/helpline-org/helpline/internal/sse"
)

// served is the end of the stream a test server served: whether and with
// what Serve returned.
type served struct {
	ended  chan struct{} // closed when Serve has returned
	result error         // Serve's result, once ended
}

// serve starts a server whose only handler streams with srv and fn.
func serve(t *testing.T, srv *sse.Server, timeout time.Duration, fn func(ctx context.Context, st *sse.Stream) error) (*httptest.Server, *served) {
	t.Helper()
	s := &served{ended: make(chan struct{})}
	var once sync.Once
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := srv.Serve(w, r, fn)
		once.Do(func() { s.result = err; close(s.ended) })
	}))
	ts.Config.ReadTimeout, ts.Config.WriteTimeout = timeout, timeout
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, s
}

// reader reads a stream's lines in the background.
type reader struct {
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func open(t *testing.T, ctx context.Context, url string) (*http.Response, *reader) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := &reader{done: make(chan struct{})}
	go func() {
		defer close(rd.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			rd.mu.Lock()
			rd.lines = append(rd.lines, sc.Text())
			rd.mu.Unlock()
		}
	}()
	t.Cleanup(func() { resp.Body.Close(); <-rd.done })
	return resp, rd
}

func (rd *reader) count(line string) int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	n := 0
	for _, l := range rd.lines {
		if l == line {
			n++
		}
	}
	return n
}

func (rd *reader) text() string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return strings.Join(rd.lines, "\n")
}

func waitEnded(t *testing.T, s *served, why string) {
	t.Helper()
	poll.Until(t, 10*time.Second, func() error {
		select {
		case <-s.ended:
			return nil
		default:
			return errors.New("stream still open " + why)
		}
	})
}

// untilDone is a stream that sends nothing and waits for its end.
func untilDone(ctx context.Context, _ *sse.Stream) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestHeartbeatsKeepAStreamOpenPastTheServersTimeouts(t *testing.T) {
	t.Parallel()
	// Write and read timeouts of 50ms would cut an ordinary response off:
	// heartbeats every 20ms keep arriving far beyond them.
	ts, s := serve(t, sse.New(sse.Config{Heartbeat: 20 * time.Millisecond}), 50*time.Millisecond, untilDone)
	resp, rd := open(t, t.Context(), ts.URL)
	if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "text/event-stream" || cc != "no-store" {
		t.Fatalf("Content-Type %q, Cache-Control %q", ct, cc)
	}
	poll.Until(t, 10*time.Second, func() error {
		if n := rd.count(": heartbeat"); n < 15 {
			return fmt.Errorf("%d heartbeats", n)
		}
		return nil
	})
	select {
	case <-s.ended:
		t.Fatal("stream ended at the server's timeout")
	default:
	}
	if !strings.HasPrefix(rd.text(), "retry: 3000\n") {
		t.Fatalf("stream starts %q, want the retry delay", rd.text())
	}
}

func TestClientLeavingEndsTheStream(t *testing.T) {
	t.Parallel()
	ts, s := serve(t, sse.New(sse.Config{}), 0, untilDone)
	ctx, cancel := context.WithCancel(t.Context())
	_, rd := open(t, ctx, ts.URL)
	poll.Until(t, 10*time.Second, func() error {
		if rd.count("retry: 3000") != 1 {
			return errors.New("no retry line yet")
		}
		return nil
	})
	cancel()
	waitEnded(t, s, "after the client left")
	if s.result != nil {
		t.Fatalf("Serve: %v, want nil for a client that left", s.result)
	}
}

func TestCloseEndsOpenStreamsAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	srv := sse.New(sse.Config{})
	ts, s := serve(t, srv, 0, untilDone)
	_, rd := open(t, t.Context(), ts.URL)
	poll.Until(t, 10*time.Second, func() error {
		if rd.count("retry: 3000") != 1 {
			return errors.New("no retry line yet")
		}
		return nil
	})
	srv.Close()
	waitEnded(t, s, "after Close")
	if s.result != nil {
		t.Fatalf("Serve: %v, want nil for a stream ended by Close", s.result)
	}
	<-rd.done // the response ends too
	if !srv.Closed() {
		t.Fatal("Closed false after Close")
	}
	rec := httptest.NewRecorder()
	called := false
	err := srv.Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil), func(context.Context, *sse.Stream) error { called = true; return nil })
	if !errors.Is(err, sse.ErrClosed) || called || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Fatalf("Serve after Close: %v, fn called %t, wrote %q", err, called, rec.Body.String())
	}
}

// brokenWriter is a ResponseWriter whose connection fails after ok writes.
type brokenWriter struct {
	mu     sync.Mutex
	header http.Header
	ok     int
	writes int
}

var errBroken = errors.New("connection reset")

func (w *brokenWriter) Header() http.Header { return w.header }
func (w *brokenWriter) WriteHeader(int)     {}
func (w *brokenWriter) Flush()              {}
func (w *brokenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.writes > w.ok {
		return 0, errBroken
	}
	return len(p), nil
}

func (w *brokenWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

func TestAFailedHeartbeatEndsTheStream(t *testing.T) {
	t.Parallel()
	// The request's context never ends by itself: only the failed write
	// (the heartbeat after the retry line) can end the stream.
	w := &brokenWriter{header: http.Header{}, ok: 1}
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- sse.New(sse.Config{Heartbeat: 5 * time.Millisecond}).Serve(w, r, untilDone) }()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("Serve: %v, want nil for a client that went", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stream open after a failed write")
	}
	if n := w.count(); n != 2 {
		t.Fatalf("%d writes, want the retry line and one failed heartbeat", n)
	}
}

func TestAFailedSendEndsTheStreamAndEveryLaterWriteFails(t *testing.T) {
	t.Parallel()
	w := &brokenWriter{header: http.Header{}, ok: 1}
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(context.Background())
	var first, second error
	var ctxDone bool
	err := sse.New(sse.Config{Heartbeat: time.Hour}).Serve(w, r, func(ctx context.Context, st *sse.Stream) error {
		first = st.Send(sse.Event{Name: "message", Data: []byte("hello")})
		second = st.Comment("still there?")
		ctxDone = ctx.Err() != nil
		return first
	})
	if !errors.Is(first, errBroken) || !errors.Is(second, errBroken) || !ctxDone {
		t.Fatalf("send: %v, later write: %v, context ended: %t", first, second, ctxDone)
	}
	if err != nil {
		t.Fatalf("Serve: %v, want nil: a failed write is a client that went", err)
	}
	if n := w.count(); n != 2 {
		t.Fatalf("%d writes reached the connection, want 2 (nothing after the failure)", n)
	}
}

func TestServeReturnsWhatTheProducerFailedWith(t *testing.T) {
	t.Parallel()
	boom := errors.New("log unavailable")
	err := sse.New(sse.Config{}).Serve(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil),
		func(context.Context, *sse.Stream) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Serve: %v, want the producer's error", err)
	}
}

func TestEventsAreFramedWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		send func(st *sse.Stream) error
		want string
	}{
		{"named with id", func(st *sse.Stream) error {
			return st.Send(sse.Event{Name: "reply", ID: "42", Data: []byte(`{"a":1}`)})
		},
			"event: reply\nid: 42\ndata: {\"a\":1}\n\n"},
		{"default name", func(st *sse.Stream) error { return st.Send(sse.Event{Data: []byte("x")}) }, "data: x\n\n"},
		{"line breaks split data", func(st *sse.Stream) error { return st.Send(sse.Event{Data: []byte("a\nb\r\nc\rd")}) },
			"data: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"empty data still dispatches", func(st *sse.Stream) error { return st.Send(sse.Event{Name: "ready"}) },
			"event: ready\ndata\n\n"},
		{"JSON escapes markup", func(st *sse.Stream) error { return st.SendJSON("message", "", map[string]string{"t": "<b>"}) },
			"event: message\ndata: {\"t\":\"\\u003cb\\u003e\"}\n\n"},
		{"comment", func(st *sse.Stream) error { return st.Comment("connected") }, ": connected\n\n"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		err := sse.New(sse.Config{Retry: 2 * time.Second}).Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil),
			func(_ context.Context, st *sse.Stream) error { return tt.send(st) })
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got := rec.Body.String(); got != "retry: 2000\n\n"+tt.want || !rec.Flushed {
			t.Errorf("%s: wrote %q (flushed %t), want %q", tt.name, got, rec.Flushed, tt.want)
		}
	}
}

func TestLineBreaksInFieldsAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		send func(st *sse.Stream) error
	}{
		{"name", func(st *sse.Stream) error { return st.Send(sse.Event{Name: "a\nid: 1"}) }},
		{"id", func(st *sse.Stream) error { return st.Send(sse.Event{ID: "1\r"}) }},
		{"comment", func(st *sse.Stream) error { return st.Comment("a\ndata: b") }},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		var sendErr error
		_ = sse.New(sse.Config{}).Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil),
			func(_ context.Context, st *sse.Stream) error { sendErr = tt.send(st); return nil })
		if sendErr == nil || rec.Body.String() != "retry: 3000\n\n" {
			t.Errorf("%s: error %v, wrote %q", tt.name, sendErr, rec.Body.String())
		}
	}
}

// Streams run concurrently with their heartbeats: each event reaches the
// client whole (run with -race).
func TestConcurrentSendsStayWhole(t *testing.T) {
	t.Parallel()
	const n = 50
	ts, s := serve(t, sse.New(sse.Config{Heartbeat: time.Millisecond}), 0, func(ctx context.Context, st *sse.Stream) error {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _ = st.Send(sse.Event{Name: "n", Data: []byte(fmt.Sprintf("%d\n%d", i, i))}) })
		}
		wg.Wait()
		return errors.New("done")
	})
	_, rd := open(t, t.Context(), ts.URL)
	waitEnded(t, s, "after its producer returned")
	<-rd.done
	body := rd.text() + "\n"
	for i := range n {
		if want := fmt.Sprintf("event: n\ndata: %d\ndata: %d\n\n", i, i); !strings.Contains(body, want) {
			t.Fatalf("event %d not whole in %q", i, body)
		}
	}
	if s.result == nil || s.result.Error() != "done" {
		t.Fatalf("Serve: %v", s.result)
	}
}
