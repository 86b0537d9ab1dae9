package ingestion

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"net/http"

	"github.com/helpline-org/helpline/internal/config"
)

// chatWeb holds the chat page, its script and its style. They are served
// from this binary: the page loads nothing from anywhere else.
//
//go:embed chatweb
var chatWeb embed.FS

// chatPage is the parsed page and its assets.
type chatPage struct {
	tmpl *template.Template
	js   []byte
	css  []byte
}

func newChatPage() (*chatPage, error) {
	tmpl, err := template.ParseFS(chatWeb, "chatweb/chat.html")
	if err != nil {
		return nil, fmt.Errorf("chat page: %w", err)
	}
	script, err := chatWeb.ReadFile("chatweb/app.js")
	if err != nil {
		return nil, fmt.Errorf("chat script: %w", err)
	}
	css, err := chatWeb.ReadFile("chatweb/chat.css")
	if err != nil {
		return nil, fmt.Errorf("chat style: %w", err)
	}
	return &chatPage{tmpl: tmpl, js: script, css: css}, nil
}

// chatPageData is what the page shows. html/template escapes every field.
type chatPageData struct {
	LineID    string
	LineName  string
	Emergency string
	MaxChars  int
	// QuickExit is where the quick exit goes: the line's neutral site.
	QuickExit string
}

// showPage handles GET /chat[?line=<line id>]. The page renders no
// message: messages arrive through the event stream and the script shows
// them as text, never as markup.
func (h *ChatHTTP) showPage(w http.ResponseWriter, req *http.Request) {
	line, ok := h.chat.Line(req.URL.Query().Get("line"))
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("There is no such line.\n"))
		return
	}
	name := line.Name
	if name == "" {
		name = "our support line"
	}
	var buf bytes.Buffer
	if err := h.page.tmpl.Execute(&buf, chatPageData{LineID: line.ID, LineName: name, Emergency: emergencyNotice(line.EmergencyNotice, h.cfg.EmergencyNotice),
		MaxChars: maxChatBodyChars, QuickExit: cmp.Or(line.QuickExitURL, config.DefaultQuickExitURL)}); err != nil {
		h.fail(w, req, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (p *chatPage) script(w http.ResponseWriter, _ *http.Request) {
	serveChatAsset(w, "text/javascript; charset=utf-8", p.js)
}

func (p *chatPage) style(w http.ResponseWriter, _ *http.Request) {
	serveChatAsset(w, "text/css; charset=utf-8", p.css)
}

func serveChatAsset(w http.ResponseWriter, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	// Revalidate rather than cache for long: a new release must not meet
	// yesterday's script.
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// emergencyNotice is the line's own emergency text, else the default.
func emergencyNotice(line, fallback string) string {
	if line != "" {
		return line
	}
	return fallback
}
