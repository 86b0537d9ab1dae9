package twiliofake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

const (
	// maxTwiML is how long an inline Twiml parameter may be, in characters.
	maxTwiML = 4000
	// defaultRingTimeout is Twilio's Timeout when none is given, in seconds.
	defaultRingTimeout = 60
	// codeBadTwiML is the code the fake refuses unreadable or overlong inline
	// TwiML with (Twilio's "Document parse failure"; Twilio itself may refuse
	// some of these with another code, or only when the call is answered).
	codeBadTwiML = 12100
)

// callResource is Twilio's v2010 Call resource as JSON.
type callResource struct {
	AccountSID      string            `json:"account_sid"`
	AnsweredBy      *string           `json:"answered_by"`
	APIVersion      string            `json:"api_version"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	Direction       string            `json:"direction"`
	Duration        *string           `json:"duration"`
	EndTime         *string           `json:"end_time"`
	From            string            `json:"from"`
	FromFormatted   string            `json:"from_formatted"`
	ParentCallSID   *string           `json:"parent_call_sid"`
	Price           *string           `json:"price"`
	PriceUnit       string            `json:"price_unit"`
	QueueTime       string            `json:"queue_time"`
	SID             string            `json:"sid"`
	StartTime       *string           `json:"start_time"`
	Status          string            `json:"status"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
	To              string            `json:"to"`
	ToFormatted     string            `json:"to_formatted"`
	URI             string            `json:"uri"`
}

func (f *Fake) createCall(w http.ResponseWriter, r *http.Request) {
	if !f.acceptCreate(w, r, 21205) {
		return
	}
	c := Call{
		SID:                  newSID("CA"),
		AccountSID:           f.cfg.AccountSID,
		From:                 r.PostForm.Get("From"),
		To:                   r.PostForm.Get("To"),
		URL:                  r.PostForm.Get("Url"),
		TwiML:                r.PostForm.Get("Twiml"),
		StatusCallback:       r.PostForm.Get("StatusCallback"),
		StatusCallbackEvents: r.PostForm["StatusCallbackEvent"],
		RingTimeout:          defaultRingTimeout,
		Status:               callQueued,
		CreatedAt:            f.cfg.Now(),
	}
	if t := r.PostForm.Get("Timeout"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, 21205)
			return
		}
		c.RingTimeout = n
	}
	if code := f.checkCall(&c); code != 0 {
		writeError(w, http.StatusBadRequest, code)
		return
	}
	f.mu.Lock()
	end := f.unanswered[c.To]
	f.mu.Unlock()
	rec := f.recordCall(c)
	f.enqueue(c.SID, func() { f.ring(rec, end) })
	f.logger.Info().Str("call_sid", c.SID).Msg("call placed")
	writeJSON(w, http.StatusCreated, f.callResource(c))
}

// checkCall applies Twilio's validation, returning an error code or 0. An
// inline TwiML document is read here (Twiml wins over Url, as at Twilio), so
// the call shows what it will say while it rings.
func (f *Fake) checkCall(c *Call) int {
	switch {
	case c.To == "":
		return 21201
	case c.From == "":
		return 21213
	case c.TwiML == "" && c.URL == "":
		return 21205
	case !e164.MatchString(c.To):
		return 21211
	case c.TwiML == "":
		return 0
	case utf8.RuneCountInString(c.TwiML) > maxTwiML:
		return codeBadTwiML
	}
	c.URL = ""
	doc, err := parseVoice(c.TwiML)
	if err != nil {
		return codeBadTwiML
	}
	c.Said, c.GatherAction = doc.said, resolve("", doc.action)
	return 0
}

func (f *Fake) fetchCall(w http.ResponseWriter, r *http.Request) {
	fetch(f, w, r, func(sid string) (Call, bool) {
		rec, ok := f.callRecord(sid)
		if !ok {
			return Call{}, false
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return rec.call.clone(), true
	}, f.callResource)
}

func (f *Fake) callResource(c Call) callResource {
	uri := fmt.Sprintf("/%s/Accounts/%s/Calls/%s", apiVersion, c.AccountSID, c.SID)
	return callResource{
		AccountSID:    c.AccountSID,
		APIVersion:    apiVersion,
		DateCreated:   c.CreatedAt.UTC().Format(time.RFC1123Z),
		DateUpdated:   f.cfg.Now().UTC().Format(time.RFC1123Z),
		Direction:     "outbound-api",
		From:          c.From,
		FromFormatted: c.From,
		PriceUnit:     "USD",
		QueueTime:     "0",
		SID:           c.SID,
		Status:        c.Status,
		SubresourceURIs: map[string]string{
			"notifications": uri + "/Notifications.json",
			"recordings":    uri + "/Recordings.json",
		},
		To:          c.To,
		ToFormatted: c.To,
		URI:         uri + ".json",
	}
}
