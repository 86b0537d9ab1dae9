package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/schedule"
)

// File is the YAML configuration: lines, staff, rota and policies.
type File struct {
	Lines    []Line   `yaml:"lines"`
	Staff    []Staff  `yaml:"staff"`
	Rota     []Shift  `yaml:"rota"`
	Policies []Policy `yaml:"policies"`
}

// Line is one support line: the number clients text and when it is open.
type Line struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Number string `yaml:"number"`
	// WhatsAppFrom is the line's WhatsApp sender on the same Twilio
	// account, "whatsapp:+E164" (empty: no WhatsApp). Clients who write to
	// it are their own channel (events.ChannelWhatsApp); replies go back
	// from it.
	WhatsAppFrom string `yaml:"whatsapp_from"`
	Timezone     string `yaml:"timezone"`
	// Hours maps a weekday ("monday".."sunday") to "HH:MM-HH:MM" periods.
	// AlwaysOpen replaces it for a line open all week.
	Hours      map[string][]string `yaml:"hours"`
	AlwaysOpen bool                `yaml:"always_open"`
	Holidays   []string            `yaml:"holidays"`
	// FirstResponseTarget is how long a conversation may wait for a
	// worker's first reply before it escalates (reason unanswered);
	// default 15m.
	FirstResponseTarget Duration `yaml:"first_response_target"`
	// NextResponseTarget is how long a client who writes again after a
	// worker's reply may wait for the next reply before the conversation
	// escalates (reason unanswered); default the first-response target.
	NextResponseTarget Duration `yaml:"next_response_target"`
	// Policy names the escalation policy; default "default".
	Policy string `yaml:"policy"`
	// OutOfHoursReply is the auto-reply text per language code; {next_open}
	// is replaced by when the line opens again.
	OutOfHoursReply map[string]string `yaml:"out_of_hours_reply"`
	HelpReply       string            `yaml:"help_reply"`
	// PageReply is the line each page SMS ends with, saying how to answer
	// it, per language code; a built-in default ("Reply 1 to acknowledge,
	// 2 if you cannot take it") where none is given.
	PageReply map[string]string `yaml:"page_reply"`
	// PageHelpReply answers, per staff language, a text from a staff work
	// phone that is neither "1" nor "2": how to answer a page by SMS. A
	// built-in default where none is given.
	PageHelpReply map[string]string `yaml:"page_help_reply"`
	// CrisisReply is what a client is told at once, per language, when a
	// crisis or elevated message comes while the line is closed: that
	// someone on call has been alerted, and the emergency numbers to call
	// meanwhile. A built-in (UK) default where none is given: set it for
	// lines outside the UK.
	CrisisReply map[string]string `yaml:"crisis_reply"`
	// EmergencyNotice is what the web chat page says to do in an
	// emergency, e.g. "If you are in immediate danger, call 999."; the
	// page's default (UK) when empty. Set it for lines outside the UK.
	EmergencyNotice string `yaml:"emergency_notice"`
	// QuickExitURL is the neutral site the web chat's quick exit (its
	// button, or the Escape key) replaces the page with; default
	// DefaultQuickExitURL. An absolute http(s) URL.
	QuickExitURL string `yaml:"quick_exit_url"`
	// WaitMessageAfter is how long a client's SMS may wait for a worker's
	// reply, while the line is open, before the client is told the
	// expected wait (WaitText); default 1m. WaitMessageEvery is the least
	// time between two such messages in one conversation; default 30m.
	WaitMessageAfter Duration `yaml:"wait_message_after"`
	WaitMessageEvery Duration `yaml:"wait_message_every"`
	// WaitReply is that message per language, {wait} replaced by the
	// expected wait in words; WaitReplyNoFigures is said instead when the
	// line has no recent figures. Built-in defaults where none is given.
	WaitReply          map[string]string `yaml:"wait_reply"`
	WaitReplyNoFigures map[string]string `yaml:"wait_reply_no_figures"`
	// SendRate is the most SMS per second sent from the line's number
	// (the provider's per-sender limit); default 5.
	SendRate float64 `yaml:"send_rate"`
	// RetentionDays is how many days after a client's last conversation on
	// the line closed their data is crypto-shredded (`helpline clients
	// retention`); 0 (the default) keeps it. The figures stay: they hold
	// no personal data.
	RetentionDays int `yaml:"retention_days"`
	// AdminContacts are the staff ids told by SMS, on their work phones,
	// when a level of the line's rota has nobody on call in the next 24
	// hours (once per gap).
	AdminContacts []string `yaml:"admin_contacts"`
	// Taxonomy is what workers choose from when they close a conversation
	// (an outcome, categories); DefaultTaxonomy when not given.
	Taxonomy *Taxonomy `yaml:"taxonomy"`
	// ReopenWindow is how long after its closing a client's message
	// reopens the same conversation; later, it starts a new one. Default
	// DefaultReopenWindow.
	ReopenWindow Duration `yaml:"reopen_window"`
	// SavedReplies are the texts the line's workers may insert into a
	// reply, per language; admins change them in the console. None when
	// not given.
	SavedReplies []SavedReply `yaml:"saved_replies"`
	// Survey is the line's post-contact survey (survey.go); nil: none.
	Survey *Survey `yaml:"survey"`
	// AbandonedAfter is how long the client of a conversation nobody has
	// answered may stay silent before the managers' figures count it as
	// never answered (abandoned); default DefaultAbandonedAfter.
	AbandonedAfter Duration `yaml:"abandoned_after"`
	// FollowUpText is the check-in text a client who agreed at wrap-up
	// gets at the time the worker chose (events.FollowUpPlan); a line
	// without one offers no follow-ups. Keep it discreet: someone else
	// may read the client's phone. FollowUpMax is how far ahead one may
	// be scheduled; default DefaultFollowUpMax.
	FollowUpText string   `yaml:"follow_up_text"`
	FollowUpMax  Duration `yaml:"follow_up_max"`
}

