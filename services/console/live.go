package console

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/sse"
	"github.com/helpline-org/helpline/services/console/app"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

// live is the live updates of the inbox and the queue pages.
type live struct {
	app     app.Application
	auth    *auth.Authenticator
	streams *sse.Server
	poll    time.Duration
	log     zerolog.Logger
}

// serve streams server-sent events to an open inbox or queue page: an
// event `changed` whenever what the viewer's list shows has changed (and
// once at the start), so the page fetches itself again. The stream carries
// no content and no pseudonym. It looks at the projection every LivePoll,
// so it follows the read model, never racing ahead of it. It does not keep
// the session alive: the stream ends when the session goes idle.
func (l *live) serve(w http.ResponseWriter, r *http.Request, v *auth.Viewer) error {
	view := r.URL.Query().Get("view")
	switch {
	case view == "queue" && v.Role() == events.RoleDuty, view == "inbox":
	case view == "queue":
		return app.ErrForbidden
	default:
		return badRequest("view must be inbox or queue")
	}
	err := l.streams.Serve(w, r, func(ctx context.Context, st *sse.Stream) error {
		tick := time.NewTicker(l.poll)
		defer tick.Stop()
		last := ""
		for {
			sig, err := l.signature(ctx, v, view)
			if err != nil {
				l.log.Warn().Err(err).Msg("live view")
			} else if sig != last {
				last = sig
				if err := st.SendJSON("changed", "", views.Changed{View: view}); err != nil {
					return err
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			if !l.auth.Alive(ctx, v) {
				return st.Send(sse.Event{Name: "signed_out", Data: []byte("{}")})
			}
		}
	})
	if errors.Is(err, sse.ErrClosed) {
		return app.ErrUnavailable
	}
	return err
}

// signature is a digest of what the viewer's list shows now.
func (l *live) signature(ctx context.Context, v *auth.Viewer, view string) (string, error) {
	var b strings.Builder
	if view == "queue" {
		q, err := l.app.Queries.Queue.Handle(ctx, app.Queue{})
		if err != nil {
			return "", err
		}
		for _, e := range q.Escalations {
			fmt.Fprintf(&b, "%s/%d/%d/%d/%s;", e.ID, e.Level, e.Round, len(e.Pages), e.AcknowledgedBy)
			for _, p := range e.Pages {
				b.WriteString(p.Delivery) // a page's delivery changing refreshes the queue
			}
		}
	} else {
		in, err := l.app.Queries.Inbox.Handle(ctx, app.Inbox{Actor: v.Actor()})
		if err != nil {
			return "", err
		}
		for _, c := range in.Conversations {
			fmt.Fprintf(&b, "%s/%d/%d/%s/%t;", c.ID, c.LastActivityAt.UnixMicro(), c.Unread, c.AssigneeID, c.Open)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return string(sum[:]), nil
}
