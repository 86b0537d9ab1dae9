package twiliofake

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/rand/v2"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/helpline-org/helpline/internal/sse"
)

// The sandbox page shows phone numbers, message bodies and what calls say: it
// stands in for the phones of clients and duty workers, and every number in a
// sandbox is fake. It must never be mounted in front of real Twilio traffic.

//go:embed sandbox
var sandboxFiles embed.FS

var sandboxPage = template.Must(template.New("page.html").Funcs(template.FuncMap{"meta": newMetaLine}).ParseFS(sandboxFiles, "sandbox/page.html"))

// metaLine is the line above a text or a call on the page: who to whom,
// when, and how it stands.
type metaLine struct {
	Name, From, To, Status string
	At                     time.Time
}

func newMetaLine(name, from, to string, at time.Time, status string) metaLine {
	return metaLine{Name: name, From: from, To: to, At: at, Status: status}
}

const (
	maxSandboxForm    = 16 << 10
	maxShownAnswer    = 4 << 10
	sandboxCSP        = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	sandboxAcceptJSON = "application/json"
)

// SandboxLine is a helpline number a sandbox user can text, and its
// WhatsApp sender ("whatsapp:+E164"; empty when it has none).
type SandboxLine struct {
	Name     string `json:"name"`
	Number   string `json:"number"`
	WhatsApp string `json:"whatsapp,omitempty"`
}

// Channels a sandbox user can write on.
const (
	sandboxSMS      = "sms"
	sandboxWhatsApp = "whatsapp"
)

type sandbox struct {
	fake       *Fake
	webhookURL string
	lines      []SandboxLine
	streams    *sse.Server
}