// DefaultFollowUpMax is how far ahead a follow-up may be scheduled where
// a line sets no follow_up_max.
const DefaultFollowUpMax = 14 * 24 * time.Hour

// FollowUpWithin is how far ahead the line accepts a follow-up: 0 when
// it sends none (no follow_up_text).
func (l Line) FollowUpWithin() time.Duration {
	if strings.TrimSpace(l.FollowUpText) == "" {
		return 0
	}
	return l.FollowUpMax.Duration
}

// Staff is a member of staff known from configuration.
type Staff struct {
	ID        string `yaml:"id"`
	Name      string `yaml:"name"`
	Role      string `yaml:"role"`
	WorkPhone string `yaml:"work_phone"`
	// Language is the language code pages to them are written in
	// (en, es, fr); default en.
	Language string   `yaml:"language"`
	Teams    []string `yaml:"teams"`
	// Notify is how they are paged at each escalation step, e.g.
	// [{sms: 0m}, {call: 2m}]; empty means DefaultNotify (an SMS at once).
	Notify []NotifyRule `yaml:"notify,omitempty"`
}

// Shift puts a staff member on call at a level of a line's policy, on some
// weekdays between two times in the line's time zone.
type Shift struct {
	Line  string   `yaml:"line"`
	Level string   `yaml:"level"`
	Staff string   `yaml:"staff"`
	Days  []string `yaml:"days"`
	// Hours is "HH:MM-HH:MM"; may span midnight; empty means all day.
	Hours string `yaml:"hours"`
}

// Policy is an escalation policy: who is paged, in what order, how long
// each level has to acknowledge, and how often the whole sequence repeats.
type Policy struct {
	ID         string   `yaml:"id"`
	Levels     []string `yaml:"levels"`
	AckTimeout Duration `yaml:"ack_timeout"`
	Rounds     int      `yaml:"rounds"`
}

// Duration is a time.Duration written as "5m" in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 5m", n.Line, s)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

var (
	e164      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// ValidE164 reports whether s is a phone number in E.164 form.
func ValidE164(s string) bool { return e164.MatchString(s) }

// WhatsAppPrefix marks a WhatsApp address in Twilio's Messaging API and
// its webhooks: "whatsapp:+447700900123".
const WhatsAppPrefix = "whatsapp:"

// ValidWhatsApp reports whether s is a WhatsApp address, "whatsapp:" and
// an E.164 number.
func ValidWhatsApp(s string) bool {
	n, ok := strings.CutPrefix(s, WhatsAppPrefix)
	return ok && ValidE164(n)
}

// LoadFile reads and validates the YAML configuration. Unknown keys are
// errors, so a typo never silently drops a setting.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	f, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return f, nil
}

