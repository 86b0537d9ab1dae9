package twiliofake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/helpline-org/helpline/internal/sms"
)

// maxWebhookAnswer bounds how much of a webhook's answer is kept.
const maxWebhookAnswer = 1 << 20

// Keywords Twilio's default opt-out handling acts on (the message still reaches
// the webhook). Twilio also answers them with an SMS of its own; the fake does not.
var (
	optOutWords = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true}
	optInWords  = map[string]bool{"START": true, "YES": true, "UNSTOP": true}
)

// enqueueStatus queues m's delivery: "sent" then "delivered" when
// DeliverStatus is on, or the failure FailDeliveries set for its number.
func (f *Fake) enqueueStatus(m SentMessage) {
	f.mu.Lock()
	fail, failing := f.undelivered[m.To]
	f.mu.Unlock()
	if f.outsideWindow(m) {
		fail, failing = outcome{status: "failed", code: codeOutsideWindow}, true
	}
	if !f.cfg.DeliverStatus && !failing {
		return
	}
	f.enqueue(m.SID, func() { f.deliver(m, fail) })
}

// deliver moves a queued message through its statuses, posting a signed
// status callback for each: sent, delivered; sent, undelivered; or failed.
func (f *Fake) deliver(m SentMessage, fail outcome) {
	steps := []outcome{{status: "sent"}, {status: "delivered"}}
	switch fail.status {
	case "undelivered":
		steps = []outcome{{status: "sent"}, fail}
	case "failed":
		steps = []outcome{fail}
	}
	for _, st := range steps {
		if f.ctx.Err() != nil {
			return
		}
		f.setStatus(m.SID, st.status, st.code)
		if m.StatusCallback != "" {
			f.postStatus(m, st)
		}
	}
}

// postStatus posts one status callback with the fields of Twilio's SMS status
// callback. Like Twilio by default, it does not retry.
func (f *Fake) postStatus(m SentMessage, st outcome) {
	form := url.Values{
		"AccountSid":    {m.AccountSID},
		"ApiVersion":    {apiVersion},
		"From":          {m.From},
		"MessageSid":    {m.SID},
		"MessageStatus": {st.status},
		"SmsSid":        {m.SID},
		"SmsStatus":     {st.status},
		"To":            {m.To},
	}
	if m.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if st.code != 0 {
		form.Set("ErrorCode", strconv.Itoa(st.code))
	}
	f.callback(m.StatusCallback, form, m.SID, st.status)
}

// callback posts a status callback and logs how it went.
func (f *Fake) callback(target string, form url.Values, sid, status string) {
	log := f.logger.With().Str("sid", sid).Str("status", status).Logger()
	resp, err := f.post(f.ctx, target, form, idempotencyToken(sid, status))
	if err != nil {
		log.Warn().Err(err).Msg("status callback failed")
		return
	}
	if resp.StatusCode >= 400 {
		log.Warn().Int("http_status", resp.StatusCode).Msg("status callback refused")
	}
}

// DeliverInbound posts an inbound SMS webhook to webhookURL as Twilio does for a
// message from a client (from) to a line (to), signed with the auth token. It
// returns the new message SID and the webhook's answer, whose body is already
// read into memory (closing it is optional). A TwiML <Message> in a 2xx answer is
// recorded as a sent message, as Twilio would send it. STOP-like keywords opt
// from out before the webhook is called, START-like ones opt back in (on SMS
// only). From and to may be WhatsApp addresses ("whatsapp:+E164", see WhatsApp):
// the webhook then carries WhatsApp's fields, and opens the 24-hour window for
// free-form messages back to from.
func (f *Fake) DeliverInbound(ctx context.Context, webhookURL string, from, to, body string) (messageSid string, resp *http.Response, err error) {
	sid := newSID("SM")
	resp, err = f.DeliverInboundWithSid(ctx, webhookURL, sid, from, to, body)
	return sid, resp, err
}

