// Package sse serves server-sent events: the one way Helpline streams to a
// browser (the web chat, the console's live pages, the SMS sandbox). A
// stream clears the server's write deadline, sends a heartbeat comment
// while it is open, checks and flushes every write, and ends when the
// request ends, when a write fails (the client is gone), or when its
// Server is closed (shutdown).
package sse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Serve once the Server is closed: no stream opens
// during a shutdown.
var ErrClosed = errors.New("sse: server closed")

// Config is how a Server's streams behave.
type Config struct {
	// Heartbeat is how often an open stream gets a comment, so proxies keep
	// it open and a client that went away is noticed by a failed write;
	// default 15 s.
	Heartbeat time.Duration
	// Retry is the reconnection delay sent to the browser's EventSource at
	// the start of each stream; default 3 s.
	Retry time.Duration
}

// SetDefaults fills unset (or meaningless, not above zero) fields.
func (c *Config) SetDefaults() {
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Retry <= 0 {
		c.Retry = 3 * time.Second
	}
}

// Server opens event streams and ends them all when closed. Its zero value
// is not usable: call New.
type Server struct {
	cfg       Config
	done      chan struct{}
	closed    atomic.Bool
	closeOnce sync.Once
}

// New returns a Server with cfg's defaults filled.
func New(cfg Config) *Server {
	cfg.SetDefaults()
	return &Server{cfg: cfg, done: make(chan struct{})}
}

// Close ends every open stream and makes Serve refuse new ones with
// ErrClosed. Call it when the HTTP server shuts down: a stream never ends
// by itself, and http.Server.Shutdown waits for open handlers.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.done)
	})
}

// Closed reports whether Close was called.
func (s *Server) Closed() bool { return s.closed.Load() }

// Serve answers r with an event stream and calls fn to produce its events.
// fn sends on st and returns when it has nothing more to send or when ctx
// ends: ctx ends when the client goes, when a write fails, or when the
// Server is closed. Serve returns fn's error, or nil when the stream was
// ended by one of those (the normal ends of a stream). Before it writes
// anything, Serve returns ErrClosed after Close, so the caller can still
// answer with an error status.
func (s *Server) Serve(w http.ResponseWriter, r *http.Request, fn func(ctx context.Context, st *Stream) error) error {
	if s.Closed() {
		return ErrClosed
	}
	rc := http.NewResponseController(w)
	// The server's timeouts are for ordinary requests: a write deadline
	// would cut a stream off mid-conversation. (net/http clears the read
	// deadline once a request's body is read; clearing it here keeps that
	// true for any server in front.)
	for _, clear := range []func(time.Time) error{rc.SetReadDeadline, rc.SetWriteDeadline} {
		if err := clear(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return fmt.Errorf("sse: clear deadline: %w", err)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	st := &Stream{w: w, rc: rc, cancel: cancel}
	wg.Go(func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	})
	if err := st.write("retry: " + strconv.FormatInt(s.cfg.Retry.Milliseconds(), 10) + "\n\n"); err != nil {
		return nil // the client is gone already
	}
	wg.Go(func() { st.heartbeat(ctx, s.cfg.Heartbeat) })
	err := fn(ctx, st)
	if ctx.Err() != nil {
		err = nil
	}
	cancel()
	return err
}

// Stream is one open event stream. Its methods may be called from several
// goroutines; each event is written and flushed whole.
type Stream struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	rc     *http.ResponseController
	cancel context.CancelFunc
	err    error // the first failed write; every later one fails with it
}

// Event is one server-sent event.
type Event struct {
	// Name is the event's type (the "event" field; the browser dispatches
	// on it). Empty means the default, "message".
	Name string
	// ID is the "id" field, which a reconnecting EventSource sends back as
	// Last-Event-ID. Empty means none.
	ID string
	// Data is the payload, sent as one "data" line per line.
	Data []byte
}

// Send writes e and flushes it. An error means the stream is over: the
// client is gone (and the stream's context ends), or e's name or id has a
// line break.
func (st *Stream) Send(e Event) error {
	if strings.ContainsAny(e.Name, "\r\n") || strings.ContainsAny(e.ID, "\r\n") {
		return fmt.Errorf("sse: event name %q or id %q has a line break", e.Name, e.ID)
	}
	var b bytes.Buffer
	if e.Name != "" {
		b.WriteString("event: " + e.Name + "\n")
	}
	if e.ID != "" {
		b.WriteString("id: " + e.ID + "\n")
	}
	for line := range strings.Lines(lineBreaks.Replace(string(e.Data))) {
		b.WriteString("data: " + strings.TrimSuffix(line, "\n") + "\n")
	}
	if len(e.Data) == 0 {
		b.WriteString("data\n")
	}
	b.WriteString("\n")
	return st.write(b.String())
}

// lineBreaks makes every line break the browser would see in data a "\n".
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// SendJSON sends v, encoded as JSON, as an event named name with id id.
// JSON escapes '<', '>' and '&', so no text reaches a page as markup.
func (st *Stream) SendJSON(name, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sse: encode %s: %w", name, err)
	}
	return st.Send(Event{Name: name, ID: id, Data: data})
}

// Comment writes a comment line, which browsers ignore.
func (st *Stream) Comment(text string) error {
	if strings.ContainsAny(text, "\r\n") {
		return fmt.Errorf("sse: comment %q has a line break", text)
	}
	return st.write(": " + text + "\n\n")
}

// heartbeat writes a comment every interval until ctx ends; a failed write
// ends the stream (write cancels it).
func (st *Stream) heartbeat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if st.Comment("heartbeat") != nil {
				return
			}
		}
	}
}

// write writes msg and flushes it. The first failure (a write, or a flush
// the writer cannot do, which would hold events back until the handler
// returns) ends the stream.
func (st *Stream) write(msg string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		return st.err
	}
	_, err := st.w.Write([]byte(msg))
	if err == nil {
		err = st.rc.Flush()
	}
	if err != nil {
		st.err = fmt.Errorf("sse: write: %w", err)
		st.cancel()
	}
	return st.err
}
