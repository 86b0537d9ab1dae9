// Package sms owns the helpline's side of Twilio (twilio-go): sending SMS and
// placing voice calls (Sender), the TwiML a page call speaks, the webhook
// signature (Sign, Valid), and reading what Twilio posts back: a page call's
// key press (Gather) and the status callbacks of messages and calls.
package sms

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// DefaultTimeout bounds one Send or Call when Config.Timeout is zero. It matches twilio-go's
// own default HTTP client timeout.
const DefaultTimeout = 10 * time.Second

var (
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	// twilio-go refuses credentials that are not alphanumeric (errors 21222, 21224).
	alphanumeric = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
)

// Config configures a Sender.
type Config struct {
	// AccountSID is the Twilio account ("AC" and 32 hex digits).
	AccountSID string
	// AuthToken is the account's auth token; it also signs webhooks.
	AuthToken string
	// APIURL optionally replaces https://api.twilio.com as the REST base URL, for
	// example a local twiliofake. Only its scheme, host and path prefix are used.
	APIURL string
	// Timeout bounds one Send or Call, including reading the response. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Validate reports the first problem with the configuration.
func (c Config) Validate() error {
	if !accountSIDPattern.MatchString(c.AccountSID) {
		return errors.New("account SID must be \"AC\" followed by 32 hex digits")
	}
	if !alphanumeric.MatchString(c.AuthToken) {
		return errors.New("auth token must be non-empty and alphanumeric")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %s is negative", c.Timeout)
	}
	if c.APIURL != "" {
		if _, err := parseAPIURL(c.APIURL); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	return c
}

func parseAPIURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("api URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api URL %q: want http(s)://host[:port][/prefix]", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("api URL %q: no query, fragment or user info allowed", raw)
	}
	return u, nil
}
