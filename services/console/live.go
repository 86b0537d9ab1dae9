package console

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
)

// live streams server-sent events to an open inbox or queue page: an
// event `changed` whenever what the viewer's list shows has changed (and
// once at the start), so the page fetches itself again. The stream carries
// no content and no pseudonym. It looks at the projection every LivePoll,
// so it follows the read model, never racing ahead of it. It does not keep
// the session alive: the stream ends when the session goes idle.
func (s *Service) live(w http.ResponseWriter, r *http.Request, v *viewer) error {
	view := r.URL.Query().Get("view")
	switch {
	case view == "queue" && v.Role() == events.RoleDuty, view == "inbox":
	case view == "queue":
		return errForbidden
	default:
		return badRequest("view must be inbox or queue")
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("streaming unsupported")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n\n")
	ctx := r.Context()
	tick := time.NewTicker(s.cfg.LivePoll)
	defer tick.Stop()
	last, beats := "", 0
	for {
		sig, err := s.signature(ctx, v, view)
		if err != nil {
			s.log.Warn().Err(err).Msg("live view")
		} else if sig != last {
			last = sig
			data, _ := json.Marshal(map[string]string{"view": view})
			fmt.Fprintf(w, "event: changed\ndata: %s\n\n", data)
			flusher.Flush()
		}
		if beats++; beats%15 == 0 {
			fmt.Fprint(w, ": heartbeat\n\n")
			flusher.Flush()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if !s.d.Sessions.Alive(ctx, v.token) {
			fmt.Fprint(w, "event: signed_out\ndata: {}\n\n")
			flusher.Flush()
			return nil
		}
	}
}

// signature is a digest of what the viewer's list shows now.
func (s *Service) signature(ctx context.Context, v *viewer, view string) (string, error) {
	var b strings.Builder
	if view == "queue" {
		q, err := s.queueList(ctx, "", 0)
		if err != nil {
			return "", err
		}
		for _, e := range q.Escalations {
			fmt.Fprintf(&b, "%s/%d/%d/%d/%s;", e.ID, e.Level, e.Round, len(e.Pages), e.AcknowledgedBy)
		}
	} else {
		l, err := s.inboxList(ctx, v, "", 0)
		if err != nil {
			return "", err
		}
		for _, c := range l.Conversations {
			fmt.Fprintf(&b, "%s/%d/%d/%s/%t;", c.ID, c.LastActivityAt.UnixMicro(), c.Unread, c.AssigneeID, c.Open)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return string(sum[:]), nil
}
