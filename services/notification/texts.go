package notification

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/helpline-org/helpline/internal/config"
)

// Page is what a page SMS says.
type Page struct {
	Line config.Line
	// Language is the paged person's (config staff[].language).
	Language     string
	Pseudonym    string
	EscalationID string
	Reason       string
	Categories   []string
	Step         Step
}

// defaultPageReply is how to answer a page, where the line configures no
// text (page_reply) for the language.
var defaultPageReply = map[string]string{
	"en": "Reply 1 to acknowledge, 2 if you cannot take it.",
	"es": "Responde 1 para aceptarlo, 2 si no puedes atenderlo.",
	"fr": "Répondez 1 pour le prendre, 2 si vous ne pouvez pas.",
}

// PageText is the SMS a duty worker's phone receives. It names the line,
// the client's pseudonym and the reason, links to that escalation in the
// console (its id only: no number, no content) and says how to answer by
// SMS; never the client's number or words.
func PageText(p Page, consoleURL string) string {
	why := p.Reason
	if len(p.Categories) > 0 {
		why += ": " + strings.ReplaceAll(strings.Join(p.Categories, ", "), "_", " ")
	}
	again := ""
	if p.Step.Round > 1 || p.Step.Level > 0 {
		again = " (not yet acknowledged)"
	}
	return fmt.Sprintf("Helpline page%s. %s: %s, client %s. %s %s", again, p.Line.Name, why, p.Pseudonym,
		EscalationLink(consoleURL, p.EscalationID), PageReplyText(p.Line, p.Language))
}

// EscalationLink is the console's page for one escalation.
func EscalationLink(consoleURL, escalationID string) string {
	return strings.TrimRight(consoleURL, "/") + "/queue/" + url.PathEscape(escalationID)
}

// PageReplyText says how to answer a page, in the line's text for the
// language, else the built-in one.
func PageReplyText(l config.Line, lang string) string {
	if t := pick(l.PageReply, lang); t != "" {
		return t
	}
	return pick(defaultPageReply, lang)
}

// defaultOutOfHours is used when a line configures no text for a language.
var defaultOutOfHours = map[string]string{
	"en": "Thank you for your message. We are closed now and open again {next_open}. If you are in danger, call 999 now.",
	"es": "Gracias por tu mensaje. Ahora estamos cerrados y volvemos a abrir {next_open}. Si estás en peligro, llama al 999 ahora.",
	"fr": "Merci pour votre message. Nous sommes fermés et rouvrons {next_open}. Si vous êtes en danger, appelez le 999 maintenant.",
}

// OutOfHoursText is the auto-reply for a message that arrived while the
// line was closed, in the client's language where the line has a text for
// it, saying plainly when the line opens again in its own time zone.
func OutOfHoursText(l config.Line, lang string, nextOpen string) string {
	tmpl := pick(l.OutOfHoursReply, lang)
	if tmpl == "" {
		tmpl = pick(defaultOutOfHours, lang)
	}
	return strings.ReplaceAll(tmpl, "{next_open}", nextOpen)
}

// defaultCrisisReply is used when a line configures no crisis_reply for a
// language: UK emergency numbers.
var defaultCrisisReply = map[string]string{
	"en": "We have alerted the person on call, who will answer you as soon as they can. If you are in danger now, call 999, or Samaritans free on 116 123, any time.",
	"es": "Hemos avisado a la persona de guardia, que te responderá lo antes posible. Si estás en peligro ahora, llama al 999, o a Samaritans gratis al 116 123, a cualquier hora.",
	"fr": "Nous avons alerté la personne de garde, qui vous répondra dès que possible. Si vous êtes en danger maintenant, appelez le 999, ou Samaritans gratuitement au 116 123, à toute heure.",
}

// CrisisText is the reply to a crisis or elevated message that came while
// the line was closed: someone on call has been alerted, and whom to call
// meanwhile, in the client's language where the line has a text for it.
func CrisisText(l config.Line, lang string) string {
	if t := pick(l.CrisisReply, lang); t != "" {
		return t
	}
	return pick(defaultCrisisReply, lang)
}

func pick(texts map[string]string, lang string) string {
	if t, ok := texts[lang]; ok && t != "" {
		return t
	}
	return texts["en"]
}

var weekdayNames = map[string][7]string{
	"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	"es": {"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
	"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
}

var openingFormats = map[string]string{
	"en": "%s at %s, %s time",
	"es": "el %s a las %s, hora de %s",
	"fr": "%s à %s, heure de %s",
}

// DescribeOpening says when a line opens, in its own zone and in words a
// client understands: "Monday at 09:00, London time" (or in Spanish or
// French; other languages get English).
func DescribeOpening(t time.Time, loc *time.Location, lang string) string {
	if _, ok := openingFormats[lang]; !ok {
		lang = "en"
	}
	local := t.In(loc)
	city := loc.String()
	if i := strings.LastIndex(city, "/"); i >= 0 {
		city = city[i+1:]
	}
	city = strings.ReplaceAll(city, "_", " ")
	return fmt.Sprintf(openingFormats[lang], weekdayNames[lang][local.Weekday()], local.Format("15:04"), city)
}
