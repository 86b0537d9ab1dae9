package config

// The texts a line sends its clients automatically, in the client's
// language: the line's configured text, else a built-in default. The
// notification service sends them; the web chat and the console show them.

import (
	"fmt"
	"strings"
	"time"
)

// defaultOutOfHours is used when a line configures no text for a language.
var defaultOutOfHours = map[string]string{
	"en": "Thank you for your message. We are closed now and open again {next_open}. If you are in danger, call 999 now.",
	"es": "Gracias por tu mensaje. Ahora estamos cerrados y volvemos a abrir {next_open}. Si estás en peligro, llama al 999 ahora.",
	"fr": "Merci pour votre message. Nous sommes fermés et rouvrons {next_open}. Si vous êtes en danger, appelez le 999 maintenant.",
}

// OutOfHoursText is the line's auto-reply for a message that arrived while the
// line was closed, in the client's language where the line has a text for
// it, saying plainly when the line opens again in its own time zone.
func (l Line) OutOfHoursText(lang, nextOpen string) string {
	tmpl := PickText(l.OutOfHoursReply, lang)
	if tmpl == "" {
		tmpl = PickText(defaultOutOfHours, lang)
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

// CrisisText is the line's reply to a crisis or elevated message that came while
// the line was closed: someone on call has been alerted, and whom to call
// meanwhile, in the client's language where the line has a text for it.
func (l Line) CrisisText(lang string) string {
	if t := PickText(l.CrisisReply, lang); t != "" {
		return t
	}
	return PickText(defaultCrisisReply, lang)
}

// PickText is a text for the language, else the English one: the one rule
// every per-language text of the configuration follows.
func PickText(texts map[string]string, lang string) string {
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