// sendResult is what a sandbox send or key press did.
type sendResult struct {
	MessageSID  string `json:"message_sid,omitempty"`
	CallSID     string `json:"call_sid,omitempty"`
	Status      int    `json:"status,omitempty"`
	StatusText  string `json:"status_text,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Answer      string `json:"answer,omitempty"`
	Error       string `json:"error,omitempty"`
}

type pageData struct {
	Lines    []SandboxLine
	Line     string
	Channel  string // sandboxSMS or sandboxWhatsApp
	From     string
	Body     string
	Result   *sendResult
	Messages []SentMessage // newest first
	Calls    []Call        // newest first
	Names    map[string]string
	Keys     []string // the keys a call can be answered with
}

// SandboxHandler serves the sandbox page, meant to be mounted with
// http.StripPrefix (for example at /sandbox/); every link in it is relative.
// Sending posts a signed inbound webhook to webhookURL from the chosen number to
// one of lines. Calls the line places are shown with what they say, and
// answered with a key press (PressKey). Paths: GET / (page), GET /messages and
// GET /calls (JSON), GET /events (server-sent events, one JSON Update per
// event), POST /send, POST /press (call, digits). Cross-site POSTs are refused
// (Sec-Fetch-Site / Origin check).
func (f *Fake) SandboxHandler(webhookURL string, lines []SandboxLine) http.Handler {
	s := &sandbox{fake: f, webhookURL: webhookURL, lines: slices.Clone(lines), streams: sse.New(sse.Config{Retry: 2 * time.Second})}
	context.AfterFunc(f.ctx, s.streams.Close) // the fake's Close ends the streams
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /sandbox.js", asset("sandbox.js"))
	mux.HandleFunc("GET /sandbox.css", asset("sandbox.css"))
	mux.HandleFunc("GET /messages", s.messages)
	mux.HandleFunc("GET /calls", s.calls)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("POST /send", s.send)
	mux.HandleFunc("POST /press", s.press)
	protected := http.NewCrossOriginProtection().Handler(mux)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" {
			// Mounted at /sandbox and asked for /sandbox: relative links need the
			// trailing slash. A relative Location keeps any outer prefix.
			p, _, _ := strings.Cut(r.RequestURI, "?")
			w.Header().Set("Location", path.Base(p)+"/")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Security-Policy", sandboxCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		protected.ServeHTTP(w, r)
	})
}

func asset(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sandboxFiles, "sandbox/"+name)
	}
}

func (s *sandbox) page(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, pageData{From: fakeMobile()})
}

func (s *sandbox) render(w http.ResponseWriter, status int, d pageData) {
	d.Lines = s.lines
	d.Names = make(map[string]string, len(s.lines))
	for _, l := range s.lines {
		d.Names[l.Number] = l.Name
		if l.WhatsApp != "" {
			d.Names[l.WhatsApp] = l.Name
		}
	}
	if d.Line == "" && len(s.lines) > 0 {
		d.Line = s.lines[0].Number
	}
	d.Messages = s.fake.Sent()
	slices.Reverse(d.Messages)
	d.Calls = s.fake.Calls()
	slices.Reverse(d.Calls)
	d.Keys = []string{"1", "2"}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := sandboxPage.Execute(w, d); err != nil {
		s.fake.logger.Warn().Err(err).Msg("render sandbox page")
	}
}

func (s *sandbox) messages(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.fake.Sent())
}

func (s *sandbox) calls(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.fake.Calls())
}

// events streams every new message and call, and every change to one, as
// server-sent events.
func (s *sandbox) events(w http.ResponseWriter, r *http.Request) {
	ch, cancel := s.fake.SubscribeUpdates()
	defer cancel()
	_ = s.streams.Serve(w, r, func(ctx context.Context, st *sse.Stream) error {
		// Subscribed before this greeting: whatever is sent after it arrives.
		if err := st.Comment("connected"); err != nil {
			return err
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case m, ok := <-ch:
				if !ok {
					return nil // fake closed, or we fell behind: the browser reconnects and resyncs
				}
				if err := st.SendJSON("", "", m); err != nil {
					return err
				}
			}
		}
	})
}

// readForm reads a sandbox form, bounded, and whether the answer is wanted
// as JSON. It answers itself, and reports false, when the form is unreadable.
func (s *sandbox) readForm(w http.ResponseWriter, r *http.Request) (wantJSON, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSandboxForm)
	wantJSON = strings.Contains(r.Header.Get("Accept"), sandboxAcceptJSON)
	if err := r.ParseForm(); err != nil {
		s.answer(w, wantJSON, http.StatusBadRequest, pageData{}, &sendResult{Error: "The form could not be read."})
		return wantJSON, false
	}
	return wantJSON, true
}

func (s *sandbox) send(w http.ResponseWriter, r *http.Request) {
	wantJSON, ok := s.readForm(w, r)
	if !ok {
		return
	}
	d := pageData{Line: r.PostForm.Get("line"), Channel: cmp.Or(r.PostForm.Get("channel"), sandboxSMS),
		From: strings.TrimSpace(r.PostForm.Get("from")), Body: r.PostForm.Get("body")}
	if problem := s.checkSend(d); problem != "" {
		s.answer(w, wantJSON, http.StatusBadRequest, d, &sendResult{Error: problem})
		return
	}
	from, to := d.From, d.Line
	if d.Channel == sandboxWhatsApp {
		// The same phone, writing on WhatsApp to the line's WhatsApp sender.
		from, to = WhatsApp(d.From), s.line(d.Line).WhatsApp
	}
	ctx, cancel := context.WithTimeout(r.Context(), DefaultWebhookTimeout)
	defer cancel()
	sid, resp, err := s.fake.DeliverInbound(ctx, s.webhookURL, from, to, d.Body)
	res := &sendResult{MessageSID: sid}
	s.webhookResult(res, resp, err)
	if err == nil {
		d.Body = "" // sent: clear the box for the next message
	}
	s.answer(w, wantJSON, http.StatusOK, d, res)
}

// press presses a key on a call, as its callee would.
func (s *sandbox) press(w http.ResponseWriter, r *http.Request) {
	wantJSON, ok := s.readForm(w, r)
	if !ok {
		return
	}
	callSid, digits := r.PostForm.Get("call"), r.PostForm.Get("digits")
	res := &sendResult{CallSID: callSid}
	if !digitsPattern.MatchString(digits) {
		res.Error = "Press 0-9, * or #."
		s.answer(w, wantJSON, http.StatusBadRequest, pageData{}, res)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), DefaultWebhookTimeout)
	defer cancel()
	resp, err := s.fake.PressKey(ctx, callSid, digits)
	if errors.Is(err, ErrNoSuchCall) || errors.Is(err, ErrCallEnded) || errors.Is(err, ErrNoGather) {
		res.Error = "That call is not waiting for a key press."
		s.answer(w, wantJSON, http.StatusConflict, pageData{}, res)
		return
	}
	s.webhookResult(res, resp, err)
	s.answer(w, wantJSON, http.StatusOK, pageData{}, res)
}

// webhookResult fills res with what a webhook answered, or why it could not.
func (s *sandbox) webhookResult(res *sendResult, resp *http.Response, err error) {
	if err != nil {
		res.Error = "The webhook could not be reached: " + err.Error()
		return
	}
	res.Status, res.StatusText = resp.StatusCode, http.StatusText(resp.StatusCode)
	res.ContentType = resp.Header.Get("Content-Type")
	res.Answer = readShown(resp)
}

// line returns the sandbox line with number (zero when none has it).
func (s *sandbox) line(number string) SandboxLine {
	i := slices.IndexFunc(s.lines, func(l SandboxLine) bool { return l.Number == number })
	if i < 0 {
		return SandboxLine{}
	}
	return s.lines[i]
}

func (s *sandbox) checkSend(d pageData) string {
	switch {
	case s.line(d.Line).Number == "":
		return "Choose one of the helpline numbers."
	case d.Channel != sandboxSMS && d.Channel != sandboxWhatsApp:
		return "Choose SMS or WhatsApp."
	case d.Channel == sandboxWhatsApp && s.line(d.Line).WhatsApp == "":
		return "That line has no WhatsApp sender (lines[].whatsapp_from): choose SMS, or another line."
	case !e164.MatchString(d.From):
		return "Enter your number in international format, like +447700900123."
	case strings.TrimSpace(d.Body) == "":
		return "Type a message."
	case utf8.RuneCountInString(d.Body) > maxBodyLen:
		return "A message can be at most 1600 characters."
	}
	return ""
}

func (s *sandbox) answer(w http.ResponseWriter, wantJSON bool, status int, d pageData, res *sendResult) {
	if wantJSON {
		writeJSON(w, status, res)
		return
	}
	d.Result = res
	s.render(w, status, d)
}

func readShown(resp *http.Response) string {
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxShownAnswer+1)) // in memory already
	cut := len(answer) > maxShownAnswer
	shown := strings.ToValidUTF8(string(answer[:min(len(answer), maxShownAnswer)]), "\uFFFD")
	if cut {
		shown += "\n[…]"
	}
	return shown
}

// fakeMobile returns a UK number from the range Ofcom reserves for drama
// (+44 7700 900000 to 900999): never a real phone.
func fakeMobile() string {
	return fmt.Sprintf("+447700900%03d", rand.IntN(1000))
}
