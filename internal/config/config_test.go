package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/helpline-org/helpline/deploy"
	"github.com/helpline-org/helpline/events"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadEnvDefaults(t *testing.T) {
	t.Parallel()
	e, err := LoadEnv(env())
	if err != nil {
		t.Fatal(err)
	}
	if e.HTTPAddr != "127.0.0.1:8080" || e.DataDir != "./data" || e.PublicURL != "http://127.0.0.1:8080" ||
		e.MasterKeyFile != "data/master.key" || !e.Sandbox() || !e.Embedded() || e.Replicas != 1 {
		t.Fatalf("defaults: %+v", e)
	}
	if e.DuplicatesWindow != 2*time.Minute || e.ShutdownTimeout != 20*time.Second || e.ConfigFile != "deploy/helpline.example.yaml" {
		t.Fatalf("duration and file defaults: %+v", e)
	}
	docs := map[string]string{}
	for _, v := range Vars() {
		docs[v.Name] = v.Default
	}
	if e.MemoryLimit != 112<<20 {
		t.Fatalf("memory limit default: %d", e.MemoryLimit)
	}
	if docs[VarDuplicates] != "2m" || docs[VarShutdown] != "20s" || docs[VarHTTPAddr] != e.HTTPAddr || docs[VarMemoryLimit] != "112MiB" {
		t.Fatalf("documented defaults differ from the applied ones: %v", docs)
	}
	if !e.TriageModelOn() || docs[VarTriageModel] != e.TriageModel {
		t.Fatalf("triage's model is on by default, as documented: %q, documented %q", e.TriageModel, docs[VarTriageModel])
	}
	if off, err := LoadEnv(env(VarTriageModel, "off")); err != nil || off.TriageModelOn() {
		t.Fatalf("%s=off: %+v %v", VarTriageModel, off, err)
	}
	clustered, err := LoadEnv(env(VarNATSURL, "nats://a:4222"))
	if err != nil || clustered.Replicas != 3 {
		t.Fatalf("external NATS defaults to 3 replicas: %+v %v", clustered, err)
	}
}

func TestLoadEnvNamesTheBadVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kv   []string
		want string
	}{
		{[]string{VarHTTPAddr, "8080"}, VarHTTPAddr},
		{[]string{VarPublicURL, "ftp://x"}, VarPublicURL},
		{[]string{VarTwilioSID, "AC1"}, VarTwilioToken},
		{[]string{VarDuplicates, "30s"}, VarDuplicates},
		{[]string{VarReplicas, "7"}, VarReplicas},
		{[]string{VarLogLevel, "loud"}, VarLogLevel},
		{[]string{VarClientIP, "X Forwarded"}, VarClientIP},
		{[]string{VarMemoryLimit, "112MB"}, VarMemoryLimit},
		{[]string{VarMemoryLimit, "0"}, VarMemoryLimit},
		{[]string{VarTriageModel, "1"}, VarTriageModel},
	}
	for _, tt := range tests {
		_, err := LoadEnv(env(tt.kv...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v does not name %s", tt.kv, err, tt.want)
		}
	}
}

