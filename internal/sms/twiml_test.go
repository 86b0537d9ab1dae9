package sms

import (
	"encoding/xml"
	"strings"
	"testing"
)

var page = PageCall{
	PublicURL: "https://helpline.example/",
	PageID:    "0fj2kd9q8v3h1c.r1l0.sam",
	LineName:  "Main line",
	Reason:    "out_of_hours",
	Pseudonym: "C-7Q2K9A",
}

func TestPageTwiML(t *testing.T) {
	t.Parallel()
	got, err := Voice{}.PageTwiML(page)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Response><Gather numDigits="1" action="https://helpline.example/twilio/voice/gather?page=0fj2kd9q8v3h1c.r1l0.sam" method="POST" timeout="10">` +
		`<Say language="en-GB">Helpline page for Main line. Reason: out of hours. Client C 7 Q 2 K 9 A. Press 1 to acknowledge, 2 if you cannot take it.</Say></Gather>` +
		`<Say language="en-GB">No key was pressed. The page is still open. Goodbye.</Say></Response>`
	if got != want {
		t.Errorf("PageTwiML =\n%s\nwant\n%s", got, want)
	}
}

// TestPageTwiMLWithoutClient: a call to someone whose role may not see
// the client's pseudonym (no Pseudonym given) says the line and the
// reason, in every language, and nothing of the client.
func TestPageTwiMLWithoutClient(t *testing.T) {
	t.Parallel()
	p := page
	p.Pseudonym = ""
	for lang, want := range map[string]string{
		"en": "Helpline page for Main line. Reason: out of hours. Press 1 to acknowledge, 2 if you cannot take it.",
		"es": "Aviso de la línea de ayuda Main line. Motivo: out of hours. Pulse 1 para aceptar, 2 si no puede atenderlo.",
		"fr": "Alerte de la ligne d'écoute Main line. Motif : out of hours. Appuyez sur 1 pour accepter, sur 2 si vous ne pouvez pas le prendre.",
	} {
		got, err := Voice{Language: lang}.PageTwiML(p)
		if err != nil {
			t.Fatal(err)
		}
		if said := readTwiML(t, got).Gather.Say.Text; said != want {
			t.Errorf("%s: said %q, want %q", lang, said, want)
		}
	}
}

// twimlDoc is a page call's TwiML read back with encoding/xml.
type twimlDoc struct {
	Gather struct {
		Action string `xml:"action,attr"`
		Say    struct {
			Language string `xml:"language,attr"`
			Voice    string `xml:"voice,attr"`
			Text     string `xml:",chardata"`
		} `xml:"Say"`
	} `xml:"Gather"`
	Says []string `xml:"Say"`
}

func readTwiML(t *testing.T, s string) twimlDoc {
	t.Helper()
	var d twimlDoc
	if err := xml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("TwiML does not parse: %v\n%s", err, s)
	}
	return d
}

// TestPageTwiMLEscapes: whatever a line is called, the document parses and
// says the name as given.
func TestPageTwiMLEscapes(t *testing.T) {
	t.Parallel()
	p := page
	p.LineName = `Tom & Jerry's <line> "24/7" ]]>`
	got, err := Voice{}.PageTwiML(p)
	if err != nil {
		t.Fatal(err)
	}
	d := readTwiML(t, got)
	if !strings.Contains(d.Gather.Say.Text, "for "+p.LineName+". Reason") {
		t.Errorf("said %q", d.Gather.Say.Text)
	}
	if strings.Contains(got, "<line>") || strings.Contains(got, "& ") {
		t.Errorf("unescaped: %s", got)
	}
}

func TestPageTwiMLLanguages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		voice    Voice
		wantLang string
		wantSay  string
	}{
		{Voice{Language: "es"}, "es-ES", "Aviso de la línea de ayuda Main line. Motivo: out of hours. Cliente C 7 Q 2 K 9 A. Pulse 1 para aceptar, 2 si no puede atenderlo."},
		{Voice{Language: "fr-CA", Name: "Polly.Chantal"}, "fr-CA", "Alerte de la ligne d'écoute Main line. Motif : out of hours. Client C 7 Q 2 K 9 A. Appuyez sur 1 pour accepter, sur 2 si vous ne pouvez pas le prendre."},
		{Voice{Language: "en-US", Texts: CallTexts{Prompt: "Page on {line}, {reason}.", Client: "About {client}."}}, "en-US", "Page on Main line, out of hours. About C 7 Q 2 K 9 A. Press 1 to acknowledge, 2 if you cannot take it."},
		{Voice{Language: "de", Texts: CallTexts{Prompt: "Alarm {line}: {reason}.", Client: "Klient {client}.", Instruction: "Taste 1.", NoInput: "Tschüss.", Acknowledged: "Danke.", Declined: "Nein.", Unknown: "Falsch."}},
			"de", "Alarm Main line: out of hours. Klient C 7 Q 2 K 9 A. Taste 1."},
	}
	for _, tt := range tests {
		got, err := tt.voice.PageTwiML(page)
		if err != nil {
			t.Errorf("%+v: %v", tt.voice, err)
			continue
		}
		d := readTwiML(t, got)
		if d.Gather.Say.Language != tt.wantLang || d.Gather.Say.Voice != tt.voice.Name || d.Gather.Say.Text != tt.wantSay {
			t.Errorf("%+v: said %q in %q by %q", tt.voice, d.Gather.Say.Text, d.Gather.Say.Language, d.Gather.Say.Voice)
		}
	}
}

