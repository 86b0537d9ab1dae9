package config

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Survey is a line's post-contact survey: one or two questions with fixed
// answers, sent to the client a while after a worker closed their
// conversation. A client's reply that is exactly one of a question's
// option numbers, within Window of the question, is recorded as a
// content-free answer (question id, option number) and does not reopen
// the conversation; any other reply is an ordinary message. Off unless a
// line configures it.
type Survey struct {
	// Delay is how long after the close the first question is sent;
	// default 10m.
	Delay Duration `yaml:"delay"`
	// Window is how long after a question was sent a reply may answer it;
	// default 12h. Delay plus Window must fit in the line's reopen window,
	// so that any other reply (STOP included) in it reopens the
	// conversation and ends the survey.
	Window    Duration         `yaml:"window"`
	Questions []SurveyQuestion `yaml:"questions"`
}

// SurveyQuestion is one question of a survey: an id recorded with each
// answer, a label for the dashboard, its text per language (saying how to
// answer: "Reply 1 yes, 2 no"), and the labels of its options, answered
// by their numbers from 1.
type SurveyQuestion struct {
	ID      string            `yaml:"id"`
	Label   string            `yaml:"label"`
	Text    map[string]string `yaml:"text"`
	Options []string          `yaml:"options"`
}

// Survey limits: one or two questions, of 2 to 9 options (each answered
// by one digit).
const (
	maxSurveyQuestions = 2
	minSurveyOptions   = 2
	maxSurveyOptions   = 9
)

// TextIn is the question in the client's language, else English.
func (q SurveyQuestion) TextIn(lang string) string { return PickText(q.Text, lang) }

// Question returns the survey's question at index i (from 0), if any.
func (s *Survey) Question(i int) (SurveyQuestion, bool) {
	if s == nil || i < 0 || i >= len(s.Questions) {
		return SurveyQuestion{}, false
	}
	return s.Questions[i], true
}

// AnswerWindow is how long after a question a reply may answer it: 0 when
// the line has no survey.
func (l Line) AnswerWindow() time.Duration {
	if l.Survey == nil {
		return 0
	}
	return l.Survey.Window.Duration
}

func (s *Survey) setDefaults() {
	s.Delay.Duration = cmp.Or(s.Delay.Duration, 10*time.Minute)
	s.Window.Duration = cmp.Or(s.Window.Duration, 12*time.Hour)
}

// validate checks the survey of a line whose reopen window is reopen.
func (s *Survey) validate(where string, reopen time.Duration) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(where+": survey: "+format, a...)) }
	if s.Delay.Duration < time.Minute || s.Window.Duration < time.Minute {
		bad("delay %s, window %s: want at least 1m each", s.Delay, s.Window)
	}
	if s.Delay.Duration+s.Window.Duration > reopen {
		bad("delay %s plus window %s: want at most the reopen_window %s (a reply after it would start a new conversation while the survey still waits)",
			s.Delay, s.Window, reopen)
	}
	if n := len(s.Questions); n < 1 || n > maxSurveyQuestions {
		bad("questions: want 1 or %d, got %d", maxSurveyQuestions, n)
	}
	seen := map[string]bool{}
	for i, q := range s.Questions {
		qw := fmt.Sprintf("questions[%d] (%s)", i, q.ID)
		if !idPattern.MatchString(q.ID) || seen[q.ID] {
			bad("%s: id: want a unique id of lowercase letters, digits, '-' or '_'", qw)
		}
		seen[q.ID] = true
		if strings.TrimSpace(q.Label) == "" {
			bad("%s: label: the dashboard names the question by it", qw)
		}
		if q.Text["en"] == "" {
			bad("%s: text: an English text (en) is required", qw)
		}
		for lang, text := range q.Text {
			if !langPattern.MatchString(lang) || strings.TrimSpace(text) == "" || len(text) > maxClientText {
				bad("%s: text[%q]: want a language code (en, es...) and a text of 1 to %d bytes", qw, lang, maxClientText)
			}
		}
		if n := len(q.Options); n < minSurveyOptions || n > maxSurveyOptions {
			bad("%s: options: want %d to %d labels (answered 1 to %d), got %d", qw, minSurveyOptions, maxSurveyOptions, maxSurveyOptions, n)
		}
		for j, o := range q.Options {
			if strings.TrimSpace(o) == "" {
				bad("%s: options[%d]: a label is required", qw, j)
			}
		}
	}
	return errs
}
