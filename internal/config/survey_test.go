package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/deploy"
)

func TestSurveyIsOffUnlessALineHasOneAndTheExampleHasOne(t *testing.T) {
	t.Parallel()
	f, err := ParseFile(deploy.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	main, _ := f.LineByID("main")
	night, _ := f.LineByID("night")
	if night.Survey != nil || night.AnswerWindow() != 0 {
		t.Fatalf("night line has a survey: %+v", night.Survey)
	}
	s := main.Survey
	if s == nil || len(s.Questions) != 2 || s.Delay.Duration != 10*time.Minute || main.AnswerWindow() != 12*time.Hour {
		t.Fatalf("example survey: %+v", s)
	}
	if q, ok := s.Question(1); !ok || q.ID != "rating" || len(q.Options) != 5 || !strings.Contains(q.TextIn("es"), "1 (mal)") || q.TextIn("de") != q.Text["en"] {
		t.Fatalf("question 1: %+v", q)
	}
	if _, ok := s.Question(2); ok {
		t.Fatal("a third question")
	}
}

func TestSurveyValidation(t *testing.T) {
	t.Parallel()
	const line = `lines: [{id: main, number: "+442079460000", timezone: Europe/London, always_open: true, reopen_window: 24h, survey: {%s}}]`
	const q = `{id: helped, label: "Helped?", options: ["Yes", "No"], text: {en: "Did it help? Reply 1 yes, 2 no"}}`
	tests := []struct {
		name, survey, err string
	}{
		{"defaults", "questions: [" + q + "]", ""},
		{"no question", "questions: []", "survey: questions: want 1 or 2, got 0"},
		{"three questions", "questions: [" + q + "," + strings.Replace(q, "helped", "b", 1) + "," + strings.Replace(q, "helped", "c", 1) + "]", "want 1 or 2, got 3"},
		{"same id twice", "questions: [" + q + "," + q + "]", "questions[1] (helped): id: want a unique id"},
		{"one option", `questions: [{id: a, label: A, options: ["Yes"], text: {en: "x"}}]`, "options: want 2 to 9 labels"},
		{"ten options", `questions: [{id: a, label: A, options: ["1","2","3","4","5","6","7","8","9","10"], text: {en: "x"}}]`, "options: want 2 to 9 labels"},
		{"no english", `questions: [{id: a, label: A, options: ["Y","N"], text: {es: "x"}}]`, "text: an English text (en) is required"},
		{"bad language", `questions: [{id: a, label: A, options: ["Y","N"], text: {en: "x", Spanish: "y"}}]`, `text["Spanish"]`},
		{"no label", `questions: [{id: a, options: ["Y",""], text: {en: "x"}}]`, "label: the dashboard names"},
		{"empty option", `questions: [{id: a, label: A, options: ["Y",""], text: {en: "x"}}]`, "options[1]: a label is required"},
		{"beyond reopen", "delay: 1h, window: 24h, questions: [" + q + "]", "plus window 24h0m0s: want at most the reopen_window"},
		{"too short", "delay: 10s, questions: [" + q + "]", "delay 10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile(fmt.Appendf(nil, line, tt.survey))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "lines[0] (main): survey") {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := f.Lines[0].Survey; s.Delay.Duration != 10*time.Minute || s.Window.Duration != 12*time.Hour {
				t.Fatalf("defaults: %+v", s)
			}
		})
	}
}
