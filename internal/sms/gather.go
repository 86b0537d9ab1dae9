package sms

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/helpline-org/helpline/internal/config"
)

// GatherPath is where Twilio posts a page call's key press (the action of its
// <Gather>), relative to the public URL; the page's id is its query's "page".
const GatherPath = "/twilio/voice/gather"

// pageParam is the gather action's query parameter naming the page.
const pageParam = "page"

// ErrBadSignature means a webhook's X-Twilio-Signature is missing or is not
// Twilio's signature of what was posted to the public URL: answer 403.
var ErrBadSignature = errors.New("invalid or missing X-Twilio-Signature")

var (
	// pageIDPattern: URL-unreserved characters only, so a page id stands in the
	// gather URL exactly as given and the signed URL is unambiguous.
	pageIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)
	digitsPattern = regexp.MustCompile(`^[0-9*#]{0,32}$`)
)

// ValidPageID reports whether id can name a page in a gather URL: 1 to 128
// characters of A-Z, a-z, 0-9, '.', '_', '~' or '-'. A page id is opaque (an
// escalation id, step and staff id, or a short code): never a phone number or
// anything a client wrote.
func ValidPageID(id string) bool { return pageIDPattern.MatchString(id) }

// GatherURL is the action of a page call's <Gather>: the public URL Twilio
// calls, GatherPath, and the page id in the query.
func GatherURL(publicURL, pageID string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("public URL: want http(s)://host[:port][/prefix]")
	}
	if !ValidPageID(pageID) {
		return "", errors.New("page id: want 1-128 characters of A-Z, a-z, 0-9, '.', '_', '~' or '-'")
	}
	return strings.TrimRight(publicURL, "/") + GatherPath + "?" + pageParam + "=" + pageID, nil
}

// SignedURL is the URL Twilio signed for webhook request r served at path:
// the public URL configured at Twilio, the path, and r's query exactly as it
// came. Never the Host header, which a proxy may rewrite.
func SignedURL(publicURL, path string, r *http.Request) string {
	u := strings.TrimRight(publicURL, "/") + path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// Reply is what a paged person answered: by a key press on a page call, or by
// a reply to the page SMS.
type Reply int

// Replies.
const (
	// ReplyNone: nothing was pressed or said.
	ReplyNone Reply = iota
	// ReplyAcknowledge: "1", the person takes it.
	ReplyAcknowledge
	// ReplyDecline: "2", they cannot take it; the next level is paged at once.
	ReplyDecline
	// ReplyOther: anything else; answer with the instructions again.
	ReplyOther
)

// ReplyOf reads a key press, or an SMS reply's text, around spaces: "1"
// acknowledges, "2" declines.
func ReplyOf(s string) Reply {
	switch strings.TrimSpace(s) {
	case "":
		return ReplyNone
	case "1":
		return ReplyAcknowledge
	case "2":
		return ReplyDecline
	default:
		return ReplyOther
	}
}

// String names the reply for logs.
func (r Reply) String() string {
	switch r {
	case ReplyNone:
		return "none"
	case ReplyAcknowledge:
		return "acknowledge"
	case ReplyDecline:
		return "decline"
	default:
		return "other"
	}
}

// Gather is a key press on a page call, as Twilio posts it to the <Gather>'s
// action. From and To are phone numbers: never log or store them.
type Gather struct {
	// PageID names the page the call was made for (the query's "page").
	PageID string
	// Digits are the keys pressed ("" when none).
	Digits string
	// CallSid is Twilio's id of the call.
	CallSid string
	// From is the line's number that placed the call, To the phone called.
	From, To string
	// CallStatus is the call's status when the key was pressed (in-progress).
	CallStatus CallStatus
}

// Reply is what the key press means.
func (g Gather) Reply() Reply { return ReplyOf(g.Digits) }

// ParseGather reads a gather webhook's query (page) and form (Digits, CallSid,
// From, To, CallStatus) once its signature was checked. Errors wrap
// ErrMalformed and name the field, never its value; a field given twice is
// malformed (which of the two would count is ambiguous).
func ParseGather(query, form url.Values) (Gather, error) {
	one := func(vs url.Values, key string) (string, error) {
		if len(vs[key]) > 1 {
			return "", fmt.Errorf("%w: %s given more than once", ErrMalformed, key)
		}
		return vs.Get(key), nil
	}
	var g Gather
	var status string
	for _, f := range []struct {
		vs  url.Values
		key string
		to  *string
		ok  func(string) bool
	}{
		{query, pageParam, &g.PageID, ValidPageID},
		{form, "Digits", &g.Digits, digitsPattern.MatchString},
		{form, "CallSid", &g.CallSid, callSidPattern.MatchString},
		{form, "From", &g.From, config.ValidE164},
		{form, "To", &g.To, config.ValidE164},
		{form, "CallStatus", &status, func(s string) bool { return CallStatus(s).Known() }},
	} {
		v, err := one(f.vs, f.key)
		if err != nil {
			return Gather{}, err
		}
		if !f.ok(v) {
			return Gather{}, fmt.Errorf("%w: %s missing or malformed", ErrMalformed, f.key)
		}
		*f.to = v
	}
	g.CallStatus = CallStatus(status)
	return g, nil
}

// VerifyGather checks a gather webhook's signature exactly as the SMS
// webhook's (Valid: twilio-go's RequestValidator over signedURL, the public
// URL Twilio called with its query, and the posted form), then parses it
// (ParseGather). signedURL comes from SignedURL(publicURL, GatherPath, r).
// Errors: ErrBadSignature (403) or ErrMalformed (400).
func VerifyGather(authToken, signedURL string, form url.Values, signature string) (Gather, error) {
	if !Valid(authToken, signedURL, form, signature) {
		return Gather{}, ErrBadSignature
	}
	u, err := url.Parse(signedURL)
	if err != nil || u.Fragment != "" {
		// A request's URL has no fragment: SignedURL never makes one.
		return Gather{}, fmt.Errorf("%w: URL", ErrMalformed)
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Gather{}, fmt.Errorf("%w: query", ErrMalformed)
	}
	return ParseGather(query, form)
}