// TestPageTwiMLRefuses: a page call never says a phone number or anything
// that is not a reason word, and names its page by an opaque id.
func TestPageTwiMLRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		voice  Voice
		mutate func(*PageCall)
	}{
		{"phone number as line name", Voice{}, func(p *PageCall) { p.LineName = "Call +44 7700 900123" }},
		{"national number as line name", Voice{}, func(p *PageCall) { p.LineName = "Line 07700-900-123" }},
		{"empty line name", Voice{}, func(p *PageCall) { p.LineName = " " }},
		{"sentence as reason", Voice{}, func(p *PageCall) { p.Reason = "I want to end it all tonight, please help me now" }},
		{"reason with digits", Voice{}, func(p *PageCall) { p.Reason = "7700900123" }},
		{"no reason", Voice{}, func(p *PageCall) { p.Reason = "" }},
		{"number as pseudonym", Voice{}, func(p *PageCall) { p.Pseudonym = "+447700900123" }},
		{"page id with a slash", Voice{}, func(p *PageCall) { p.PageID = "a/b" }},
		{"page id with a query", Voice{}, func(p *PageCall) { p.PageID = "a&Digits=1" }},
		{"no page id", Voice{}, func(p *PageCall) { p.PageID = "" }},
		{"public URL with query", Voice{}, func(p *PageCall) { p.PublicURL = "https://h.example/?x=1" }},
		{"relative public URL", Voice{}, func(p *PageCall) { p.PublicURL = "/helpline" }},
		{"phone number in a text", Voice{Texts: CallTexts{NoInput: "Call 0800 111 222 3."}}, func(*PageCall) {}},
		{"bad language", Voice{Language: "english"}, func(*PageCall) {}},
		{"bad voice", Voice{Name: `Polly"Amy`}, func(*PageCall) {}},
		{"language without texts", Voice{Language: "de"}, func(*PageCall) {}},
		{"client in the prompt", Voice{Texts: CallTexts{Prompt: "Page for {client} on {line}."}}, func(*PageCall) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := page
			tt.mutate(&p)
			if got, err := tt.voice.PageTwiML(p); err == nil {
				t.Errorf("PageTwiML = %s, want an error", got)
			}
		})
	}
}

func TestRepromptAndSay(t *testing.T) {
	t.Parallel()
	v := Voice{Language: "en"}
	got, err := v.RepromptTwiML("http://127.0.0.1:8080", "p-1")
	if err != nil {
		t.Fatal(err)
	}
	d := readTwiML(t, got)
	if d.Gather.Action != "http://127.0.0.1:8080/twilio/voice/gather?page=p-1" ||
		d.Gather.Say.Text != "That key does nothing. Press 1 to acknowledge, 2 if you cannot take it." ||
		len(d.Says) != 1 || d.Says[0] != "No key was pressed. The page is still open. Goodbye." {
		t.Errorf("reprompt %s", got)
	}

	texts, err := v.FilledTexts()
	if err != nil {
		t.Fatal(err)
	}
	got, err = v.SayTwiML(texts.Acknowledged)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Say language="en-GB">Acknowledged. Thank you.</Say><Hangup></Hangup></Response>`
	if got != want {
		t.Errorf("SayTwiML = %s", got)
	}
	if _, err := v.SayTwiML("Call +447700900123"); err == nil {
		t.Error("SayTwiML said a phone number")
	}
}

func TestGatherURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ public, id, want string }{
		{"https://h.example", "abc", "https://h.example/twilio/voice/gather?page=abc"},
		{"https://h.example/", "a.b_c~d-e", "https://h.example/twilio/voice/gather?page=a.b_c~d-e"},
		{"http://127.0.0.1:8080/prefix/", "x", "http://127.0.0.1:8080/prefix/twilio/voice/gather?page=x"},
	} {
		if got, err := GatherURL(tt.public, tt.id); err != nil || got != tt.want {
			t.Errorf("GatherURL(%q, %q) = %q, %v; want %q", tt.public, tt.id, got, err, tt.want)
		}
	}
	if _, err := GatherURL("https://h.example", strings.Repeat("a", 129)); err == nil {
		t.Error("page id of 129 characters accepted")
	}
}