// ParseFile parses and validates YAML configuration.
func ParseFile(data []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	f.setDefaults()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *File) setDefaults() {
	for i := range f.Lines {
		l := &f.Lines[i]
		l.Policy = cmp.Or(l.Policy, "default")
		l.FirstResponseTarget.Duration = cmp.Or(l.FirstResponseTarget.Duration, 15*time.Minute)
		l.NextResponseTarget.Duration = cmp.Or(l.NextResponseTarget.Duration, l.FirstResponseTarget.Duration)
		l.SendRate = cmp.Or(l.SendRate, 5)
		l.QuickExitURL = cmp.Or(l.QuickExitURL, DefaultQuickExitURL)
		l.WaitMessageAfter.Duration = cmp.Or(l.WaitMessageAfter.Duration, time.Minute)
		l.WaitMessageEvery.Duration = cmp.Or(l.WaitMessageEvery.Duration, 30*time.Minute)
		l.ReopenWindow.Duration = cmp.Or(l.ReopenWindow.Duration, DefaultReopenWindow)
		l.AbandonedAfter.Duration = cmp.Or(l.AbandonedAfter.Duration, DefaultAbandonedAfter)
		l.FollowUpMax.Duration = cmp.Or(l.FollowUpMax.Duration, DefaultFollowUpMax)
		if l.Taxonomy == nil {
			l.Taxonomy = DefaultTaxonomy()
		}
		if l.Survey != nil {
			l.Survey.setDefaults()
		}
	}
	for i := range f.Policies {
		p := &f.Policies[i]
		p.Rounds = cmp.Or(p.Rounds, 2)
		p.AckTimeout.Duration = cmp.Or(p.AckTimeout.Duration, 5*time.Minute)
	}
}

// DefaultQuickExitURL is where the web chat's quick exit goes unless a
// line sets quick_exit_url: a neutral page nobody looking over a client's
// shoulder would remark on.
const DefaultQuickExitURL = "https://www.bbc.co.uk/weather"

