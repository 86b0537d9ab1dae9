package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// SignatureHeader is the header Twilio signs webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// NewWebhook is a POST of form to target as Twilio posts a webhook: form
// encoded, signed with authToken for signedURL, the public URL Twilio was
// given (target differs from it behind a proxy, and in tests). The Twilio
// fake and the tests post webhooks through it.
func NewWebhook(ctx context.Context, target, signedURL, authToken string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set(SignatureHeader, Sign(authToken, signedURL, form))
	return req, nil
}

// Sign computes X-Twilio-Signature as Twilio does for a form-encoded POST:
// base64(HMAC-SHA1(authToken, url + each key and value)), keys sorted; a key given
// several times contributes each distinct value once, values sorted (as Twilio's
// Python and PHP libraries compute it). url is the exact URL Twilio calls.
func Sign(authToken, url string, form url.Values) string {
	var sig [signatureLen]byte
	return string(sign(sig[:0], authToken, url, form))
}

// signatureLen is the length of a signature: 20 bytes of HMAC-SHA1 in
// padded base64.
const signatureLen = 28

// sign appends the signature of form posted to url to dst. What is signed
// is written into one buffer and hashed once: no string per key and value.
func sign(dst []byte, authToken, url string, form url.Values) []byte {
	n := len(url)
	for k, vs := range form {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, url...)
	for _, k := range slices.Sorted(maps.Keys(form)) {
		vs := form[k]
		if len(vs) > 1 {
			vs = slices.Compact(slices.Sorted(slices.Values(vs)))
		}
		for _, v := range vs {
			b = append(append(b, k...), v...)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write(b)
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(dst, mac.Sum(sum[:0]))
}

// Valid reports whether signature is Twilio's signature of form posted to url.
// url must be the public URL configured at Twilio, never one rebuilt from the
// Host header. It accepts what twilio-go's RequestValidator accepts: the
// signature of url as given, or of url with its default port added (when it
// names none) or its port removed (when it names one), since Twilio signs
// either way. twilio-go's validator takes one value per key, so a form with a
// repeated key (Twilio's SMS webhooks have none) is checked against the exact
// url only, with each distinct value (see Sign).
//
// It computes what twilio-go's validator computes, without its per-request
// cost (four URL parses, a string per field, both HMACs always): the
// signature of url as given is computed first, and the other port's only
// when that one does not match. Signatures are compared in constant time
// (hmac.Equal), as twilio-go compares them.
func Valid(authToken, url string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	var buf [signatureLen]byte
	if hmac.Equal(sign(buf[:0], authToken, url, form), []byte(signature)) {
		return true
	}
	for _, vs := range form {
		if len(vs) != 1 {
			return false
		}
	}
	other, ok := otherPort(url)
	return ok && hmac.Equal(sign(buf[:0], authToken, other, form), []byte(signature))
}

// otherPort is url with its scheme's default port added when it names no
// port (443 for https, 80 otherwise), or with its port removed when it names
// one, as twilio-go's validator rewrites it (client.addPort and
// removePort: the host up to its first colon, the URL written again by
// net/url). ok is false when url does not parse, and twilio-go then signs
// url itself only.
func otherPort(u string) (string, bool) {
	parsed, err := url.Parse(u)
	if err != nil {
		return "", false
	}
	if parsed.Port() != "" {
		parsed.Host, _, _ = strings.Cut(parsed.Host, ":")
		return parsed.String(), true
	}
	port := "80"
	if parsed.Scheme == "https" {
		port = "443"
	}
	parsed.Host += ":" + port
	return parsed.String(), true
}
