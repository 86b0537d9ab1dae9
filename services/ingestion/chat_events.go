package ingestion

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// events handles GET /api/chat/events: the conversation as server-sent
// events, history first, then live. Each item is an SSE event named for
// its kind (message, reply, closed, ready) whose id is the event's stream
// sequence, so a reconnecting EventSource resumes with Last-Event-ID; a
// new one may pass ?after=<seq>. Data is JSON (ChatItem); JSON escapes
// '<', '>' and '&', so no text ever reaches the page as markup.
func (h *ChatHTTP) events(w http.ResponseWriter, req *http.Request) {
	s, err := h.authenticate(req)
	if err != nil {
		h.fail(w, req, err)
		return
	}
	select {
	case <-h.done:
		h.fail(w, req, errChatClosing)
		return
	default:
	}
	release, ok := h.streams.acquire(s.key)
	if !ok {
		h.fail(w, req, errChatBusy)
		return
	}
	defer release()

	// The stream ends with the session, on shutdown (Close), or when the
	// client goes.
	ctx, cancel := context.WithDeadline(req.Context(), s.Expires)
	defer cancel()
	go func() {
		select {
		case <-h.done:
			cancel()
		case <-ctx.Done():
		}
	}()

	rc := http.NewResponseController(w)
	// The server's timeouts are for ordinary requests: a write deadline
	// would cut the stream off mid-conversation. (net/http already clears
	// the read deadline once a request's body is read; clearing it here
	// keeps that true for any server in front.)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	sw := &chatSSE{w: bufio.NewWriter(w), rc: rc}
	if err := sw.send("retry: 3000\n\n"); err != nil {
		return
	}

	var wg sync.WaitGroup
	wg.Go(func() { h.heartbeat(ctx, cancel, sw) })
	err = h.chat.Stream(ctx, s, chatAfter(req), func(it ChatItem) error { return sw.item(it) })
	cancel()
	wg.Wait()
	if err != nil {
		h.logger.Warn().Err(err).Str("conversation", s.ConversationID).Msg("web chat stream ended by an error")
	}
}

// heartbeat writes a comment every interval until ctx ends; a failed write
// means the client is gone, and ends the stream.
func (h *ChatHTTP) heartbeat(ctx context.Context, cancel context.CancelFunc, sw *chatSSE) {
	t := time.NewTicker(h.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := sw.send(": heartbeat\n\n"); err != nil {
				cancel()
				return
			}
		}
	}
}

// chatAfter is the sequence the client has seen: Last-Event-ID (sent by a
// reconnecting EventSource) or ?after=. Anything unparsable is 0: the
// whole conversation again, which the page deduplicates by id.
func chatAfter(req *http.Request) uint64 {
	v := req.Header.Get("Last-Event-ID")
	if v == "" {
		v = req.URL.Query().Get("after")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// chatSSE writes events to one stream; the heartbeat and the items come
// from different goroutines.
type chatSSE struct {
	mu sync.Mutex
	w  *bufio.Writer
	rc *http.ResponseController
}

func (s *chatSSE) item(it ChatItem) error {
	data, err := json.Marshal(it)
	if err != nil {
		return err
	}
	msg := "event: " + it.Kind + "\n"
	if it.Seq > 0 {
		msg += "id: " + strconv.FormatUint(it.Seq, 10) + "\n"
	}
	// json.Marshal output has no newlines: one data line.
	return s.send(msg + "data: " + string(data) + "\n\n")
}

func (s *chatSSE) send(msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.WriteString(msg); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
