package sms

import (
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// gatherTimeout is how many seconds a page call waits for a key press.
const gatherTimeout = 10

// CallTexts are what a page call says in one language. In Prompt, {line}
// and {reason} stand for the line's name and the reason; in Client,
// {client} for the client's pseudonym (spelled out). An empty field takes
// the default text.
type CallTexts struct {
	// Prompt opens the call, e.g. "Helpline page for {line}. Reason:
	// {reason}." It never names the client: Client does, for whom it may.
	Prompt string
	// Client follows the prompt when the call may name the client (see
	// PageCall.Pseudonym), e.g. "Client {client}."
	Client string
	// Instruction follows the prompt, and is repeated after a wrong key.
	Instruction string
	// NoInput is said when no key was pressed, before the call hangs up.
	NoInput string
	// Acknowledged and Declined answer 1 and 2 (see Voice.SayTwiML).
	Acknowledged string
	Declined     string
	// Unknown answers any other key, before the instruction again.
	Unknown string
}

// defaultCallTexts are the texts for the languages the helpline ships.
var defaultCallTexts = map[string]CallTexts{
	"en": {
		Prompt:       "Helpline page for {line}. Reason: {reason}.",
		Client:       "Client {client}.",
		Instruction:  "Press 1 to acknowledge, 2 if you cannot take it.",
		NoInput:      "No key was pressed. The page is still open. Goodbye.",
		Acknowledged: "Acknowledged. Thank you.",
		Declined:     "Declined. The next person on call is being paged.",
		Unknown:      "That key does nothing.",
	},
	"es": {
		Prompt:       "Aviso de la línea de ayuda {line}. Motivo: {reason}.",
		Client:       "Cliente {client}.",
		Instruction:  "Pulse 1 para aceptar, 2 si no puede atenderlo.",
		NoInput:      "No se ha pulsado ninguna tecla. El aviso sigue abierto. Adiós.",
		Acknowledged: "Aceptado. Gracias.",
		Declined:     "Rechazado. Se avisa a la siguiente persona de guardia.",
		Unknown:      "Esa tecla no hace nada.",
	},
	"fr": {
		Prompt:       "Alerte de la ligne d'écoute {line}. Motif : {reason}.",
		Client:       "Client {client}.",
		Instruction:  "Appuyez sur 1 pour accepter, sur 2 si vous ne pouvez pas le prendre.",
		NoInput:      "Aucune touche pressée. L'alerte reste ouverte. Au revoir.",
		Acknowledged: "Accepté. Merci.",
		Declined:     "Refusé. La personne suivante de garde est alertée.",
		Unknown:      "Cette touche ne fait rien.",
	},
}

// defaultRegions complete a bare language for <Say>.
var defaultRegions = map[string]string{"en": "en-GB", "es": "es-ES", "fr": "fr-FR"}

var (
	languagePattern  = regexp.MustCompile(`^([a-z]{2,3})(-[A-Za-z0-9]{2,8})*$`)
	voicePattern     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	reasonPattern    = regexp.MustCompile(`^\pL[\pL _-]{0,39}$`)
	pseudonymPattern = regexp.MustCompile(`^[A-Z]{1,3}-[0-9A-Z]{1,51}$`)
	// phoneLike is seven or more digits, alone or split by single spaces,
	// dots, dashes or brackets: what a phone number looks like in text.
	phoneLike = regexp.MustCompile(`\d(?:[ ().-]?\d){6,}`)
)

// maxSpoken bounds one configured text or line name, in characters.
const maxSpoken = 300

// Voice is how page calls speak: the language and voice of their <Say>s and
// their texts.
type Voice struct {
	// Language is a BCP 47 tag for <Say language>, e.g. "en-GB" or "es"; a bare
	// "en", "es" or "fr" gets its usual region. Empty means "en-GB".
	Language string
	// Name is a Twilio voice (e.g. "Polly.Amy"); empty means Twilio's default
	// for the language.
	Name string
	// Texts override the defaults of Language, field by field. A language
	// without defaults must give every text.
	Texts CallTexts
}

// texts returns the language tag and the complete texts to speak, or why
// they cannot be spoken: a bad tag or voice, a missing text, or a text that
// looks like it holds a phone number.
func (v Voice) texts() (string, CallTexts, error) {
	lang := v.Language
	if lang == "" {
		lang = "en-GB"
	}
	m := languagePattern.FindStringSubmatch(lang)
	if m == nil {
		return "", CallTexts{}, errors.New("voice language: want a BCP 47 tag such as en-GB")
	}
	if region, ok := defaultRegions[lang]; ok {
		lang = region
	}
	if v.Name != "" && !voicePattern.MatchString(v.Name) {
		return "", CallTexts{}, errors.New("voice name: want letters, digits, '.', '_' or '-'")
	}
	t, def := v.Texts, defaultCallTexts[m[1]]
	for _, f := range []struct {
		name      string
		text, std *string
	}{
		{"prompt", &t.Prompt, &def.Prompt},
		{"client", &t.Client, &def.Client},
		{"instruction", &t.Instruction, &def.Instruction},
		{"no_input", &t.NoInput, &def.NoInput},
		{"acknowledged", &t.Acknowledged, &def.Acknowledged},
		{"declined", &t.Declined, &def.Declined},
		{"unknown", &t.Unknown, &def.Unknown},
	} {
		if *f.text == "" {
			*f.text = *f.std
		}
		if err := checkSpoken(*f.text); err != nil {
			return "", CallTexts{}, fmt.Errorf("call text %s (%s): %w", f.name, lang, err)
		}
	}
	// The client is named in Client alone, so that a call to someone who
	// may not know who the client is can leave it out whole.
	if strings.Contains(t.Prompt, "{client}") {
		return "", CallTexts{}, fmt.Errorf("call text prompt (%s): name the client in the client text, not the prompt", lang)
	}
	return lang, t, nil
}

// Validate reports why v cannot speak, if it cannot.
func (v Voice) Validate() error {
	_, _, err := v.texts()
	return err
}

// FilledTexts returns the texts v speaks, defaults filled in: for a handler
// choosing what to answer a key press with.
func (v Voice) FilledTexts() (CallTexts, error) {
	_, t, err := v.texts()
	return t, err
}

// checkSpoken refuses an empty or overlong text and one with a phone number.
func checkSpoken(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("empty")
	case utf8.RuneCountInString(s) > maxSpoken:
		return fmt.Errorf("longer than %d characters", maxSpoken)
	case phoneLike.MatchString(s):
		return errors.New("looks like it holds a phone number")
	}
	return nil
}

