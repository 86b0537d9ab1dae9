package sms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// maxErrorBody bounds how much of an error answer is kept for twilio-go to decode.
const maxErrorBody = 64 << 10

// Message is one SMS to send.
type Message struct {
	// From is the line's Twilio number (E.164).
	From string
	// To is the recipient's number (E.164).
	To string
	// Body is the text; Twilio rejects more than 1,600 characters (code 21617).
	Body string
	// StatusCallback, if set, is the public URL Twilio posts delivery statuses to.
	StatusCallback string
}

func (m Message) validate() error {
	if err := needParties(m.From, m.To, ErrInvalidMessage); err != nil {
		return err
	}
	if strings.TrimSpace(m.Body) == "" {
		return fmt.Errorf("%w: empty Body", ErrInvalidMessage)
	}
	return nil
}

// needParties refuses a message or call (invalid says which) without a From
// or a To.
func needParties(from, to string, invalid error) error {
	switch {
	case from == "":
		return fmt.Errorf("%w: no From", invalid)
	case to == "":
		return fmt.Errorf("%w: no To", invalid)
	}
	return nil
}

// Sender sends SMS through Twilio's Messages API, and places voice calls
// through its Calls API, with twilio-go. It is safe for concurrent use.
type Sender struct {
	cfg    Config
	apiURL *url.URL // nil: Twilio itself
	// base is shared by every Send and Call so connections are pooled.
	base *http.Transport
}

// NewSender returns a Sender for cfg.
func NewSender(cfg Config) (*Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sms config: %w", err)
	}
	s := &Sender{cfg: cfg, base: http.DefaultTransport.(*http.Transport).Clone()}
	if cfg.APIURL != "" {
		u, err := parseAPIURL(cfg.APIURL)
		if err != nil {
			return nil, fmt.Errorf("sms config: %w", err)
		}
		s.apiURL = u
	}
	return s, nil
}

// Send sends one SMS and returns Twilio's message SID. ctx bounds the call (as
// does Config.Timeout): twilio-go takes no context, so each call gets its own
// twilio-go client whose transport sends the request under ctx. Errors after a
// request was attempted are *SendError; see IsRetryable and the sentinels.
func (s *Sender) Send(ctx context.Context, m Message) (string, error) {
	if err := m.validate(); err != nil {
		return "", err
	}
	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To).SetFrom(m.From).SetBody(m.Body)
	if m.StatusCallback != "" {
		params.SetStatusCallback(m.StatusCallback)
	}
	return s.create(ctx, func(api *openapi.ApiService) (*string, error) {
		msg, err := api.CreateMessage(params)
		if err != nil {
			return nil, err
		}
		return msg.Sid, nil
	})
}

// create makes one create request through twilio-go under ctx and
// Config.Timeout, and returns the new resource's SID (a message or a call):
// the one place a request is sent, its answer classified, and an answer
// without a SID refused.
func (s *Sender) create(ctx context.Context, do func(*openapi.ApiService) (*string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	rt := &requestTransport{ctx: ctx, base: s.base, apiURL: s.apiURL}
	sid, err := do(s.api(rt))
	if err != nil {
		return "", classify(err, rt.lastStatus())
	}
	if sid == nil || *sid == "" {
		// Twilio said yes but gave no SID: do not resend.
		return "", &SendError{Status: rt.lastStatus(), Permanent: true, Err: errors.New("answer without a SID")}
	}
	return *sid, nil
}

// api builds a twilio-go Api service whose HTTP requests go through rt. Building
// it is cheap (a few small structs); it is per call because rt carries the call's
// context.
func (s *Sender) api(rt http.RoundTripper) *openapi.ApiService {
	c := &client.Client{
		Credentials: client.NewCredentials(s.cfg.AccountSID, s.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: rt,
			// Like twilio-go's default client: never follow redirects.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	// The Messages path is built from the client's account SID.
	c.SetAccountSid(s.cfg.AccountSID)
	rh := client.NewRequestHandler(c)
	// NewRequestHandler reads TWILIO_EDGE and TWILIO_REGION from the environment;
	// configuration comes from Config only.
	rh.Edge, rh.Region = "", ""
	return openapi.NewApiService(rh)
}

// requestTransport serves one request (a Send or a Call). It holds that
// request's context (twilio-go builds its requests with context.Background),
// optionally points requests at APIURL, and records the HTTP status it saw.
type requestTransport struct {
	ctx    context.Context
	base   http.RoundTripper
	apiURL *url.URL

	mu     sync.Mutex
	status int
}

// RoundTrip implements http.RoundTripper.
func (t *requestTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(t.ctx)
	if t.apiURL != nil {
		out.URL.Scheme = t.apiURL.Scheme
		out.URL.Host = t.apiURL.Host
		out.URL.Path = strings.TrimSuffix(t.apiURL.Path, "/") + out.URL.Path
		out.URL.RawPath = ""
		out.Host = ""
	}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.status = resp.StatusCode
	t.mu.Unlock()
	if resp.StatusCode >= 400 {
		// twilio-go decodes error answers but never closes them, which would leak
		// the connection: hand it a copy in memory and close the real body.
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read error answer: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}

func (t *requestTransport) lastStatus() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}
