package sms

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Finding a message already sent. Twilio's Messages API takes no
// idempotency key, so a sender that does not know whether a create
// request reached Twilio (it died, or the answer was lost) asks Twilio's
// list of messages instead: GET /2010-04-01/Accounts/{sid}/Messages.json
// with To and From, newest first, PageSize at most 1,000, each page
// naming the next in next_page_uri. A message is listed from its create
// request's answer on (Twilio creates the resource before answering,
// status "queued" or "accepted"). The list is not filtered by DateSent:
// Twilio's filter is a GMT date, and a message still queued has no
// date_sent. The search is over what was created since a time, which the
// caller chooses before its send, less a margin for the two clocks
// (date_created has whole seconds).

const (
	// findPageSize is how many messages one page of the search asks for.
	findPageSize = 200
	// findMaxPages bounds the pages read: past them the search gives up
	// (ErrNotSearched) rather than read a long history: 2,000 messages
	// from one number to another within the search's window.
	findMaxPages = 10
	// clockMargin is how much earlier than since the search looks.
	clockMargin = time.Minute
)

// ErrNotSearched means the messages created since the time asked for
// were more than the search reads: nobody can say whether the message
// was sent.
var ErrNotSearched = errors.New("too many messages to search")

// FindMessage looks among the messages from `from` to `to` created since
// `since` (less a minute) for one whose body contains ref, and returns its
// SID; found is false when none does. Errors are *SendError (Twilio did
// not answer, or refused) or ErrNotSearched: then it is not known.
func (s *Sender) FindMessage(ctx context.Context, from, to string, since time.Time, ref string) (sid string, found bool, err error) {
	if err := needParties(from, to, ErrInvalidMessage); err != nil {
		return "", false, err
	}
	if ref == "" {
		return "", false, fmt.Errorf("%w: no reference to look for", ErrInvalidMessage)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	rt := &requestTransport{ctx: ctx, base: s.base, apiURL: s.apiURL}
	api := s.api(rt)
	params := (&openapi.ListMessageParams{}).SetTo(to).SetFrom(from).SetPageSize(findPageSize)
	since = since.Add(-clockMargin)
	token, page := "", ""
	for range findMaxPages {
		resp, err := api.PageMessage(params, token, page)
		if err != nil {
			return "", false, classify(err, rt.lastStatus())
		}
		older := false
		for _, m := range resp.Messages {
			if m.DateCreated != nil {
				if at, err := time.Parse(time.RFC1123Z, *m.DateCreated); err == nil && at.Before(since) {
					older = true // newest first: the pages after this one are older still
					continue
				}
			}
			if m.Sid != nil && m.Body != nil && strings.Contains(*m.Body, ref) {
				return *m.Sid, true, nil
			}
		}
		if older || resp.NextPageUri == nil || *resp.NextPageUri == "" {
			return "", false, nil
		}
		if token, page, err = nextPage(*resp.NextPageUri); err != nil {
			return "", false, &SendError{Status: rt.lastStatus(), Err: err}
		}
	}
	return "", false, ErrNotSearched
}

// nextPage reads the page token and number of a list's next_page_uri.
func nextPage(uri string) (token, page string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("next_page_uri: %w", err)
	}
	q := u.Query()
	return q.Get("PageToken"), q.Get("Page"), nil
}
