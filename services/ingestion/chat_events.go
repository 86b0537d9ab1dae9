package ingestion

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/helpline-org/helpline/internal/sse"
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
	if h.sse.Closed() {
		h.fail(w, req, errChatClosing)
		return
	}
	ended, release, ok := h.streams.acquire(s.key)
	if !ok {
		h.fail(w, req, errChatBusy)
		return
	}
	defer release()

	// The stream ends with the session (its expiry, or the client leaving
	// it, here or through another replica), on shutdown (Close), or when
	// the client goes.
	err = h.sse.Serve(w, req, func(ctx context.Context, st *sse.Stream) error {
		// The session's expiry is a time on the chat's clock: the stream
		// runs for what is left of it (a deadline at Expires would read
		// it on the wall clock, which a test's clock, or a skewed one,
		// does not share: a chat started on a test's Sunday ended at
		// once from the real Monday on).
		ctx, cancel := context.WithTimeout(ctx, h.chat.Remaining(s))
		defer cancel()
		defer context.AfterFunc(ended, cancel)()
		return h.chat.Stream(ctx, s, chatAfter(req), func(it ChatItem) error {
			id := ""
			if it.Seq > 0 {
				id = strconv.FormatUint(it.Seq, 10)
			}
			return st.SendJSON(it.Kind, id, it)
		})
	})
	switch {
	case errors.Is(err, sse.ErrClosed):
		h.fail(w, req, errChatClosing)
	case err != nil:
		h.logger.Warn().Err(err).Str("conversation", s.ConversationID).Msg("web chat stream ended by an error")
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

// endLeftSessions ends the streams of sessions that ended elsewhere (left
// through another replica): every SessionCheck it asks the store about
// each session with a stream open here, until Close.
func (h *ChatHTTP) endLeftSessions() {
	t := time.NewTicker(h.cfg.SessionCheck)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		for _, key := range h.streams.sessions() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ended, err := h.chat.sessionEnded(ctx, key)
			cancel()
			if err != nil {
				h.logger.Debug().Err(err).Msg("check chat sessions: the next round tries again")
				break
			}
			if ended {
				h.streams.end(key)
			}
		}
	}
}