// validQuickExit reports whether s is an absolute http or https URL with a
// host: the page must leave for another site, never run script.
func validQuickExit(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// langPattern is a language code as texts are keyed by: en, es, pt-br.
var langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z]{2,4})?$`)

// maxStaffText bounds a configured text sent to staff: it shares one SMS
// with the page.
const maxStaffText = 160

// maxClientText bounds a configured text sent to a client: what one SMS
// (of several segments) can carry.
const maxClientText = 1000

// Response targets are bounded: shorter than a minute pages for messages
// nobody could have answered yet; longer than a day is no clock at all.
const (
	minResponseTarget = time.Minute
	maxResponseTarget = 24 * time.Hour
)

// maxRetentionDays bounds a line's retention period: a hundred years.
const maxRetentionDays = 36500

// Retention returns the line's retention period (RetentionDays), 0 when
// its clients are kept.
func (l Line) Retention() time.Duration { return time.Duration(l.RetentionDays) * 24 * time.Hour }

// Validate checks the whole file and reports every problem at once.
func (f *File) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(f.Lines) == 0 {
		bad("lines: at least one line is required")
	}
	lineIDs, numbers, staffIDs, policyIDs := map[string]bool{}, map[string]bool{}, map[string]*Staff{}, map[string]bool{}
	phones := map[string]string{} // work phone -> staff id
	for i, p := range f.Policies {
		if !idPattern.MatchString(p.ID) {
			bad("policies[%d].id %q: want lowercase letters, digits, '-' or '_'", i, p.ID)
		}
		policyIDs[p.ID] = true
		if len(p.Levels) == 0 {
			bad("policies[%d] (%s): levels: at least one level", i, p.ID)
		}
		if p.Rounds < 1 || p.AckTimeout.Duration < time.Second {
			bad("policies[%d] (%s): rounds must be >= 1 and ack_timeout >= 1s", i, p.ID)
		}
	}
	for i, l := range f.Lines {
		where := fmt.Sprintf("lines[%d] (%s)", i, l.ID)
		if !idPattern.MatchString(l.ID) {
			bad("%s: id: want lowercase letters, digits, '-' or '_'", where)
		}
		if lineIDs[l.ID] {
			bad("%s: duplicate id", where)
		}
		lineIDs[l.ID] = true
		if !ValidE164(l.Number) {
			bad("%s: number: want E.164 like +441234567890", where)
		}
		if numbers[l.Number] {
			bad("%s: number used by two lines", where)
		}
		numbers[l.Number] = true
		if w := l.WhatsAppFrom; w != "" {
			if !ValidWhatsApp(w) {
				bad("%s: whatsapp_from: want whatsapp: and an E.164 number, like whatsapp:+441234567890", where)
			}
			if numbers[w] {
				bad("%s: whatsapp_from used by two lines", where)
			}
			numbers[w] = true
		}
		if _, err := time.LoadLocation(l.Timezone); err != nil || l.Timezone == "" {
			bad("%s: timezone %q: want an IANA zone like Europe/London", where, l.Timezone)
		}
		if l.SendRate < 0.1 || l.SendRate > 1000 {
			bad("%s: send_rate %g: want 0.1 to 1000 messages per second", where, l.SendRate)
		}
		for _, t := range []struct {
			key string
			d   time.Duration
		}{{"first_response_target", l.FirstResponseTarget.Duration}, {"next_response_target", l.NextResponseTarget.Duration}} {
			if t.d < minResponseTarget || t.d > maxResponseTarget {
				bad("%s: %s %s: want %s to %s", where, t.key, t.d, minResponseTarget, maxResponseTarget)
			}
		}
		if l.RetentionDays < 0 || l.RetentionDays > maxRetentionDays {
			bad("%s: retention_days %d: want 0 (keep) to %d", where, l.RetentionDays, maxRetentionDays)
		}
		if l.AlwaysOpen && len(l.Hours) > 0 {
			bad("%s: always_open and hours are exclusive", where)
		}
		if !l.AlwaysOpen && len(l.Hours) == 0 {
			bad("%s: hours: give opening hours, or always_open: true", where)
		}
		for day := range l.Hours {
			if _, ok := schedule.ParseWeekday(day); !ok {
				bad("%s: hours: %q is not a weekday (monday..sunday)", where, day)
			}
		}
		if len(f.Policies) > 0 && !policyIDs[l.Policy] {
			bad("%s: policy %q is not defined", where, l.Policy)
		}
		for key, texts := range map[string]map[string]string{"page_reply": l.PageReply, "page_help_reply": l.PageHelpReply} {
			for lang, text := range texts {
				if !langPattern.MatchString(lang) || strings.TrimSpace(text) == "" || len(text) > maxStaffText {
					bad("%s: %s[%q]: want a language code (en, es...) and a text of 1 to %d bytes", where, key, lang, maxStaffText)
				}
			}
		}
		if !validQuickExit(l.QuickExitURL) {
			bad("%s: quick_exit_url: want an absolute https URL like %s", where, DefaultQuickExitURL)
		}
		if l.ReopenWindow.Duration < time.Minute || l.ReopenWindow.Duration > 90*24*time.Hour {
			bad("%s: reopen_window %s: want 1m to 2160h", where, l.ReopenWindow.Duration)
		}
		if l.AbandonedAfter.Duration < 10*time.Minute || l.AbandonedAfter.Duration > 30*24*time.Hour {
			bad("%s: abandoned_after %s: want 10m to 720h", where, l.AbandonedAfter.Duration)
		}
		if len(l.FollowUpText) > maxClientText || l.FollowUpMax.Duration < 24*time.Hour || l.FollowUpMax.Duration > 90*24*time.Hour {
			bad("%s: follow_up_text of at most %d bytes and follow_up_max %s of 24h to 2160h", where, maxClientText, l.FollowUpMax.Duration)
		}
		if l.Taxonomy != nil {
			errs = append(errs, l.Taxonomy.validate(where)...)
		}
		errs = append(errs, l.validateSavedReplies(where)...)
		if l.Survey != nil {
			errs = append(errs, l.Survey.validate(where, l.ReopenWindow.Duration)...)
		}
		if l.WaitMessageAfter.Duration < 10*time.Second || l.WaitMessageEvery.Duration < l.WaitMessageAfter.Duration {
			bad("%s: wait_message_after %s, wait_message_every %s: want at least 10s, and every at least after", where, l.WaitMessageAfter, l.WaitMessageEvery)
		}
		for key, texts := range map[string]map[string]string{"wait_reply": l.WaitReply, "wait_reply_no_figures": l.WaitReplyNoFigures} {
			for lang, text := range texts {
				if !langPattern.MatchString(lang) || strings.TrimSpace(text) == "" || len(text) > maxClientText {
					bad("%s: %s[%q]: want a language code (en, es...) and a text of 1 to %d bytes", where, key, lang, maxClientText)
				}
			}
		}
		for lang, text := range l.CrisisReply {
			if !langPattern.MatchString(lang) || strings.TrimSpace(text) == "" || len(text) > maxClientText {
				bad("%s: crisis_reply[%q]: want a language code (en, es...) and a text of 1 to %d bytes", where, lang, maxClientText)
			}
		}
	}
	for i := range f.Staff {
		s := &f.Staff[i]
		where := fmt.Sprintf("staff[%d] (%s)", i, s.ID)
		if !idPattern.MatchString(s.ID) {
			bad("%s: id: want lowercase letters, digits, '-' or '_'", where)
		}
		if staffIDs[s.ID] != nil {
			bad("%s: duplicate id", where)
		}
		staffIDs[s.ID] = s
		if s.Name == "" {
			bad("%s: name is required", where)
		}
		if !events.ValidRole(s.Role) {
			bad("%s: role %q: want worker, duty, manager or admin", where, s.Role)
		}
		if s.WorkPhone != "" && !ValidE164(s.WorkPhone) {
			bad("%s: work_phone: want E.164", where)
		}
		// A reply from a work phone answers its owner's pages: one phone
		// is one person, and never a line. The number is never named.
		if other := phones[s.WorkPhone]; s.WorkPhone != "" && other != "" {
			bad("%s: work_phone is also %s's: each person needs their own", where, other)
		} else if s.WorkPhone != "" {
			phones[s.WorkPhone] = s.ID
		}
		if s.WorkPhone != "" && numbers[s.WorkPhone] {
			bad("%s: work_phone is a line's number", where)
		}
		if s.Language != "" && !langPattern.MatchString(s.Language) {
			bad("%s: language %q: want a language code like en", where, s.Language)
		}
		if err := ValidateNotify(s.Notify, f.NotifyWithin()); err != nil {
			bad("%s: %w", where, err)
		}
	}
	for i, l := range f.Lines {
		for _, id := range l.AdminContacts {
			switch st := staffIDs[id]; {
			case st == nil:
				bad("lines[%d] (%s): admin_contacts: staff %q is not defined", i, l.ID, id)
			case st.WorkPhone == "":
				bad("lines[%d] (%s): admin_contacts: staff %q has no work_phone to be told on", i, l.ID, id)
			}
		}
	}
	for i, sh := range f.Rota {
		where := fmt.Sprintf("rota[%d]", i)
		if !lineIDs[sh.Line] {
			bad("%s: line %q is not defined", where, sh.Line)
		}
		st := staffIDs[sh.Staff]
		switch {
		case st == nil:
			bad("%s: staff %q is not defined", where, sh.Staff)
		case st.WorkPhone == "":
			bad("%s: staff %q has no work_phone to be paged on", where, sh.Staff)
		}
		if sh.Level == "" {
			bad("%s: level is required (e.g. duty, backup, manager)", where)
		}
		for _, d := range sh.Days {
			if _, ok := schedule.ParseWeekday(d); !ok {
				bad("%s: %q is not a weekday (monday..sunday)", where, d)
			}
		}
	}
	return errors.Join(errs...)
}

// LineByNumber returns the line clients reach at number: its SMS number,
// or its WhatsApp sender ("whatsapp:+E164").
func (f *File) LineByNumber(number string) (Line, bool) {
	for _, l := range f.Lines {
		if l.Number == number || l.WhatsAppFrom != "" && l.WhatsAppFrom == number {
			return l, true
		}
	}
	return Line{}, false
}

// Sender is the address the line sends to a client on channel from: its
// WhatsApp sender on WhatsApp ("" when the line has none any more), its
// number otherwise.
func (l Line) Sender(channel string) string {
	if channel == events.ChannelWhatsApp {
		return l.WhatsAppFrom
	}
	return l.Number
}

// LineByID returns a line by its id.
func (f *File) LineByID(id string) (Line, bool) {
	for _, l := range f.Lines {
		if l.ID == id {
			return l, true
		}
	}
	return Line{}, false
}
