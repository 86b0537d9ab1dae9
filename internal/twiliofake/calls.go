package twiliofake

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Call is one voice call the fake placed, as it stands now. It rings as soon
// as it is created: queued, initiated, ringing, then answered (in-progress), or
// ended as FailCalls set for its number. An answered call whose TwiML gathers
// a key press waits for PressKey or Hangup; one that gathers nothing says its
// piece and completes.
type Call struct {
	SID        string `json:"sid"`
	AccountSID string `json:"account_sid"`
	From       string `json:"from"`
	To         string `json:"to"`
	// URL is where the call's TwiML is fetched from when it is answered;
	// empty when it came inline.
	URL string `json:"url,omitempty"`
	// TwiML is the call's TwiML, inline or as fetched from URL.
	TwiML                string   `json:"twiml,omitempty"`
	StatusCallback       string   `json:"status_callback,omitempty"`
	StatusCallbackEvents []string `json:"status_callback_events,omitempty"`
	// RingTimeout is Twilio's Timeout: how many seconds the phone rings.
	RingTimeout int    `json:"ring_timeout"`
	Status      string `json:"status"`
	// ErrorCode is Twilio's error code for a failed call, or 11200 when the
	// call's TwiML or gather webhook could not be fetched.
	ErrorCode int       `json:"error_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Said is what the call says, <Say> by <Say>, in order.
	Said []string `json:"said,omitempty"`
	// GatherAction is where a key press is posted; empty when the call waits
	// for none.
	GatherAction string `json:"gather_action,omitempty"`
	// Presses are the keys pressed so far and what the call answered.
	Presses []KeyPress `json:"presses,omitempty"`
}

// KeyPress is one key press on a call and what came of it.
type KeyPress struct {
	Digits string `json:"digits"`
	// HTTPStatus is the gather webhook's answer; 0 when it could not be reached.
	HTTPStatus int `json:"http_status,omitempty"`
	// Said is what the call said in answer (the <Say>s of the webhook's TwiML).
	Said []string `json:"said,omitempty"`
}

// Call statuses, and the order a call goes through them: every ending is
// final.
const (
	callQueued     = "queued"
	callInitiated  = "initiated"
	callRinging    = "ringing"
	callInProgress = "in-progress"
	callCompleted  = "completed"
	callBusy       = "busy"
)

var callProgress = map[string]int{callQueued: 0, callInitiated: 1, callRinging: 2, callInProgress: 3}

func callRank(status string) int {
	if r, ok := callProgress[status]; ok {
		return r
	}
	return len(callProgress) // an ending
}

// callEvent is the StatusCallbackEvent that reports a status.
func callEvent(status string) string {
	switch status {
	case callInitiated, callRinging:
		return status
	case callInProgress:
		return "answered"
	default:
		return "completed"
	}
}

// codeFetchFailed is Twilio's 11200, "HTTP retrieval failure".
const codeFetchFailed = 11200

// callRecord is a call and what its TwiML does.
type callRecord struct {
	// mu is held while the call's status moves and its callbacks go out, so a
	// call's callbacks are posted one at a time, in order.
	mu   sync.Mutex
	call Call // guarded by Fake.mu
}

// Calls returns every call placed so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.callsLocked()
}

func (f *Fake) callsLocked() []Call {
	out := make([]Call, len(f.calls))
	for i, rec := range f.calls {
		out[i] = rec.call.clone()
	}
	return out
}

// WaitForCall returns the first call (oldest first, in its current state) for
// which pred is true, waiting for new calls and changes until ctx ends.
func (f *Fake) WaitForCall(ctx context.Context, pred func(Call) bool) (Call, error) {
	return waitFor(ctx, f, "call", f.callsLocked, pred)
}

func (c Call) clone() Call {
	c.StatusCallbackEvents = slices.Clone(c.StatusCallbackEvents)
	c.Said = slices.Clone(c.Said)
	c.Presses = slices.Clone(c.Presses)
	return c
}

// recordCall stores a new call and tells waiters and subscribers.
func (f *Fake) recordCall(c Call) *callRecord {
	rec := &callRecord{call: c}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.callIndex[c.SID] = len(f.calls)
	f.calls = append(f.calls, rec)
	shown := c.clone()
	f.notifyLocked(Update{Call: &shown})
	return rec
}

func (f *Fake) callRecord(sid string) (*callRecord, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.callIndex[sid]
	if !ok {
		return nil, false
	}
	return f.calls[i], true
}

// changeCall applies change to the call under f.mu and tells waiters and
// subscribers; it returns the call as changed.
func (f *Fake) changeCall(rec *callRecord, change func(*Call)) Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&rec.call)
	c := rec.call.clone()
	f.notifyLocked(Update{Call: &c})
	return c
}

// advance moves the call on to status unless it is there or past it already,
// and posts the status callback if the call asked for that event. rec.mu is
// held. It reports whether the call moved.
func (f *Fake) advance(rec *callRecord, status string, code int) bool {
	moved := false
	c := f.changeCall(rec, func(c *Call) {
		if callRank(c.Status) >= callRank(status) {
			return
		}
		c.Status, c.ErrorCode, moved = status, code, true
	})
	if !moved || c.StatusCallback == "" {
		return moved
	}
	events := c.StatusCallbackEvents
	if len(events) == 0 {
		events = []string{"completed"} // Twilio's default
	}
	if slices.Contains(events, callEvent(status)) {
		form := f.callForm(c)
		form.Set("CallbackSource", "call-progress-events")
		form.Set("Timestamp", f.cfg.Now().UTC().Format(time.RFC1123Z))
		if callRank(status) == len(callProgress) {
			form.Set("CallDuration", "0")
			form.Set("Duration", "0")
		}
		if code != 0 {
			form.Set("ErrorCode", strconv.Itoa(code))
		}
		f.callback(c.StatusCallback, form, c.SID, status)
	}
	return true
}

// callForm holds the parameters Twilio sends in every request about a call.
func (f *Fake) callForm(c Call) url.Values {
	return url.Values{
		"AccountSid": {c.AccountSID},
		"ApiVersion": {apiVersion},
		"CallSid":    {c.SID},
		"CallStatus": {c.Status},
		"Called":     {c.To},
		"Caller":     {c.From},
		"Direction":  {"outbound-api"},
		"From":       {c.From},
		"To":         {c.To},
	}
}

// ring is a new call's job: it is answered, or ends as FailCalls set (a call
// that is not answered rang first; a busy or failed one did not).
func (f *Fake) ring(rec *callRecord, end outcome) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if end.status == "" {
		f.answer(rec)
		return
	}
	f.advance(rec, callInitiated, 0)
	if end.status == "no-answer" {
		f.advance(rec, callRinging, 0)
	}
	f.advance(rec, end.status, end.code)
}

// answer picks the call up (rec.mu held): it fetches the TwiML from the
// call's URL if it has no inline TwiML, and completes a call that gathers
// nothing.
func (f *Fake) answer(rec *callRecord) {
	f.advance(rec, callInitiated, 0)
	f.advance(rec, callRinging, 0)
	if !f.advance(rec, callInProgress, 0) {
		return // answered already, or over
	}
	f.mu.Lock()
	c := rec.call.clone()
	f.mu.Unlock()
	if c.TwiML == "" {
		resp, err := f.post(f.ctx, c.URL, f.callForm(c), idempotencyToken(c.SID, "answer"))
		doc, ok := voiceAnswer(resp, err)
		if !ok {
			f.logger.Warn().Str("sid", c.SID).Msg("call TwiML could not be fetched")
			f.advance(rec, callCompleted, codeFetchFailed)
			return
		}
		c = f.changeCall(rec, func(c *Call) {
			c.TwiML, c.Said, c.GatherAction = doc.twiml, doc.said, resolve(c.URL, doc.action)
		})
	}
	if c.GatherAction == "" {
		f.advance(rec, callCompleted, 0)
	}
}

var digitsPattern = regexp.MustCompile(`^[0-9*#]{1,32}$`)

// Errors of PressKey and Hangup.
var (
	ErrNoSuchCall = errors.New("no such call")
	ErrCallEnded  = errors.New("call has ended")
	ErrNoGather   = errors.New("call waits for no key press")
)

// PressKey answers the call (if it is not answered yet) and presses digits
// ("1", "2", ...) on it: it posts the gather webhook to the <Gather>'s action
// as Twilio does, signed with the auth token, with the call's parameters and
// Digits. The webhook's answer (its body read into memory) is returned; what
// its TwiML says is recorded on the call, which completes unless that TwiML
// gathers again. Errors: ErrNoSuchCall, ErrCallEnded, ErrNoGather, or the
// webhook could not be reached (the call then completes with 11200).
func (f *Fake) PressKey(ctx context.Context, callSid, digits string) (*http.Response, error) {
	if !digitsPattern.MatchString(digits) {
		return nil, fmt.Errorf("press %q: want 0-9, * or #", digits)
	}
	rec, ok := f.callRecord(callSid)
	if !ok {
		return nil, ErrNoSuchCall
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	f.answer(rec)
	f.mu.Lock()
	c := rec.call.clone()
	f.mu.Unlock()
	switch {
	case c.Status != callInProgress:
		return nil, fmt.Errorf("press on call %s: %w (%s)", c.SID, ErrCallEnded, c.Status)
	case c.GatherAction == "":
		return nil, fmt.Errorf("press on call %s: %w", c.SID, ErrNoGather)
	}
	form := f.callForm(c)
	form.Set("Digits", digits)
	form.Set("FinishedOnKey", "")
	form.Set("msg", "Gather End")
	resp, err := f.post(ctx, c.GatherAction, form, idempotencyToken(c.SID, "gather-"+strconv.Itoa(len(c.Presses))))
	press := KeyPress{Digits: digits}
	doc, ok := voiceAnswer(resp, err)
	if resp != nil {
		press.HTTPStatus = resp.StatusCode
	}
	if ok {
		press.Said = doc.said
	}
	c = f.changeCall(rec, func(c *Call) {
		c.Presses = append(slices.Clip(c.Presses), press)
		// The answer came from the action URL: a relative action in it is
		// relative to that.
		c.GatherAction = resolve(c.GatherAction, doc.action)
	})
	f.logger.Info().Str("sid", c.SID).Int("http_status", press.HTTPStatus).Msg("key pressed")
	switch {
	case !ok:
		f.advance(rec, callCompleted, codeFetchFailed)
	case c.GatherAction == "":
		f.advance(rec, callCompleted, 0)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// Hangup ends a call as its callee would: an answered call completes, one
// not answered yet ends busy (declined). Errors: ErrNoSuchCall, ErrCallEnded.
func (f *Fake) Hangup(callSid string) error {
	rec, ok := f.callRecord(callSid)
	if !ok {
		return ErrNoSuchCall
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	f.mu.Lock()
	status := rec.call.Status
	f.mu.Unlock()
	end := callCompleted
	if status != callInProgress {
		end = callBusy
	}
	if f.advance(rec, end, 0) {
		return nil
	}
	return fmt.Errorf("hang up call %s: %w", callSid, ErrCallEnded)
}

// voiceDoc is what the fake understands of a voice TwiML document.
type voiceDoc struct {
	twiml  string
	said   []string // the text of each <Say>, in order
	action string   // the first <Gather>'s action; "" when none
}

// twimlNode is any TwiML element.
type twimlNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr  `xml:",any,attr"`
	Text    string      `xml:",chardata"`
	Nodes   []twimlNode `xml:",any"`
}

func (n twimlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseVoice reads a voice TwiML document. Only POST gathers are supported
// (the helpline's); a GET gather is an error.
func parseVoice(twiml string) (voiceDoc, error) {
	var root twimlNode
	if err := xml.Unmarshal([]byte(twiml), &root); err != nil {
		return voiceDoc{}, fmt.Errorf("parse TwiML: %w", err)
	}
	if root.XMLName.Local != "Response" {
		return voiceDoc{}, errors.New("parse TwiML: root is not <Response>")
	}
	doc := voiceDoc{twiml: twiml}
	var walk func(nodes []twimlNode) error
	walk = func(nodes []twimlNode) error {
		for _, n := range nodes {
			switch n.XMLName.Local {
			case "Say":
				doc.said = append(doc.said, strings.TrimSpace(n.Text))
			case "Gather":
				if m := n.attr("method"); m != "" && !strings.EqualFold(m, http.MethodPost) {
					return fmt.Errorf("parse TwiML: gather method %s not supported", m)
				}
				if doc.action == "" {
					doc.action = n.attr("action")
				}
				if err := walk(n.Nodes); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root.Nodes); err != nil {
		return voiceDoc{}, err
	}
	return doc, nil
}

// voiceAnswer reads the TwiML of a webhook's answer: ok is false when the
// webhook failed, answered other than 2xx, or answered no voice TwiML.
func voiceAnswer(resp *http.Response, err error) (voiceDoc, bool) {
	if err != nil || resp.StatusCode/100 != 2 {
		return voiceDoc{}, false
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType != "text/xml" && mediaType != "application/xml" {
		return voiceDoc{}, false
	}
	answer, _ := io.ReadAll(resp.Body) // in memory already
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	doc, perr := parseVoice(string(answer))
	return doc, perr == nil
}

// resolve makes a gather action absolute against the URL of the document it
// came in, as Twilio does; an inline document's action must be absolute.
func resolve(base, action string) string {
	if action == "" {
		return ""
	}
	a, err := url.Parse(action)
	if err != nil {
		return ""
	}
	if a.IsAbs() {
		return action
	}
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return ""
	}
	return b.ResolveReference(a).String()
}
