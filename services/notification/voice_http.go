package notification

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/sms"
)

// CallStatusPath is where Twilio posts a page call's progress, relative
// to the public URL; the conversation's id is its query's "c". The key
// press of a page call goes to sms.GatherPath.
const CallStatusPath = "/twilio/voice/status"

// VoiceConfig configures the page calls' webhooks.
type VoiceConfig struct {
	// PublicURL is the base URL Twilio calls and signs.
	PublicURL string
	// AuthToken checks X-Twilio-Signature.
	AuthToken string
	// AccountSID, when set, must match the webhook's AccountSid (as for
	// the SMS webhooks).
	AccountSID string
	// MaxBodyBytes bounds a webhook's form; default 64 KiB.
	MaxBodyBytes int64
}

// Voice is the HTTP port of page calls: the key press ("1" acknowledges
// via "call", "2" declines) and the call's status (an unanswered call is a
// refusal the pager acts on at once). Both are signature-checked like the
// SMS webhooks. It only appends to the log; the pager reacts.
type Voice struct {
	cfg    VoiceConfig
	file   *config.File
	convs  *events.Conversations
	now    func() time.Time
	logger zerolog.Logger
}

// NewVoice builds the webhooks over the log.
func NewVoice(cfg VoiceConfig, file *config.File, log Log, now func() time.Time, logger zerolog.Logger) *Voice {
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, 64<<10)
	convs, _ := events.NewConversations(log, events.DefaultConversationCacheSize) // size > 0: cannot fail
	return &Voice{cfg: cfg, file: file, convs: convs, now: now, logger: logger.With().Str("svc", "notification").Str("port", "voice").Logger()}
}

// errBadPage: the gather's page id names no page call.
var errBadPage = fmt.Errorf("%w: page", sms.ErrMalformed)

// Gather handles POST sms.GatherPath?page=<page id>: a key pressed on a
// page call. It answers TwiML saying what came of it.
func (v *Voice) Gather(w http.ResponseWriter, r *http.Request) {
	if !v.form(w, r) {
		return
	}
	g, err := sms.VerifyGather(v.cfg.AuthToken, sms.SignedURL(v.cfg.PublicURL, sms.GatherPath, r), r.PostForm, r.Header.Get(sms.SignatureHeader))
	if err != nil {
		v.fail(w, err)
		return
	}
	twiml, err := v.answer(r.Context(), g)
	if err != nil {
		v.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write([]byte(twiml))
}

// answer acts on a key press and says what came of it, in the paged
// person's language.
func (v *Voice) answer(ctx context.Context, g sms.Gather) (string, error) {
	convID, idx, staffID, ok := ParsePageID(g.PageID)
	if !ok {
		return "", errBadPage
	}
	voice := sms.Voice{}
	for _, st := range v.file.Staff {
		if st.ID == staffID {
			voice.Language = st.Language
		}
	}
	texts, err := voice.FilledTexts()
	if err != nil {
		return "", err
	}
	reply := g.Reply()
	switch reply {
	case sms.ReplyNone:
		return voice.SayTwiML(texts.NoInput)
	case sms.ReplyOther:
		return voice.RepromptTwiML(v.cfg.PublicURL, g.PageID)
	}
	meta := events.Meta{CorrelationID: g.CallSid, OccurredAt: v.now()}
	_, err = v.convs.Update(ctx, convID, func(c *events.Conversation) error {
		if idx >= len(c.EscalationOrder) {
			return errBadPage
		}
		escID := c.EscalationOrder[idx]
		if reply == sms.ReplyAcknowledge {
			return c.AcknowledgeVia(escID, staffID, events.AckCall, meta)
		}
		return c.Decline(escID, staffID, events.AckCall, meta)
	})
	var already *events.AlreadyAcknowledgedError
	switch {
	case errors.As(err, &already) && already.StaffID == staffID:
		return voice.SayTwiML(texts.Acknowledged)
	case errors.As(err, &already):
		return voice.SayTwiML("Already acknowledged by " + v.name(already.StaffID) + ".")
	case err != nil:
		return "", err
	}
	v.logger.Info().Str("conversation", convID).Str("staff", staffID).Str("reply", reply.String()).Str("call", g.CallSid).Msg("page call answered")
	if reply == sms.ReplyAcknowledge {
		return voice.SayTwiML(texts.Acknowledged)
	}
	return voice.SayTwiML(texts.Declined)
}

// name is a staff member's configured name, or their id.
func (v *Voice) name(staffID string) string {
	for _, st := range v.file.Staff {
		if st.ID == staffID {
			return st.Name
		}
	}
	return staffID
}

// Status handles POST CallStatusPath?c=<conversation id>: a page call's
// progress, recorded in its conversation.
func (v *Voice) Status(w http.ResponseWriter, r *http.Request) {
	if !v.form(w, r) {
		return
	}
	if !sms.Valid(v.cfg.AuthToken, sms.SignedURL(v.cfg.PublicURL, CallStatusPath, r), r.PostForm, r.Header.Get(sms.SignatureHeader)) {
		v.fail(w, sms.ErrBadSignature)
		return
	}
	cb, err := sms.ParseCallStatus(r.PostForm)
	if err != nil {
		v.fail(w, err)
		return
	}
	convID := r.URL.Query().Get("c")
	if events.ValidateID(convID) != nil {
		v.fail(w, fmt.Errorf("%w: query parameter c must be a conversation id", sms.ErrMalformed))
		return
	}
	if _, err := v.convs.Update(r.Context(), convID, func(c *events.Conversation) error {
		return c.RecordCallStatus(cb.CallSid, string(cb.Status), cb.ErrorCode, events.Meta{OccurredAt: v.now()})
	}); err != nil {
		v.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// form bounds and parses a webhook's form; it answers the error itself.
func (v *Voice) form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, v.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return false
		}
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return false
	}
	if sid := r.PostForm.Get("AccountSid"); v.cfg.AccountSID != "" && sid != v.cfg.AccountSID {
		http.Error(w, "webhook is for another account", http.StatusForbidden)
		return false
	}
	return true
}

// fail maps an error to its status: the one place this port does so.
// Messages name fields, never echo values.
func (v *Voice) fail(w http.ResponseWriter, err error) {
	var code int
	switch {
	case errors.Is(err, sms.ErrBadSignature):
		code = http.StatusForbidden
	case errors.Is(err, sms.ErrMalformed), errors.Is(err, events.ErrInvalidID), errors.Is(err, events.ErrNotFound),
		errors.Is(err, events.ErrInvalidCommand):
		code = http.StatusBadRequest
	case errors.Is(err, events.ErrUnavailable), errors.Is(err, events.ErrConcurrency):
		code = http.StatusServiceUnavailable
	default:
		v.logger.Error().Err(err).Msg("voice webhook failed")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.logger.Warn().Int("status", code).Err(err).Msg("voice webhook rejected")
	http.Error(w, http.StatusText(code), code)
}
