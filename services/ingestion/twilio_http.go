package ingestion

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/sms"
)

// SignatureChecker verifies X-Twilio-Signature for the URL Twilio called.
type SignatureChecker func(url string, form url.Values, signature string) bool

// WebhookConfig configures the Twilio webhook handlers.
type WebhookConfig struct {
	// PublicURL is the base URL Twilio calls (HELPLINE_PUBLIC_URL): the
	// signature covers it, never the Host header a proxy may rewrite.
	PublicURL string
	// AccountSID, when set, must match the webhook's AccountSid.
	AccountSID string
	// MaxBodyBytes bounds a webhook's form; larger is 413. Default 64 KiB.
	MaxBodyBytes int64
}

// Webhooks are the HTTP ports for Twilio.
type Webhooks struct {
	cfg    WebhookConfig
	r      *Receiver
	valid  SignatureChecker
	logger zerolog.Logger
}

// NewWebhooks builds the handlers.
func NewWebhooks(cfg WebhookConfig, r *Receiver, valid SignatureChecker, logger zerolog.Logger) *Webhooks {
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, 64<<10)
	return &Webhooks{cfg: cfg, r: r, valid: valid, logger: logger.With().Str("svc", "ingestion").Logger()}
}

// Paths of the webhooks, relative to the public URL.
const (
	SMSPath    = "/twilio/sms"
	StatusPath = "/twilio/status"
)

// maxBodyChars is Twilio's limit for one message.
const maxBodyChars = 1600

// emptyTwiML answers Twilio without sending anything back: replies go out
// through the REST API, from the notification service.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// SMS handles POST /twilio/sms. It answers 200 only after the message is
// durable in the log; 503 when the log is unavailable, so Twilio calls the
// fallback URL (a second ingestion replica).
func (h *Webhooks) SMS(w http.ResponseWriter, req *http.Request) {
	form, ok := h.parse(w, req, SMSPath)
	if !ok {
		return
	}
	in := InboundSMS{MessageSid: form.Get("MessageSid"), From: form.Get("From"), To: form.Get("To"), Body: form.Get("Body")}
	if err := validateInbound(in); err != nil {
		h.fail(w, req, err)
		return
	}
	rc, err := h.r.ReceiveSMS(req.Context(), in)
	if err != nil {
		h.fail(w, req, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	if rc.StaffID != "" {
		// A staff member answering a page: the answer goes back to their
		// phone as TwiML, from the line's number.
		h.logger.Info().Str("line", rc.LineID).Str("staff", rc.StaffID).Str("correlation_id", rc.EventID).Msg("staff sms answered")
		_, _ = w.Write([]byte(messageTwiML(rc.Answer)))
		return
	}
	h.logger.Info().Str("line", rc.LineID).Str("client", rc.Pseudonym).Str("conversation", rc.ConversationID).
		Str("event", rc.EventID).Str("correlation_id", rc.EventID).Bool("duplicate", rc.Duplicate).Str("consent", rc.Consent).Msg("sms received")
	// A client's HELP is answered with the line's help_reply, as TwiML from
	// the line's number; any other message gets no immediate answer.
	_, _ = w.Write([]byte(messageTwiML(rc.Answer)))
}

// messageTwiML answers a webhook with one SMS back to its sender (none
// when text is empty); encoding/xml escapes the text.
func messageTwiML(text string) string {
	if text == "" {
		return emptyTwiML
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response><Message>`)
	_ = xml.EscapeText(&b, []byte(text)) // a strings.Builder never fails
	b.WriteString(`</Message></Response>`)
	return b.String()
}

// Status handles POST /twilio/status?c=<conversation id>.
func (h *Webhooks) Status(w http.ResponseWriter, req *http.Request) {
	form, ok := h.parse(w, req, StatusPath)
	if !ok {
		return
	}
	cb, err := sms.ParseMessageStatus(form)
	if err != nil {
		h.fail(w, req, fmt.Errorf("%w: %w", ErrBadInput, err))
		return
	}
	s := DeliveryStatus{ConversationID: req.URL.Query().Get("c"), MessageSid: cb.MessageSid, Status: string(cb.Status), ErrorCode: cb.ErrorCode}
	if err := h.r.RecordStatus(req.Context(), s); err != nil {
		h.fail(w, req, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parse bounds, parses and authenticates a webhook. It writes the error
// response itself and reports whether to go on.
func (h *Webhooks) parse(w http.ResponseWriter, req *http.Request, path string) (url.Values, bool) {
	req.Body = http.MaxBytesReader(w, req.Body, h.cfg.MaxBodyBytes)
	if err := req.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.respond(w, req, http.StatusRequestEntityTooLarge, "request body too large")
			return nil, false
		}
		h.respond(w, req, http.StatusBadRequest, "malformed form body")
		return nil, false
	}
	// The signature covers the public URL Twilio called, with its query.
	sig := req.Header.Get(sms.SignatureHeader)
	if sig == "" || !h.valid(sms.SignedURL(h.cfg.PublicURL, path, req), req.PostForm, sig) {
		h.respond(w, req, http.StatusForbidden, "invalid or missing X-Twilio-Signature")
		return nil, false
	}
	if sid := req.PostForm.Get("AccountSid"); h.cfg.AccountSID != "" && sid != h.cfg.AccountSID || sid != "" && !sms.ValidAccountSid(sid) {
		h.respond(w, req, http.StatusForbidden, "webhook is for another account")
		return nil, false
	}
	return req.PostForm, true
}

func validateInbound(in InboundSMS) error {
	if _, err := channelOf(in.From, in.To); err != nil {
		return err
	}
	switch {
	case !sms.ValidMessageSid(in.MessageSid):
		return fmt.Errorf("%w: MessageSid missing or malformed", ErrBadInput)
	case !utf8.ValidString(in.Body):
		return fmt.Errorf("%w: Body is not UTF-8", ErrBadInput)
	case utf8.RuneCountInString(in.Body) > maxBodyChars:
		return fmt.Errorf("%w: Body longer than %d characters", ErrBadInput, maxBodyChars)
	}
	return nil
}

// fail maps an error to its status: the one place this service does so.
// Messages name fields, never echo their values.
func (h *Webhooks) fail(w http.ResponseWriter, req *http.Request, err error) {
	switch {
	case errors.Is(err, ErrBadInput):
		h.respond(w, req, http.StatusBadRequest, err.Error())
	case errors.Is(err, ErrUnknownLine):
		h.respond(w, req, http.StatusNotFound, "no line has the To number")
	case errors.Is(err, events.ErrUnavailable), errors.Is(err, events.ErrConcurrency):
		h.logger.Error().Err(err).Msg("event log unavailable: answering 503 so Twilio uses the fallback URL")
		h.respond(w, req, http.StatusServiceUnavailable, "temporarily unavailable")
	default:
		h.logger.Error().Err(err).Msg("webhook failed")
		h.respond(w, req, http.StatusInternalServerError, "internal error")
	}
}

func (h *Webhooks) respond(w http.ResponseWriter, req *http.Request, code int, msg string) {
	if code < 500 {
		h.logger.Warn().Int("status", code).Str("path", req.URL.Path).Str("reason", msg).Msg("webhook rejected")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}
