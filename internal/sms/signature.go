package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header Twilio signs webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// Sign computes X-Twilio-Signature as Twilio does for a form-encoded POST:
// base64(HMAC-SHA1(authToken, url + each key and value)), keys sorted; a key given
// several times contributes each distinct value once, values sorted (as Twilio's
// Python and PHP libraries compute it). url is the exact URL Twilio calls.
func Sign(authToken, url string, form url.Values) string {
	var b strings.Builder
	b.WriteString(url)
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range slices.Compact(slices.Sorted(slices.Values(form[k]))) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether signature is Twilio's signature of form posted to url.
// url must be the public URL configured at Twilio, never one rebuilt from the
// Host header. It uses twilio-go's RequestValidator, which also accepts the URL
// with or without its default port. twilio-go's validator takes one value per
// key, so a form with a repeated key (Twilio's SMS webhooks have none) is checked
// with Sign against the exact url instead.
func Valid(authToken, url string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		if len(vs) != 1 {
			return hmac.Equal([]byte(Sign(authToken, url, form)), []byte(signature))
		}
		params[k] = vs[0]
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(url, params, signature)
}