func TestMemoryLimitOff(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"off": 0, "256MiB": 256 << 20, "1GiB": 1 << 30} {
		e, err := LoadEnv(env(VarMemoryLimit, in))
		if err != nil || e.MemoryLimit != want {
			t.Errorf("%s=%s: limit %d, %v; want %d", VarMemoryLimit, in, e.MemoryLimit, err, want)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	t.Parallel()
	e, err := LoadEnv(env(VarTwilioSID, "AC123", VarTwilioToken, "s3cr3t", VarDatabaseURL, "postgres://u:pw@db/x"))
	if err != nil {
		t.Fatal(err)
	}
	r := e.Redacted()
	if strings.Contains(r.TwilioAuthToken+r.DatabaseURL, "s3cr3t") || strings.Contains(r.DatabaseURL, ":pw@") {
		t.Fatalf("redacted: %+v", r)
	}
}

func TestExampleConfigIsValidAndEmbedded(t *testing.T) {
	t.Parallel()
	onDisk, err := os.ReadFile("../../deploy/helpline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(onDisk) != string(deploy.ExampleConfig) {
		t.Fatal("embedded example differs from the file")
	}
	f, err := ParseFile(deploy.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := f.LineByNumber("+442079460000"); !ok || l.ID != "main" || l.FirstResponseTarget.Minutes() != 10 {
		t.Fatalf("line: %+v", l)
	}
	if l, ok := f.LineByNumber("whatsapp:+442079460000"); !ok || l.ID != "main" || l.Sender(events.ChannelWhatsApp) != "whatsapp:+442079460000" || l.Sender(events.ChannelSMS) != "+442079460000" {
		t.Fatalf("the example line by its WhatsApp sender: %+v %v", l, ok)
	}
	if _, ok := f.LineByNumber("whatsapp:+442079460001"); ok {
		t.Fatal("a line without whatsapp_from is reached on WhatsApp")
	}
}

func TestWhatsAppFromIsChecked(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ lines, want string }{
		{`[{id: a, number: "+442079460000", whatsapp_from: "+442079460000", timezone: UTC, always_open: true}]`, "lines[0] (a): whatsapp_from: want whatsapp:"},
		{`[{id: a, number: "+442079460000", whatsapp_from: "whatsapp:442079460000", timezone: UTC, always_open: true}]`, "lines[0] (a): whatsapp_from: want whatsapp:"},
		{`[{id: a, number: "+442079460000", whatsapp_from: "whatsapp:+442079460009", timezone: UTC, always_open: true},
		   {id: b, number: "+442079460001", whatsapp_from: "whatsapp:+442079460009", timezone: UTC, always_open: true}]`, "lines[1] (b): whatsapp_from used by two lines"},
	} {
		if _, err := ParseFile([]byte("lines: " + tt.lines + "\n")); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.lines, err, tt.want)
		}
	}
}

// refusedSaying checks that ParseFile refuses yaml with an error that says
// every one of wants.
func refusedSaying(t *testing.T, yaml string, wants ...string) {
	t.Helper()
	_, err := ParseFile([]byte(yaml))
	if err == nil {
		t.Fatal("a bad file was accepted")
	}
	for _, want := range wants {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestParseFileReportsEveryProblem(t *testing.T) {
	t.Parallel()
	bad := `
lines:
  - {id: Main, number: "07700900123", timezone: Mars/Olympus, hours: {funday: ["09:00-17:00"]}, page_reply: {English: "1 or 2", es: ""}, page_help_reply: {en: ""}, crisis_reply: {EN: "call 999"}, quick_exit_url: "javascript:alert(1)", retention_days: -1}
staff:
  - {id: sam, name: Sam, role: boss, work_phone: "12345", language: Spanish}
  - {id: kim, name: Kim, role: duty, work_phone: "+447700900101"}
  - {id: lou, name: Lou, role: duty, work_phone: "+447700900101"}
rota:
  - {line: nowhere, level: duty, staff: ghost}
`
	refusedSaying(t, bad, "id: want lowercase", "number: want E.164", "timezone", "funday", "role \"boss\"", "work_phone", "line \"nowhere\"", "staff \"ghost\"",
		`page_reply["English"]`, `page_reply["es"]`, `page_help_reply["en"]`, `crisis_reply["EN"]`, `language "Spanish"`, "staff[2] (lou): work_phone is also kim's", "quick_exit_url",
		"retention_days -1")
	if _, err := ParseFile([]byte("lines: []\nunknown_key: 1\n")); err == nil || !strings.Contains(err.Error(), "unknown_key") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestResponseTargets(t *testing.T) {
	t.Parallel()
	const line = `lines: [{id: main, number: "+442079460000", timezone: Europe/London, always_open: true%s}]`
	tests := []struct {
		name        string
		fields      string
		first, next time.Duration
		err         string
	}{
		{"defaults", "", 15 * time.Minute, 15 * time.Minute, ""},
		{"next defaults to first", ", first_response_target: 5m", 5 * time.Minute, 5 * time.Minute, ""},
		{"both", ", first_response_target: 5m, next_response_target: 20m", 5 * time.Minute, 20 * time.Minute, ""},
		{"too short", ", next_response_target: 30s", 0, 0, "lines[0] (main): next_response_target 30s: want 1m0s to 24h0m0s"},
		{"too long", ", first_response_target: 25h", 0, 0, "lines[0] (main): first_response_target 25h0m0s: want 1m0s to 24h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile(fmt.Appendf(nil, line, tt.fields))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l := f.Lines[0]; l.FirstResponseTarget.Duration != tt.first || l.NextResponseTarget.Duration != tt.next {
				t.Fatalf("targets %s, %s; want %s, %s", l.FirstResponseTarget, l.NextResponseTarget, tt.first, tt.next)
			}
		})
	}
}
