package notification

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/keyring"
	"github.com/helpline-org/helpline/internal/sms"
)

// Reasons a send did not happen, shown to workers.
const (
	blockedOptedOut = "client opted out (texted STOP); they can text START to hear from us again"
	blockedErased   = "client's data was erased"
	blockedNoSender = "the line has no WhatsApp sender configured (lines[].whatsapp_from)"
)

// erased reports an Open error that means the client's key is gone for
// good; any other error is transient and the send is retried.
func erased(err error) bool {
	return errors.Is(err, keyring.ErrErased) || errors.Is(err, keyring.ErrNoKey)
}

// sendReply is the SMS bridge: a worker's reply goes from the line's
// number to the client's number, decrypted only here, in memory. Neither
// side sees the other's number. Nothing goes to a client who opted out:
// the reply is recorded as blocked, with the reason, for the worker.
func (s *Service) sendReply(ctx context.Context, e events.Envelope, r events.ReplyRequested) error {
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	if conv.Sends[r.ReplyID] != "" {
		return nil // already sent, failed or blocked: never twice
	}
	meta := e.Caused(s.now())
	if conv.Channel == events.ChannelWebChat {
		return nil // web chat replies reach the client through the chat stream
	}
	body, number, blocked, err := s.openForSend(ctx, conv.ClientID, r.Body, events.BodyAAD(e.ID))
	if err != nil {
		return err
	}
	if blocked != "" {
		s.logger.Info().Str("conversation", conv.ID).Str("reply", r.ReplyID).Str("reason", blocked).Msg("reply blocked")
		return s.update(ctx, conv.ID, func(c *events.Conversation) error { return c.BlockSend(r.ReplyID, blocked, meta) })
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	return s.deliver(ctx, conv.ID, r.ReplyID, events.SendReply, sms.Message{From: line.Sender(conv.Channel), To: number, Body: body,
		StatusCallback: s.statusCallback(conv.ID)}, meta)
}

// sendAutoReply answers a message that arrived out of hours, once per
// conversation per closed period, saying when the line opens again and
// what to do in an emergency; not while a worker who acknowledged a
// crisis escalation of the conversation is answering the client.
func (s *Service) sendAutoReply(ctx context.Context, e events.Envelope, o events.OutOfHoursContactRecorded) error {
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(o.ClosedPeriod))
	sendID := events.OutOfHoursSendPrefix + conv.ID[:min(len(conv.ID), 40)] + "-" + hex.EncodeToString(sum[:6])
	if conv.Sends[sendID] != "" {
		return nil
	}
	if _, escalated := conv.Escalations["esc-"+o.MessageID]; escalated {
		return nil // the message paged someone: the client is told so instead (sendCrisisReply)
	}
	if conv.Worked(e.OccurredAt) != nil {
		return nil // a worker who took the crisis on is answering: "we are closed" is not true for them
	}
	line, err := s.line(o.LineID)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(line.Timezone)
	if err != nil {
		return err
	}
	lang := o.Language
	return s.sendAutomatic(ctx, conv, sendID, line, line.OutOfHoursText(lang, config.DescribeOpening(o.NextOpen, loc, lang)), e.Caused(s.now()))
}

// sendCrisisReply answers a crisis or elevated message that came while
// the line was closed, at once: someone on call has been alerted (triage
// raised the escalation that pages them), and whom to call meanwhile. Once
// per escalation: a client who writes again while the same escalation is
// open is not told twice, nor while a worker who acknowledged a crisis
// escalation of theirs is answering them (events.Conversation.Worked). Triage decides the risk and the hour; the
// verdict is recorded after the escalation, so the escalation is in the
// conversation when its verdict arrives.
func (s *Service) sendCrisisReply(ctx context.Context, e events.Envelope, v events.MessageTriaged) error {
	if !v.OutOfHours || v.Risk != events.RiskCrisis && v.Risk != events.RiskElevated {
		return nil
	}
	conv, err := s.conversationOf(ctx, e)
	if err != nil {
		return err
	}
	esc := conv.Escalations["esc-"+v.MessageID]
	if open := conv.OpenEscalations(); esc == nil && len(open) > 0 {
		esc = open[len(open)-1] // an escalation already open covers this message
	}
	if esc == nil {
		return nil
	}
	if w := conv.Worked(e.OccurredAt); w != nil && w.ID != esc.ID {
		// A worker who took the conversation's crisis on is answering the
		// client: "we have alerted the person on call" would be wrong, and
		// they are told by an urgent notice or a page instead.
		return nil
	}
	sendID := events.CrisisSendPrefix + esc.ID
	if len(sendID) > 64 {
		sendID = events.CrisisSendPrefix + events.DerivedID(esc.ID)
	}
	if conv.Sends[sendID] != "" {
		return nil
	}
	line, err := s.line(conv.LineID)
	if err != nil {
		return err
	}
	lang := ""
	if len(v.Matches) > 0 {
		lang = v.Matches[0].Language // the language the client's words were read in
	}
	return s.sendAutomatic(ctx, conv, sendID, line, line.CrisisText(lang), e.Caused(s.now()))
}

