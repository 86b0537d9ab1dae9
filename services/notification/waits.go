package notification

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/schedule"
	"github.com/helpline-org/helpline/internal/timers"
)

// A wait message that is true. When a client's SMS has waited
// lines[].wait_message_after (1 minute) for a worker's reply while the
// line is open, the client is told, once, how long people have lately
// waited for a first reply on the line: the median of the first-reply
// waits of the line's last WaitFigures answered conversations seen in the
// last day, rounded up to the minute; with no such figures the text says
// so instead of guessing. If their words since the last reply were read
// as elevated or crisis, the line's emergency numbers are added. Never
// more than one per lines[].wait_message_every (30 minutes) per
// conversation, and never while the line is closed: the out-of-hours
// reply covers that. Web chat clients get none yet (the chat shows
// automatic replies from the line's fixed texts).
//
// The timers are durable (the notification timers bucket): "wait-<conv>"
// fires the check; "waited-<conv>", set when one is sent, holds the
// period (its firing does nothing).

const (
	waitTimerPrefix  = "wait-"
	quietTimerPrefix = "waited-"
	// WaitFigures is how many recent first-reply waits per line the
	// expected wait is the median of; waitFiguresAge bounds how old one
	// may be.
	WaitFigures    = 20
	waitFiguresAge = 24 * time.Hour
)

func waitTimerKey(convID string) string  { return waitTimerPrefix + convID }
func quietTimerKey(convID string) string { return quietTimerPrefix + convID }

// firstReply is one answered conversation's first-reply wait.
type firstReply struct {
	at   time.Time // when the first reply was asked for
	wait time.Duration
}

// armWait sets the conversation's wait check when a client's SMS was
// triaged while the line was open: one check per conversation at a time.
func (s *Service) armWait(ctx context.Context, e events.Envelope, v events.MessageTriaged) error {
	if v.OutOfHours {
		return nil
	}
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	if conv.Channel == events.ChannelWebChat || conv.Closed {
		return nil
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	from := conv.LastInboundAt
	if from.IsZero() {
		from = e.OccurredAt
	}
	lang := ""
	if len(v.Matches) > 0 {
		lang = v.Matches[0].Language // the language the client's words were read in
	}
	_, err = s.timers.SetIfAbsent(ctx, timers.Timer{Key: waitTimerKey(conv.ID), Due: from.Add(line.WaitMessageAfter.Duration),
		Data: map[string]string{"message": v.MessageID, "lang": lang}})
	return err
}

// noteReply keeps a conversation's first-reply wait for the line's
// figures, when the reply event is its first.
func (s *Service) noteReply(ctx context.Context, e events.Envelope) error {
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	if conv.StartedAt.IsZero() || !conv.FirstReplyAt.Equal(e.OccurredAt) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := append(s.waits[conv.LineID], firstReply{at: conv.FirstReplyAt, wait: conv.FirstReplyAt.Sub(conv.StartedAt)})
	if len(fs) > WaitFigures {
		fs = fs[len(fs)-WaitFigures:]
	}
	s.waits[conv.LineID] = fs
	return nil
}

// expectedWait is the median of the line's recent first-reply waits, and
// whether there are any.
func (s *Service) expectedWait(lineID string, now time.Time) (time.Duration, bool) {
	s.mu.Lock()
	var ws []time.Duration
	for _, f := range s.waits[lineID] {
		if now.Sub(f.at) <= waitFiguresAge {
			ws = append(ws, f.wait)
		}
	}
	s.mu.Unlock()
	if len(ws) == 0 {
		return 0, false
	}
	slices.Sort(ws)
	return ws[len(ws)/2], true
}

// onWaitDue sends the wait message if the client is still waiting, the
// line is open, and none was sent in the period.
func (s *Service) onWaitDue(ctx context.Context, t timers.Timer) error {
	if strings.HasPrefix(t.Key, quietTimerPrefix) {
		return nil // the period is over
	}
	convID := strings.TrimPrefix(t.Key, waitTimerPrefix)
	conv, err := s.conversation(ctx, convID)
	if err != nil {
		return err
	}
	if !conv.Started || conv.Closed || conv.Channel == events.ChannelWebChat || !conv.LastReplyAt.Before(conv.LastInboundAt) {
		return nil // answered, closed, or a web chat
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	now := s.now()
	hours, err := schedule.New(schedule.Config{Timezone: line.Timezone, Hours: line.Hours, AlwaysOpen: line.AlwaysOpen, Holidays: line.Holidays})
	if err != nil {
		return fmt.Errorf("line %s hours: %w", line.ID, err)
	}
	if !hours.IsOpen(now) {
		return nil // the out-of-hours reply covers a closed line
	}
	if q, ok, err := s.timers.Get(ctx, quietTimerKey(convID)); err != nil {
		return err
	} else if ok && now.Before(q.Due) {
		return nil // one was sent within the period
	}
	urgent := false
	for _, v := range conv.Recent {
		if !v.At.Before(conv.LastReplyAt) && (v.Risk == events.RiskElevated || v.Risk == events.RiskCrisis) {
			urgent = true
		}
	}
	wait, known := s.expectedWait(line.ID, now)
	lang := t.Data["lang"]
	sendID := events.WaitSendPrefix + events.DerivedID(convID, t.Data["message"], t.Due.UTC().Format(time.RFC3339Nano))
	if conv.Sends[sendID] != "" {
		return nil
	}
	// The period starts before the send: a crash after the send and
	// before this would otherwise send again.
	if err := s.timers.Set(ctx, timers.Timer{Key: quietTimerKey(convID), Due: now.Add(line.WaitMessageEvery.Duration)}); err != nil {
		return err
	}
	s.logger.Info().Str("conversation", convID).Bool("figures", known).Dur("expected_wait", wait).Bool("urgent", urgent).Msg("wait message")
	return s.sendAutomatic(ctx, conv, sendID, line, line.WaitText(lang, wait, known, urgent), events.Meta{OccurredAt: now, CorrelationID: convID})
}
