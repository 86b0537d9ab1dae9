package ingestion

import (
	"strings"
	"unicode"

	"github.com/helpline-org/helpline/events"
)

// Carrier consent keywords. Twilio (and the carriers behind it) act on
// these words themselves: after STOP, sending to the client fails with
// error 21610 until they text START. The words still reach our webhook, so
// we record them as consent events and the notification service never tries
// to send to an opted-out client.
var consentKeywords = map[string]string{
	"STOP": events.ConsentOptedOut, "STOPALL": events.ConsentOptedOut, "UNSUBSCRIBE": events.ConsentOptedOut,
	"CANCEL": events.ConsentOptedOut, "END": events.ConsentOptedOut, "QUIT": events.ConsentOptedOut,
	"START": events.ConsentOptedIn, "YES": events.ConsentOptedIn, "UNSTOP": events.ConsentOptedIn,
	"HELP": events.ConsentHelpRequested, "INFO": events.ConsentHelpRequested,
}

// ConsentKeyword reports whether body is a consent keyword, as the carriers
// match them: the whole message is the one word, in any case, with
// surrounding space and punctuation ignored ("Stop." counts, "please stop
// texting me" does not: that is a message for a worker to read).
func ConsentKeyword(body string) (keyword, consent string, ok bool) {
	w := strings.TrimFunc(body, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	w = strings.ToUpper(w)
	consent, ok = consentKeywords[w]
	if !ok {
		return "", "", false
	}
	return w, consent, true
}