// sendAutomatic sends an automatic reply (SendAutoReply) to the client,
// once per send id. By SMS from the line's number, on WhatsApp from its
// WhatsApp sender (an automatic reply answers the client's message, so
// WhatsApp's 24-hour window is open); in a web chat it is
// recorded as sent, and the chat shows it from the line's texts. Nothing
// goes to a client who opted out or was erased.
func (s *Service) sendAutomatic(ctx context.Context, conv *events.Conversation, sendID string, line config.Line, text string, meta events.Meta) error {
	if conv.Channel == events.ChannelWebChat {
		return s.update(ctx, conv.ID, func(c *events.Conversation) error { return c.RecordSent(sendID, events.SendAutoReply, "", meta) })
	}
	_, number, blocked, err := s.openForSend(ctx, conv.ClientID, events.Sealed{}, nil)
	if err != nil {
		return err
	}
	if blocked != "" {
		return nil // an auto-reply to an opted-out or erased client is simply not sent
	}
	return s.deliver(ctx, conv.ID, sendID, events.SendAutoReply, sms.Message{From: line.Sender(conv.Channel), To: number, Body: text,
		StatusCallback: s.statusCallback(conv.ID)}, meta)
}

// openForSend reads what a send to the client needs: the body (when one is
// given) and the number, or why nothing may be sent.
func (s *Service) openForSend(ctx context.Context, clientID string, body events.Sealed, aad []byte) (plain, number, blocked string, err error) {
	cl, err := s.client(ctx, clientID)
	if err != nil {
		return "", "", "", err
	}
	switch {
	case cl.Erased:
		return "", "", blockedErased, nil
	case cl.OptedOut:
		return "", "", blockedOptedOut, nil
	case !cl.Registered || len(cl.Contact.Data) == 0:
		return "", "", "", fmt.Errorf("client %s has no contact yet", clientID)
	}
	num, err := s.keys.Open(ctx, clientID, cl.Contact.Data, events.ContactAAD(clientID))
	if erased(err) {
		return "", "", blockedErased, nil
	}
	if err != nil {
		return "", "", "", fmt.Errorf("open contact: %w", err)
	}
	if len(body.Data) > 0 {
		b, err := s.keys.Open(ctx, clientID, body.Data, aad)
		if erased(err) {
			return "", "", blockedErased, nil
		}
		if err != nil {
			return "", "", "", fmt.Errorf("open reply: %w", err)
		}
		plain = string(b)
	}
	return plain, string(num), "", nil
}

// deliver sends and records the outcome: sent (with the provider's id),
// blocked (the provider says the client opted out), or failed for good
// (with the reason). Retryable failures return an error: the event is
// redelivered, and nothing is recorded until the send succeeds.
func (s *Service) deliver(ctx context.Context, convID, sendID, kind string, m sms.Message, meta events.Meta) error {
	if m.From == "" {
		// A WhatsApp conversation whose line's whatsapp_from was taken out
		// of the configuration: no retry can send it.
		s.logger.Error().Str("conversation", convID).Str("send", sendID).Msg("the line has no sender for the conversation's channel (whatsapp_from)")
		return s.update(ctx, convID, func(c *events.Conversation) error {
			return c.RecordSendFailed(sendID, kind, blockedNoSender, 0, meta)
		})
	}
	sid, err := s.sendSMS(ctx, m)
	if errors.Is(err, sms.ErrOptedOut) {
		return s.update(ctx, convID, func(c *events.Conversation) error { return c.BlockSend(sendID, blockedOptedOut, meta) })
	}
	if se, ok := permanent(err); ok {
		s.logger.Error().Str("conversation", convID).Str("send", sendID).Int("code", se.Code).Msg("send refused by the provider")
		return s.update(ctx, convID, func(c *events.Conversation) error { return c.RecordSendFailed(sendID, kind, se.Error(), se.Code, meta) })
	}
	if err != nil {
		return fmt.Errorf("send %s: %w", sendID, err)
	}
	s.logger.Info().Str("conversation", convID).Str("send", sendID).Str("kind", kind).Str("sid", sid).Msg("sms sent")
	return s.update(ctx, convID, func(c *events.Conversation) error { return c.RecordSent(sendID, kind, sid, meta) })
}
