package twiliofake

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Listing messages as Twilio's Messages list resource does:
// GET /2010-04-01/Accounts/{AccountSid}/Messages.json, newest first,
// filtered by To, From and DateSent (a GMT date, YYYY-MM-DD or a full
// RFC 3339 time whose date counts; "DateSent<" on or before it,
// "DateSent>" on or after it, as the keys twilio-go sends; a message not
// yet sent has no date_sent and matches no DateSent filter), in pages of
// PageSize (default 50, at most 1,000). Each page names the next in
// next_page_uri, whose PageToken is "PA" and the SID of the page's last
// message (the last page's is null), and the one before in
// previous_page_uri ("PB" and the SID of its first).

const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// messagePage is Twilio's page of the Messages list.
type messagePage struct {
	FirstPageURI    string            `json:"first_page_uri"`
	End             int               `json:"end"`
	PreviousPageURI *string           `json:"previous_page_uri"`
	Messages        []messageResource `json:"messages"`
	URI             string            `json:"uri"`
	PageSize        int               `json:"page_size"`
	Start           int               `json:"start"`
	NextPageURI     *string           `json:"next_page_uri"`
	Page            int               `json:"page"`
}

// dateFilter is one DateSent condition: cmp is -1 (on or before), 0 (on),
// or 1 (on or after) the GMT date day.
type dateFilter struct {
	day time.Time
	cmp int
}

func (d dateFilter) match(sent time.Time) bool {
	day := sent.UTC().Truncate(24 * time.Hour)
	switch d.cmp {
	case -1:
		return !day.After(d.day)
	case 1:
		return !day.Before(d.day)
	}
	return day.Equal(d.day)
}

func parseDay(v string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Truncate(24 * time.Hour), true
	}
	return time.Time{}, false
}

func (f *Fake) listMessages(w http.ResponseWriter, r *http.Request) {
	if !f.authorize(w, r) {
		return
	}
	q := r.URL.Query()
	size := defaultPageSize
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, 20001)
			return
		}
		size = min(n, maxPageSize)
	}
	var dates []dateFilter
	for key, cmp := range map[string]int{"DateSent": 0, "DateSent<": -1, "DateSent>": 1} {
		if v := q.Get(key); v != "" {
			day, ok := parseDay(v)
			if !ok {
				writeError(w, http.StatusBadRequest, 20001)
				return
			}
			dates = append(dates, dateFilter{day: day, cmp: cmp})
		}
	}
	to, from := q.Get("To"), q.Get("From")
	var all []messageResource
	for _, m := range slices.Backward(f.Sent()) { // newest first
		if to != "" && m.To != to || from != "" && m.From != from {
			continue
		}
		res := f.resource(m)
		if len(dates) > 0 {
			if res.DateSent == nil {
				continue
			}
			sent, _ := time.Parse(time.RFC1123Z, *res.DateSent)
			if !matchAll(dates, sent) {
				continue
			}
		}
		all = append(all, res)
	}
	start := 0
	if tok := q.Get("PageToken"); tok != "" {
		// PA<sid>: the page after sid; PB<sid>: the page before it.
		i := -1
		if len(tok) > 2 {
			i = slices.IndexFunc(all, func(m messageResource) bool { return m.SID == tok[2:] })
		}
		switch {
		case i >= 0 && strings.HasPrefix(tok, "PA"):
			start = i + 1
		case i >= 0 && strings.HasPrefix(tok, "PB"):
			start = max(0, i-size)
		default:
			writeError(w, http.StatusBadRequest, 20001)
			return
		}
	}
	page, _ := strconv.Atoi(q.Get("Page"))
	end := min(start+size, len(all))
	p := messagePage{Messages: all[start:end], PageSize: size, Start: start, End: max(start, end-1), Page: page}
	if p.Messages == nil {
		p.Messages = []messageResource{}
	}
	uri := func(page int, token string) string {
		v := url.Values{}
		for _, k := range []string{"To", "From", "DateSent", "DateSent<", "DateSent>"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("PageSize", strconv.Itoa(size))
		v.Set("Page", strconv.Itoa(page))
		if token != "" {
			v.Set("PageToken", token)
		}
		return fmt.Sprintf("/%s/Accounts/%s/Messages.json?%s", apiVersion, f.cfg.AccountSID, v.Encode())
	}
	p.URI, p.FirstPageURI = uri(page, q.Get("PageToken")), uri(0, "")
	if end < len(all) {
		next := uri(page+1, "PA"+all[end-1].SID)
		p.NextPageURI = &next
	}
	if page > 0 && start > 0 {
		prev := uri(page-1, "PB"+all[start].SID)
		p.PreviousPageURI = &prev
	}
	writeJSON(w, http.StatusOK, p)
}

func matchAll(dates []dateFilter, sent time.Time) bool {
	for _, d := range dates {
		if !d.match(sent) {
			return false
		}
	}
	return true
}
