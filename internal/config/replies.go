package config

// The texts a line sends its clients automatically, in the client's
// language: the line's configured text, else a built-in default. The
// notification service sends them; the web chat and the console show them.

import (
	"cmp"
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

// defaultWaitReply is the wait message where a line configures none:
// {wait} is the line's recent wait in words.
var defaultWaitReply = map[string]string{
	"en": "Thank you for your message. Everyone on the team is with someone right now. Lately people have waited {wait} for a first reply; we will answer as soon as we can.",
	"es": "Gracias por tu mensaje. Todo el equipo está atendiendo a otras personas ahora. Últimamente la espera para una primera respuesta ha sido de {wait}; te responderemos lo antes posible.",
	"fr": "Merci pour votre message. Toute l'équipe est avec quelqu'un en ce moment. Ces derniers temps, l'attente d'une première réponse a été de {wait} ; nous vous répondrons dès que possible.",
}

// defaultWaitNoFigures is said instead when the line has no recent figures.
var defaultWaitNoFigures = map[string]string{
	"en": "Thank you for your message. Everyone on the team is with someone right now; we will answer as soon as we can.",
	"es": "Gracias por tu mensaje. Todo el equipo está atendiendo a otras personas ahora; te responderemos lo antes posible.",
	"fr": "Merci pour votre message. Toute l'équipe est avec quelqu'un en ce moment ; nous vous répondrons dès que possible.",
}

// defaultEmergency is added to a wait message when the client's words
// were read as elevated or crisis, where the line has no emergency_notice.
var defaultEmergency = map[string]string{
	"en": "If you are in danger now, call 999, or Samaritans free on 116 123, any time.",
	"es": "Si estás en peligro ahora, llama al 999, o a Samaritans gratis al 116 123, a cualquier hora.",
	"fr": "Si vous êtes en danger maintenant, appelez le 999, ou Samaritans gratuitement au 116 123, à toute heure.",
}

var waitWords = map[string][2]string{
	"en": {"about a minute", "about %d minutes"},
	"es": {"alrededor de un minuto", "unos %d minutos"},
	"fr": {"environ une minute", "environ %d minutes"},
}

// WaitText is the message a client gets when nobody has replied in a
// while: the line's recent wait (known false: no recent figures, and the
// text says so instead of guessing), and the emergency numbers when urgent
// (their words were read as elevated or crisis), in the client's language
// where the line has a text for it.
func (l Line) WaitText(lang string, wait time.Duration, known, urgent bool) string {
	var text string
	if known {
		// The words of the wait are in the language of the text chosen:
		// the line's for lang, else its English one, else the built-in.
		textLang := lang
		switch {
		case l.WaitReply[lang] != "":
			text = l.WaitReply[lang]
		case l.WaitReply["en"] != "":
			text, textLang = l.WaitReply["en"], "en"
		default:
			if defaultWaitReply[lang] == "" {
				textLang = "en"
			}
			text = defaultWaitReply[textLang]
		}
		words, ok := waitWords[textLang]
		if !ok {
			words = waitWords["en"]
		}
		minutes := int((wait + time.Minute - 1) / time.Minute) // rounded up: never promise less
		w := words[0]
		if minutes > 1 {
			w = fmt.Sprintf(words[1], minutes)
		}
		text = strings.ReplaceAll(text, "{wait}", w)
	} else {
		text = cmp.Or(PickText(l.WaitReplyNoFigures, lang), PickText(defaultWaitNoFigures, lang))
	}
	if urgent {
		text += " " + cmp.Or(l.EmergencyNotice, PickText(defaultEmergency, lang))
	}
	return text
}
