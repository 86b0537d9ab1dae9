package notification

import (
	"fmt"
	"strings"
	"time"

	"github.com/helpline-org/helpline/internal/config"
)

// PageText is the SMS a duty worker's phone receives. It names the line,
// the client's pseudonym and the reason, and where to acknowledge; never
// the client's number or words.
func PageText(lineName, pseudonym, reason string, categories []string, step Step, consoleURL string) string {
	why := reason
	if len(categories) > 0 {
		why += ": " + strings.ReplaceAll(strings.Join(categories, ", "), "_", " ")
	}
	again := ""
	if step.Round > 1 || step.Level > 0 {
		again = " (not yet acknowledged)"
	}
	return fmt.Sprintf("Helpline page%s. %s: %s, client %s. Acknowledge in the console: %s/escalations",
		again, lineName, why, pseudonym, strings.TrimRight(consoleURL, "/"))
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