// PageCall is what a page call is about. It holds no phone number and nothing
// a client wrote: the line's name, a reason word and, for whom it may name
// the client, the client's pseudonym.
type PageCall struct {
	// PublicURL is the base URL Twilio calls (HELPLINE_PUBLIC_URL).
	PublicURL string
	// PageID names the page (see ValidPageID); it comes back in the gather's
	// query.
	PageID string
	// LineName is the line's configured name.
	LineName string
	// Reason is a word or two ("crisis", "out_of_hours"), never content.
	Reason string
	// Pseudonym is the client's pseudonym ("C-7Q2K") when the paged
	// person's role may see it (events.PageClient), else empty: the call
	// then names the line and the reason only.
	Pseudonym string
}

// PageTwiML is the TwiML of a page call: a <Gather> of one key, posted to
// GatherURL, around the prompt and the instruction; then, if no key was
// pressed, the no-input text. Everything is escaped by encoding/xml.
func (v Voice) PageTwiML(p PageCall) (string, error) {
	lang, t, err := v.texts()
	if err != nil {
		return "", err
	}
	switch {
	case checkSpoken(p.LineName) != nil:
		return "", fmt.Errorf("line name: %w", checkSpoken(p.LineName))
	case !reasonPattern.MatchString(p.Reason):
		return "", errors.New("reason: want a word or two of letters, spaces, '_' or '-'")
	case p.Pseudonym != "" && !pseudonymPattern.MatchString(p.Pseudonym):
		return "", errors.New("pseudonym: want letters, '-', then letters and digits (C-7Q2K)")
	}
	action, err := GatherURL(p.PublicURL, p.PageID)
	if err != nil {
		return "", err
	}
	prompt := strings.NewReplacer("{line}", p.LineName, "{reason}", strings.ReplaceAll(p.Reason, "_", " ")).Replace(t.Prompt)
	if p.Pseudonym != "" {
		prompt += " " + strings.ReplaceAll(t.Client, "{client}", spellOut(p.Pseudonym))
	}
	s := v.say(lang, prompt+" "+t.Instruction)
	return render(gatherVerb(action, s), v.say(lang, t.NoInput))
}

// RepromptTwiML answers a key that means nothing (ReplyOther): the unknown-key
// text and the instruction in a new <Gather> to the same page, then the
// no-input text.
func (v Voice) RepromptTwiML(publicURL, pageID string) (string, error) {
	lang, t, err := v.texts()
	if err != nil {
		return "", err
	}
	action, err := GatherURL(publicURL, pageID)
	if err != nil {
		return "", err
	}
	return render(gatherVerb(action, v.say(lang, t.Unknown+" "+t.Instruction)), v.say(lang, t.NoInput))
}

// SayTwiML says text, then hangs up: the answer to a key press that was acted
// on (FilledTexts' Acknowledged or Declined, or who acknowledged first).
// text must not hold a phone number.
func (v Voice) SayTwiML(text string) (string, error) {
	lang, _, err := v.texts()
	if err != nil {
		return "", err
	}
	if err := checkSpoken(text); err != nil {
		return "", fmt.Errorf("text: %w", err)
	}
	return render(v.say(lang, text), hangupVerb{})
}

// spellOut reads a pseudonym character by character: "C-7Q2K" becomes
// "C 7 Q 2 K", so text-to-speech does not try to pronounce it.
func spellOut(s string) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "-", "") {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

type sayVerb struct {
	XMLName  xml.Name `xml:"Say"`
	Language string   `xml:"language,attr,omitempty"`
	Voice    string   `xml:"voice,attr,omitempty"`
	Text     string   `xml:",chardata"`
}

type gather struct {
	XMLName   xml.Name `xml:"Gather"`
	NumDigits int      `xml:"numDigits,attr"`
	Action    string   `xml:"action,attr"`
	Method    string   `xml:"method,attr"`
	Timeout   int      `xml:"timeout,attr"`
	Say       sayVerb
}

type hangupVerb struct {
	XMLName xml.Name `xml:"Hangup"`
}

type response struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []any
}

func (v Voice) say(lang, text string) sayVerb {
	return sayVerb{Language: lang, Voice: v.Name, Text: text}
}

func gatherVerb(action string, s sayVerb) gather {
	return gather{NumDigits: 1, Action: action, Method: "POST", Timeout: gatherTimeout, Say: s}
}

// render writes a TwiML document with encoding/xml, which escapes every text
// and attribute.
func render(verbs ...any) (string, error) {
	out, err := xml.Marshal(response{Verbs: verbs})
	if err != nil {
		return "", fmt.Errorf("render TwiML: %w", err)
	}
	return xml.Header + string(out), nil
}
