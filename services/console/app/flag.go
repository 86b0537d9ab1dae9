package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/inbox"
	"github.com/helpline-org/helpline/services/console/views"
)

// Clients is the one way to change a client (*events.Clients).
type Clients interface {
	Update(ctx context.Context, id string, decide func(*events.Client) error) (events.Saved[*events.Client], error)
}

// maxFlagReason is the longest flag reason, in characters.
const maxFlagReason = 500

// FlagClient is a worker or duty worker flagging the client of a
// conversation they may read: what for (events.FlagKinds), why, and the
// last day it holds (YYYY-MM-DD, in the line's time zone). FlagID comes
// from the form, so a double submission is one flag (at most 40
// characters; an API caller that gives none gets a new one).
type FlagClient struct {
	Actor          Actor
	ConversationID string
	FlagID         string
	Kind           string
	Reason         string
	Until          string
}

// FlagClientHandler records client flags.
type FlagClientHandler struct{ d *deps }

// Handle records the flag: the reason sealed with the client's key, the
// flag current until the end of its last day in the line's zone. A flag
// informs staff; triage and paging never read it.
func (h FlagClientHandler) Handle(ctx context.Context, cmd FlagClient) error {
	if err := h.d.mayWorkOn(ctx, cmd.Actor, cmd.ConversationID); err != nil {
		return err
	}
	c, err := h.d.Inbox.Get(ctx, cmd.ConversationID)
	if err != nil {
		return err
	}
	flagID, err := requestID(cmd.FlagID, "the form is out of date: reload the page")
	if err != nil {
		return err
	}
	cmd.FlagID = flagID
	reason := strings.TrimSpace(cmd.Reason)
	switch {
	case !slices.Contains(events.FlagKinds, cmd.Kind):
		return badRequest("choose what the flag is for: " + strings.Join(events.FlagKinds, ", "))
	case reason == "":
		return badRequest("give a reason for the flag")
	case utf8.RuneCountInString(reason) > maxFlagReason:
		return badRequest(fmt.Sprintf("a flag's reason is at most %d characters", maxFlagReason))
	}
	m := h.d.meta()
	until, err := h.d.flagEnd(c.LineID, cmd.Until, m.OccurredAt)
	if err != nil {
		return err
	}
	var sealed events.Sealed
	_, err = h.d.Clients.Update(ctx, c.ClientID, func(cl *events.Client) error {
		if sealed.KeyID != cl.ID {
			data, err := h.d.Keys.Seal(ctx, cl.ID, []byte(reason), events.FlagReasonAAD(cmd.FlagID))
			if err != nil {
				return fmt.Errorf("seal flag reason: %w", err)
			}
			sealed = events.Sealed{KeyID: cl.ID, Data: data}
		}
		return cl.Flag(cmd.FlagID, cmd.Kind, sealed, until, cmd.Actor.ID, m)
	})
	switch {
	case errors.Is(err, events.ErrBadFlag):
		return badRequest(strings.TrimPrefix(err.Error(), events.ErrBadFlag.Error()+": "))
	case errors.Is(err, events.ErrNoClient):
		return ErrNotFound
	case err != nil:
		return err
	}
	h.d.log.Info().Str("conversation_id", cmd.ConversationID).Str("staff_id", cmd.Actor.ID).Str("flag_id", cmd.FlagID).
		Str("kind", cmd.Kind).Time("until", until).Msg("client flagged")
	return nil
}

// flagEnd is when a flag whose last day is date (YYYY-MM-DD) ends: the
// midnight after that day in the line's zone, if the flag may end then
// (events.CheckFlagUntil).
func (d *deps) flagEnd(lineID, date string, now time.Time) (time.Time, error) {
	loc := time.UTC
	if l, ok := d.File.LineByID(lineID); ok {
		if z, err := time.LoadLocation(l.Timezone); err == nil {
			loc = z
		}
	}
	day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(date), loc)
	if err != nil {
		return time.Time{}, badRequest("give the flag's last day as a date, like 2027-01-31")
	}
	end := day.AddDate(0, 0, 1)
	switch err := events.CheckFlagUntil(end, now); {
	case errors.Is(err, events.ErrFlagEnded):
		return time.Time{}, badRequest("the flag's last day must be today or later")
	case errors.Is(err, events.ErrFlagTooLong):
		return time.Time{}, badRequest("a flag lasts at most a year: flag again then, if it still holds")
	}
	return end, nil
}

// currentFlags are a conversation's client flags that hold at now, for
// the views: an expired flag is never shown.
func currentFlags(c inbox.Conversation, now time.Time) []views.ClientFlag {
	out := []views.ClientFlag{}
	for _, f := range c.CurrentFlags(now) {
		out = append(out, views.ClientFlag{Kind: f.Kind, Until: f.Until})
	}
	return out
}
