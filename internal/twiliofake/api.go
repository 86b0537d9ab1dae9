package twiliofake

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	apiVersion  = "2010-04-01"
	maxBodyLen  = 1600 // characters, Twilio's limit for one message
	maxFormSize = 64 << 10
)

// e164 is the number shape the fake accepts (Twilio is more lenient with
// national formats; the helpline always sends E.164).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Twilio's error messages for the codes the fake produces. Twilio's 21211
// message contains the number; the fake's does not.
var errorMessages = map[int]string{
	20001: "Invalid parameter",
	20003: "Authenticate",
	20404: "The requested resource was not found",
	20429: "Too Many Requests",
	20500: "An internal server error has occurred",
	21211: "The 'To' number is not a valid phone number.",
	21602: "Message body is required.",
	21603: "A 'From' phone number is required.",
	21604: "A 'To' phone number is required.",
	21610: "Attempt to send to unsubscribed recipient",
	21614: "'To' number is not a valid mobile number",
	21617: "The concatenated message body exceeds the 1600 character limit.",
	21201: "No 'To' number is specified",
	21213: "No 'From' number is specified",
	21205: "Url parameter is required",
	12100: "Document parse failure",
	30003: "Unreachable destination handset",
	30005: "Unknown destination handset",
	// WhatsApp (whatsapp.go).
	codeOutsideWindow: "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.",
	codeNoChannel:     "Twilio could not find a Channel with the specified From address",
}

func defaultCode(status int) int {
	switch {
	case status == http.StatusUnauthorized:
		return 20003
	case status == http.StatusNotFound:
		return 20404
	case status == http.StatusTooManyRequests:
		return 20429
	case status >= 500:
		return 20500
	default:
		return 21211
	}
}

// apiError is Twilio's error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// messageResource is Twilio's v2010 Message resource as JSON.
type messageResource struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

func (f *Fake) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{AccountSid}/Messages.json", f.createMessage)
	mux.HandleFunc("GET /2010-04-01/Accounts/{AccountSid}/Messages.json", f.listMessages)
	mux.HandleFunc("GET /2010-04-01/Accounts/{AccountSid}/Messages/{file}", f.fetchMessage)
	mux.HandleFunc("POST /2010-04-01/Accounts/{AccountSid}/Calls.json", f.createCall)
	mux.HandleFunc("GET /2010-04-01/Accounts/{AccountSid}/Calls/{file}", f.fetchCall)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 20404)
	})
	return mux
}

// authorize checks basic auth as Twilio does: 401 / 20003 for wrong
// credentials, 404 for another account's path.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok ||
		subtle.ConstantTimeCompare([]byte(user), []byte(f.cfg.AccountSID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(f.cfg.AuthToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003)
		return false
	}
	if r.PathValue("AccountSid") != f.cfg.AccountSID {
		writeError(w, http.StatusNotFound, 20404)
		return false
	}
	return true
}

// acceptCreate starts every create request: credentials, a bounded form
// (badForm is the error code when it cannot be read), and the next injected
// fault. It writes the error answer itself and reports whether to go on.
func (f *Fake) acceptCreate(w http.ResponseWriter, r *http.Request, badForm int) bool {
	if !f.authorize(w, r) {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, badForm)
		return false
	}
	if ft, ok := f.takeFault(); ok {
		f.logger.Info().Int("status", ft.status).Int("code", ft.code).Msg("injected fault")
		writeError(w, ft.status, ft.code)
		return false
	}
	return true
}

func (f *Fake) createMessage(w http.ResponseWriter, r *http.Request) {
	if !f.acceptCreate(w, r, 21602) {
		return
	}
	m := SentMessage{
		SID:                 newSID("SM"),
		AccountSID:          f.cfg.AccountSID,
		From:                r.PostForm.Get("From"),
		To:                  r.PostForm.Get("To"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"),
		Body:                r.PostForm.Get("Body"),
		StatusCallback:      r.PostForm.Get("StatusCallback"),
		Status:              "queued",
		SentAt:              f.cfg.Now(),
	}
	if code := f.check(m); code != 0 {
		writeError(w, http.StatusBadRequest, code)
		return
	}
	m.NumSegments = segments(m.Body)
	f.record(m)
	f.enqueueStatus(m)
	f.logger.Info().Str("message_sid", m.SID).Msg("message accepted")
	if f.takeHold(m.To) {
		<-r.Context().Done() // HoldAnswer: the sender never learns it was accepted
		return
	}
	writeJSON(w, http.StatusCreated, f.resource(m))
}

// check applies Twilio's validation, returning an error code or 0.
func (f *Fake) check(m SentMessage) int {
	switch {
	case m.To == "":
		return 21604
	case m.From == "" && m.MessagingServiceSID == "":
		return 21603
	case m.Body == "":
		return 21602
	case utf8.RuneCountInString(m.Body) > maxBodyLen:
		return 21617
	case !validAddress(m.To):
		return 21211
	case f.isOptedOut(m.To):
		return 21610
	}
	return checkWhatsApp(m)
}

func (f *Fake) fetchMessage(w http.ResponseWriter, r *http.Request) {
	fetch(f, w, r, f.message, f.resource)
}

// fetch serves GET .../{Resource}/{Sid}.json: find looks the SID up, show
// renders what it found. A wildcard must be a whole path segment, so the
// ".json" is cut by hand.
func fetch[T, R any](f *Fake, w http.ResponseWriter, r *http.Request, find func(string) (T, bool), show func(T) R) {
	if !f.authorize(w, r) {
		return
	}
	sid, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	v, found := find(sid)
	if !ok || !found {
		writeError(w, http.StatusNotFound, 20404)
		return
	}
	writeJSON(w, http.StatusOK, show(v))
}

func (f *Fake) resource(m SentMessage) messageResource {
	uri := fmt.Sprintf("/%s/Accounts/%s/Messages/%s", apiVersion, m.AccountSID, m.SID)
	created := m.SentAt.UTC().Format(time.RFC1123Z)
	res := messageResource{
		AccountSID:      m.AccountSID,
		APIVersion:      apiVersion,
		Body:            m.Body,
		DateCreated:     created,
		DateUpdated:     f.cfg.Now().UTC().Format(time.RFC1123Z),
		Direction:       "outbound-api",
		NumMedia:        "0",
		NumSegments:     fmt.Sprint(m.NumSegments),
		PriceUnit:       "USD",
		SID:             m.SID,
		Status:          m.Status,
		SubresourceURIs: map[string]string{"media": uri + "/Media.json"},
		To:              m.To,
		URI:             uri + ".json",
	}
	if m.From != "" {
		res.From = &m.From
	}
	if m.MessagingServiceSID != "" {
		res.MessagingServiceSID = &m.MessagingServiceSID
	}
	if m.Status == "sent" || m.Status == "delivered" || m.Status == "undelivered" {
		res.DateSent = &res.DateUpdated
	}
	if m.ErrorCode != 0 {
		code, text := m.ErrorCode, errorMessages[m.ErrorCode]
		res.ErrorCode, res.ErrorMessage = &code, &text
	}
	if m.ViaTwiML {
		res.Direction = "outbound-reply"
	}
	return res
}

func writeError(w http.ResponseWriter, status, code int) {
	msg, ok := errorMessages[code]
	if !ok {
		msg = "Error injected by twiliofake"
	}
	writeJSON(w, status, apiError{
		Code:     code,
		Message:  msg,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		Status:   status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client went away if this fails
}