// DeliverInboundWithSid is DeliverInbound with a given message SID, to replay a
// delivery as Twilio's retries do (same SID, same idempotency token header).
func (f *Fake) DeliverInboundWithSid(ctx context.Context, webhookURL, messageSid, from, to, body string) (*http.Response, error) {
	f.applyKeywords(from, body)
	form := url.Values{
		"AccountSid":    {f.cfg.AccountSID},
		"ApiVersion":    {apiVersion},
		"Body":          {body},
		"From":          {from},
		"FromCity":      {""},
		"FromCountry":   {country(from)},
		"FromState":     {""},
		"FromZip":       {""},
		"MessageSid":    {messageSid},
		"NumMedia":      {"0"},
		"NumSegments":   {fmt.Sprint(segments(body))},
		"SmsMessageSid": {messageSid},
		"SmsSid":        {messageSid},
		"SmsStatus":     {"received"},
		"To":            {to},
		"ToCity":        {""},
		"ToCountry":     {country(to)},
		"ToState":       {""},
		"ToZip":         {""},
	}
	if f.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", f.cfg.MessagingServiceSID)
	}
	if isWhatsApp(from) {
		whatsAppInbound(form, from)
	}
	f.noteInbound(from, to)
	resp, err := f.post(ctx, webhookURL, form, idempotencyToken(messageSid, "received"))
	if err != nil {
		return nil, err
	}
	f.logger.Info().Str("message_sid", messageSid).Int("http_status", resp.StatusCode).Msg("inbound webhook delivered")
	f.sendTwiMLReplies(resp, from, to)
	return resp, nil
}

func (f *Fake) applyKeywords(from, body string) {
	if isWhatsApp(from) {
		return // Twilio's opt-out handling is for SMS: on WhatsApp the business honours STOP itself
	}
	word := strings.ToUpper(strings.TrimSpace(body))
	switch {
	case optOutWords[word]:
		f.OptOut(from)
	case optInWords[word]:
		f.OptIn(from)
	}
}

// post sends a signed form webhook and returns the answer with its body read.
func (f *Fake) post(ctx context.Context, target string, form url.Values, token string) (*http.Response, error) {
	req, err := sms.NewWebhook(ctx, target, target, f.cfg.AuthToken, form)
	if err != nil {
		return nil, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("I-Twilio-Idempotency-Token", token)
	resp, err := f.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookAnswer))
	if err != nil {
		return nil, fmt.Errorf("read webhook answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	return resp, nil
}

// twiml is the part of a TwiML answer the fake understands.
type twiml struct {
	XMLName  xml.Name `xml:"Response"`
	Messages []struct {
		To             string `xml:"to,attr"`
		From           string `xml:"from,attr"`
		StatusCallback string `xml:"statusCallback,attr"`
		Body           string `xml:"Body"`
		Text           string `xml:",chardata"`
	} `xml:"Message"`
}

// sendTwiMLReplies records the <Message> verbs of a webhook's TwiML answer.
func (f *Fake) sendTwiMLReplies(resp *http.Response, client, line string) {
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode/100 != 2 || (mediaType != "text/xml" && mediaType != "application/xml") {
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	var doc twiml
	if err := xml.Unmarshal(answer, &doc); err != nil {
		f.logger.Warn().Err(err).Msg("webhook answered invalid TwiML")
		return
	}
	for _, tm := range doc.Messages {
		m := SentMessage{
			SID:            newSID("SM"),
			AccountSID:     f.cfg.AccountSID,
			From:           orDefault(tm.From, line),
			To:             orDefault(tm.To, client),
			Body:           strings.TrimSpace(orDefault(tm.Body, tm.Text)),
			StatusCallback: tm.StatusCallback,
			Status:         "queued",
			SentAt:         f.cfg.Now(),
			ViaTwiML:       true,
		}
		if m.Body == "" || f.isOptedOut(m.To) {
			f.logger.Info().Msg("TwiML message not sent (empty or opted out)")
			continue
		}
		m.NumSegments = segments(m.Body)
		f.record(m)
		f.enqueueStatus(m)
		f.logger.Info().Str("message_sid", m.SID).Msg("TwiML message accepted")
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// idempotencyToken stands in for Twilio's I-Twilio-Idempotency-Token: the same
// for a replay of the same event.
func idempotencyToken(sid, event string) string {
	sum := sha256.Sum256([]byte(sid + "/" + event))
	return hex.EncodeToString(sum[:16])
}

// country guesses the ISO country of an E.164 number for the few prefixes the
// sandbox uses; Twilio looks it up properly.
func country(number string) string {
	for _, p := range []struct{ prefix, iso string }{
		{"+44", "GB"}, {"+353", "IE"}, {"+1", "US"}, {"+61", "AU"}, {"+64", "NZ"},
	} {
		if strings.HasPrefix(number, p.prefix) {
			return p.iso
		}
	}
	return ""
}
