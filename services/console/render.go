package console

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/console/auth"
	"github.com/helpline-org/helpline/services/console/views"
)

//go:embed web
var webFS embed.FS

// templates are parsed once: each page template with the shared layout.
var templates = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":   func(s []string) string { return strings.Join(s, ", ") },
		"pct":    func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		"secs":   views.Seconds,
		"delay":  views.Delay,
		"label":  func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"inc":    func(n int) int { return n + 1 },
		"words":  views.Words,
		"list":   views.WordsList,
		"terms":  views.Terms,
		"reason": views.Reason,
		"messages": func(c views.Conversation, csrf string, marks bool) views.MessagesBlock {
			return views.MessagesBlock{Conversation: c, CSRF: csrf, Marks: marks}
		},
		// at is replaced by each renderer with one on its clock and its
		// lines' zones (renderer.bind).
		"at": func(t time.Time, lineID string) string { return views.At(t, time.Now(), time.UTC) },
	}
	out := map[string]*template.Template{}
	names, _ := webFS.ReadDir("web")
	for _, n := range names {
		name := strings.TrimSuffix(n.Name(), ".html")
		if !strings.HasSuffix(n.Name(), ".html") || name == "layout" {
			continue
		}
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(webFS, "web/layout.html", "web/"+n.Name()))
	}
	return out
}()

// renderer writes pages, showing times in each line's zone and relative
// to its clock.
type renderer struct {
	log       zerolog.Logger
	templates map[string]*template.Template
	// warnings are the rota's gaps in the next day, shown to admins and
	// managers above every page.
	warnings func(context.Context) ([]string, error)
}

// newRenderer returns a renderer on the clock now, for the lines of file.
func newRenderer(file *config.File, now func() time.Time, log zerolog.Logger) *renderer {
	zones := map[string]*time.Location{}
	for _, l := range file.Lines {
		if loc, err := time.LoadLocation(l.Timezone); err == nil {
			zones[l.ID] = loc
		}
	}
	at := func(t time.Time, lineID string) string {
		loc := zones[lineID]
		if loc == nil {
			loc = time.UTC
		}
		return views.At(t, now(), loc)
	}
	rd := &renderer{log: log, templates: map[string]*template.Template{}}
	for name, t := range templates {
		rd.templates[name] = template.Must(t.Clone()).Funcs(template.FuncMap{"at": at})
	}
	return rd
}

// warningWait bounds the read of the rota for the banner: a page is not
// held up for long by it.
const warningWait = 2 * time.Second

// banner returns what admins and managers are warned of on every page.
func (rd *renderer) banner(role string) []string {
	if rd.warnings == nil || role != events.RoleAdmin && role != events.RoleManager {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), warningWait)
	defer cancel()
	w, err := rd.warnings(ctx)
	if err != nil {
		rd.log.Warn().Err(err).Msg("rota gaps unknown for the banner")
		return []string{"The rota could not be read just now: check it on the rota page."}
	}
	return w
}

// page writes a page, with the layout's chrome: who is signed in and the
// CSRF token for its forms. html/template escapes every value.
func (rd *renderer) page(w http.ResponseWriter, code int, name string, v *auth.Viewer, p views.Page) {
	t, ok := rd.templates[name]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	if v != nil {
		c := p.Layout()
		c.V = &views.Viewer{ID: v.ID, Name: v.Name, Role: v.Role()}
		c.CSRF = v.Session.CSRF
		c.Warnings = rd.banner(v.Role())
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		rd.log.Error().Err(err).Str("page", name).Msg("render")
		http.Error(w, "Something went wrong; it has been logged.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func serveAsset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		b, err := webFS.ReadFile("web/" + name)
		if err != nil {
			http.NotFound(w, nil)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}
