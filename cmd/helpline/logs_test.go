package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"
)

// TestEveryLineIsStructured runs `helpline run` through a signed SMS and a
// web chat whose event stream is still open when SIGTERM comes (the
// shutdown where a raw "nats: slow consumer" line once reached stderr):
// every line the process writes is a JSON log record, none raw.
func TestEveryLineIsStructured(t *testing.T) {
	t.Parallel()
	p := startHelpline(t, t.TempDir(), twilioEnv()...)
	p.waitReady(t)
	if code := p.sms(t, "SM"+strings.Repeat("d", 32), "+447700900555", "hello"); code != http.StatusOK {
		t.Fatalf("sms: %d", code)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Post("http://"+p.addr+"/api/chat/conversations", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start a chat: %d", resp.StatusCode)
	}
	stream, err := hc.Get("http://" + p.addr + "/api/chat/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("chat events: %d", stream.StatusCode)
	}
	p.terminate(t, time.Minute)
	sc := bufio.NewScanner(strings.NewReader(p.logs()))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec["level"] == nil || rec["message"] == nil {
			t.Errorf("not a structured log record: %q", sc.Text())
		}
	}
	if lines == 0 {
		t.Fatal("no output at all")
	}
}
